"""Reminder schedules, derived from the calendar's Cadence rules.

Cron says what it can; ``Cadence.is_due`` narrows the ticks where cron cannot
(the last day of a month, three weeks before the last Friday of a quarter).
"""

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
