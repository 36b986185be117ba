"""Partitions of the operational cadences, derived from bqx_ops.calendar.

A partition is the period between two ticks, keyed by the tick that opens it;
the schedule at a tick requests the period that just closed.
"""

import datetime as dt

import dagster as dg

from bqx_ops.calendar import ISSUE_REVIEW, PLAN_START, PLAN_UPDATE, WEEKLY_SYNC, Cadence


def cadence_partitions(cadence: Cadence) -> dg.TimeWindowPartitionsDefinition:
    first_tick = cadence.ticks(PLAN_START, PLAN_START + dt.timedelta(days=40))[0]
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=cadence.cron,
        start=first_tick.replace(tzinfo=None),
        timezone="UTC",
        fmt="%Y-%m-%d",
    )


WEEKLY_SYNC_PARTITIONS = cadence_partitions(WEEKLY_SYNC)
PLAN_UPDATE_PARTITIONS = cadence_partitions(PLAN_UPDATE)
ISSUE_REVIEW_PARTITIONS = cadence_partitions(ISSUE_REVIEW)
