"""Reminder schedules, derived from the calendar's Cadence rules.

Cron says what it can; ``Cadence.is_due`` narrows the ticks where cron cannot
(the last day of a month, three weeks before the last Friday of a quarter).
"""

import datetime as dt

import dagster as dg

from bqx_ops.calendar import REMINDERS, Cadence
from bqx_ops.defs.cadence.jobs import reminder_job


def default_status(mode: str) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if mode == "live" else dg.DefaultScheduleStatus.STOPPED


def reminder_schedule(cadence: Cadence, mode: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{cadence.name}_schedule",
        cron_schedule=cadence.cron,
        execution_timezone="UTC",
        job=reminder_job,
        default_status=default_status(mode),
        description=f"{cadence.title} -> {cadence.owner}",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time
        if not cadence.is_due(tick):
            return dg.SkipReason(f"{tick:%Y-%m-%d} is not a {cadence.name} day")
        return dg.RunRequest(
            run_key=f"{cadence.name}:{tick:%Y-%m-%d}",
            run_config={"ops": {"enqueue_reminder": {"config": {
                "reminder": cadence.name, "due_at": tick.isoformat()}}}},
            tags={"bqx_ops/cadence": cadence.name},
        )

    return _schedule


def reminder_schedules(mode: str) -> list[dg.ScheduleDefinition]:
    return [reminder_schedule(c, mode) for c in REMINDERS]


def closed_period_key(cadence: Cadence, partitions_def: dg.TimeWindowPartitionsDefinition, tick) -> str | None:
    """The partition whose period closes at ``tick``: keyed by the cadence tick before it."""
    earlier = [t for t in cadence.ticks(tick.date() - dt.timedelta(days=120), tick.date()) if t < tick]
    if not earlier:
        return None
    key = earlier[-1].strftime("%Y-%m-%d")
    return key if key >= partitions_def.get_first_partition_key() else None


def period_schedule(
    name: str, cadence: Cadence, job, partitions_def: dg.TimeWindowPartitionsDefinition, mode: str,
    description: str, open_period: bool = False,
) -> dg.ScheduleDefinition:
    """At each tick of ``cadence``, request the period that just closed (computed as of the tick),
    or with ``open_period`` the partition holding the tick (the 360 assessment happens before its
    quarter closes)."""

    @dg.schedule(
        name=name,
        cron_schedule=cadence.cron,
        execution_timezone="UTC",
        job=job,
        default_status=default_status(mode),
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time
        if not cadence.is_due(tick):
            return dg.SkipReason(f"{tick:%Y-%m-%d %H:%M} is not a tick of {cadence.name}")
        if open_period:
            key = partitions_def.get_partition_key_for_timestamp(tick.timestamp())
        else:
            key = closed_period_key(cadence, partitions_def, tick)
        if key is None:
            return dg.SkipReason(f"no {cadence.name} period has closed yet at {tick:%Y-%m-%d %H:%M}")
        return dg.RunRequest(run_key=f"{cadence.name}:{key}", partition_key=key,
                             tags={"bqx_ops/cadence": cadence.name})

    return _schedule
