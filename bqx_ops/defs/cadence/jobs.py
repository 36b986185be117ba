"""Reminder job: enqueues one reminder intent per cadence tick (delivered through the outbox)."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox
from bqx_ops.calendar import REMINDERS, UTC


class ReminderConfig(dg.Config):
    reminder: str  # a Cadence name from bqx_ops.calendar.REMINDERS
    due_at: str  # ISO datetime of the tick (UTC)


@dg.op(pool="duckdb", tags={"kind": "outbox"})
def enqueue_reminder(context: dg.OpExecutionContext, config: ReminderConfig, duckdb: DuckDBResource) -> None:
    """Enqueue a Slack reminder for the owner of the activity that is coming up."""
    cadence = {c.name: c for c in REMINDERS}[config.reminder]
    due_at = dt.datetime.fromisoformat(config.due_at).astimezone(UTC)
    key = f"reminder/{cadence.name}/{due_at.date().isoformat()}"
    payload = {
        "channel": "#bqx-ml-operations",
        "text": f"Reminder for {cadence.owner}: {cadence.title} ({due_at:%Y-%m-%d %H:%M} UTC).",
        "recipient": cadence.owner,
    }
    with duckdb.get_connection() as conn:
        outcome = outbox.enqueue(
            conn, key, "slack", payload,
            outbox.Producer(asset=f"reminder:{cadence.name}", run_id=context.run_id),
            period_end=due_at, now=dt.datetime.now(UTC),
        )
    context.log.info(f"{key}: {outcome}")


@dg.job(executor_def=dg.in_process_executor, description="Enqueue the reminder of one calendar tick.")
def reminder_job():
    enqueue_reminder()
