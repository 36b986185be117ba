"""Reminder job: enqueues one reminder intent per cadence tick (delivered through the outbox)."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import config as project_config
from bqx_ops import outbox, settings, slack_text
from bqx_ops.calendar import REMINDERS, UTC
from bqx_ops.escalation import RULES, Escalation


def recipients_of(project: project_config.ProjectConfig, reminder: str) -> list[str]:
    """The configuration's recipients of a reminder (``reminders.<plan_update|issue_review|assessment>``)."""
    section = project.reminders
    return {"plan_update_reminder": section.plan_update, "issue_review_reminder": section.issue_review,
            "assessment_reminder": section.assessment}.get(reminder, [])


class ReminderConfig(dg.Config):
    reminder: str  # a Cadence name from bqx_ops.calendar.REMINDERS
    due_at: str  # ISO datetime of the tick (UTC)


@dg.op(pool="duckdb", tags={"kind": "outbox"})
def enqueue_reminder(context: dg.OpExecutionContext, config: ReminderConfig, duckdb: DuckDBResource) -> None:
    """Enqueue a Slack reminder for the owner of the activity that is coming up."""
    cadence = {c.name: c for c in REMINDERS}[config.reminder]
    due_at = dt.datetime.fromisoformat(config.due_at).astimezone(UTC)
    key = f"reminder/{cadence.name}/{due_at.date().isoformat()}"
    project = project_config.current()
    recipients = recipients_of(project, cadence.name) or [cadence.owner]
    mentions = settings.slack_mentions()
    payload = {
        "channel": project.slack.channel,
        "text": f"Reminder for {', '.join(slack_text.mention(r, mentions) for r in recipients)}: "
                f"{cadence.title} ({due_at:%Y-%m-%d %H:%M} UTC).",
        "recipient": ", ".join(recipients),
    }
    with duckdb.get_connection() as conn:
        outcome = outbox.enqueue(
            conn, key, "slack", payload,
            outbox.Producer(asset=f"reminder:{cadence.name}", run_id=context.run_id),
            period_end=due_at, now=dt.datetime.now(UTC),
        )
    context.log.info(f"{key}: {outcome}")


class EscalationConfig(dg.Config):
    rule: str  # an EscalationRule name from bqx_ops.escalation.RULES
    due_at: str  # ISO datetime of the first missed tick
    missed_for_hours: float


@dg.op(pool="duckdb", tags={"kind": "outbox"})
def enqueue_escalation(context: dg.OpExecutionContext, config: EscalationConfig, duckdb: DuckDBResource) -> None:
    """Enqueue the Slack message and SNS alert of one missed activity."""
    rule = {r.name: r for r in RULES}[config.rule]
    due_at = dt.datetime.fromisoformat(config.due_at).astimezone(UTC)
    escalation = Escalation(rule, due_at, dt.timedelta(hours=config.missed_for_hours))
    now = dt.datetime.now(UTC)  # an escalation is about now, so the history horizon never hides it
    producer = outbox.Producer(asset=f"escalation:{rule.name}", run_id=context.run_id)
    with duckdb.get_connection() as conn:
        outbox.enqueue(conn, f"{escalation.key}/slack", "slack", {"text": escalation.slack_text(settings.slack_mentions())},
                       producer, now, now)
        outbox.enqueue(conn, f"{escalation.key}/sns", "sns", {
            "subject": f"{project_config.current().project.name} missed activity: {rule.cadence.title}",
            "message": escalation.text()},
            producer, now, now)
    context.log.warning(escalation.text())


@dg.job(executor_def=dg.in_process_executor, description="Enqueue the escalation of one missed activity.")
def escalation_job():
    enqueue_escalation()


@dg.job(executor_def=dg.in_process_executor, description="Enqueue the reminder of one calendar tick.")
def reminder_job():
    enqueue_reminder()
