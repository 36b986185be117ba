"""Partitions of the operational cadences, derived from bqx_ops.calendar.

A partition is the period between two ticks, keyed by the tick that opens it;
the schedule at a tick requests the period that just closed.
"""

import dagster as dg

from bqx_ops.calendar import ISSUE_REVIEW, PLAN_UPDATE, WEEKLY_SYNC, Cadence, first_tick
from bqx_ops.config import project_start


def cadence_partitions(cadence: Cadence, end_offset: int = 0) -> dg.TimeWindowPartitionsDefinition:
    """From the period holding the project's start (bqx_ops.config.project_start), partial or not."""
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=cadence.cron,
        start=first_tick(cadence, project_start()).replace(tzinfo=None),
        timezone="UTC",
        fmt="%Y-%m-%d",
        end_offset=end_offset,
    )


# The sync also has the open week (end_offset=1): a mid-week sync triggered by an Airtable
# change must be able to run as of now, or the 24-hour SLA could not be met.
WEEKLY_SYNC_PARTITIONS = cadence_partitions(WEEKLY_SYNC, end_offset=1)
PLAN_UPDATE_PARTITIONS = cadence_partitions(PLAN_UPDATE)
ISSUE_REVIEW_PARTITIONS = cadence_partitions(ISSUE_REVIEW)
