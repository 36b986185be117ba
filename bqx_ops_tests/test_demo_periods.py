"""Which periods a replay runs: the one holding the plan's first snapshot opens it, even when the plan's start
(a Sunday) lies in an earlier period without any snapshot."""

import datetime as dt

import dagster as dg

from bqx_ops.calendar import PLAN_UPDATE, WEEKLY_SYNC, first_tick
from bqx_ops.replay import closed, closed_or_open, partition_span

START = dt.date(2019, 11, 17)  # a Sunday; the first snapshot is Tuesday 2019-11-19


def partitions(cadence, end_offset=0):
    return dg.TimeWindowPartitionsDefinition(cron_schedule=cadence.cron, timezone="UTC", fmt="%Y-%m-%d",
                                             start=first_tick(cadence, START).replace(tzinfo=None),
                                             end_offset=end_offset)


def test_the_sync_week_holding_the_first_snapshot_is_replayed():
    sync = partitions(WEEKLY_SYNC, end_offset=1)
    assert sync.get_first_partition_key() == "2019-11-11"  # Monday 09:00 before the Sunday start: no snapshot
    first, last = dt.date(2019, 11, 19), dt.date(2019, 12, 10)
    # the week Mon 11-18 09:00 .. Mon 11-25 09:00 holds the snapshots of 11-19 and 11-21
    assert partition_span(sync, first, last, closed, from_start=True) == ("2019-11-18", "2019-12-02")
    assert partition_span(sync, first, last, closed_or_open, from_start=True) == ("2019-11-18", "2019-12-09")
    # a replay --from a later day (earlier snapshots not replayed) starts with the first whole period, as before
    assert partition_span(sync, first, last, closed) == ("2019-11-25", "2019-12-02")
    plan = partitions(PLAN_UPDATE)  # Fri 11-15 16:00 .. Fri 11-22 16:00 holds the start and the first snapshot
    assert partition_span(plan, first, last, closed, from_start=True) == ("2019-11-15", "2019-11-29")
