"""Escalation of unresolved issues: an hourly sensor requests one run per tick; the run collects
the open issues as of the tick (the review's own collection and triage) and enqueues each
escalation that is due and not enqueued before (seed: Escalation Paths, "Unresolved Issues").

The work happens in a run, not in the sensor: it lands sources and reads DuckDB, which
takes the ``duckdb`` pool like every other writer.
"""

import datetime as dt
from typing import Callable

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox, settings
from bqx_ops.calendar import UTC, naive_utc
from bqx_ops.db import transaction
from bqx_ops.defs.issue_review.sources import landed_sources, rules_or_failure
from bqx_ops.issue_review.collect import AirtableHistory, inventory_at
from bqx_ops.issue_review.escalate import KEY_PREFIX, due, escalated_level, intents, to_enqueue
from bqx_ops.issue_review.rules import RulesError, load_rules
from bqx_ops.resources.aws_sources import CloudWatchLogsSource
from bqx_ops.resources.sagemaker_jobs import SageMakerJobsSource
from bqx_ops.resources.github_issues import GitHubIssuesSource

OP = "escalate_unresolved_issues"


class UnresolvedConfig(dg.Config):
    as_of: list[str]  # ISO instants (UTC) to look at, in any order; the demo replays many in one run


def _escalated(conn) -> dict[tuple[str, str], dt.datetime | None]:
    """(fingerprint, priority) -> the latest look that escalated it, from the outbox (an intent's key is
    the escalation's key and a channel; its period_end the look), read once per run: only this op writes
    them, and it holds the duckdb pool while it does. A look not recorded is None: every episode covered."""
    out: dict[tuple[str, str], dt.datetime | None] = {}
    rows = conn.execute("SELECT key, bool_or(period_end IS NULL), max(period_end) FROM ops.outbox "
                        "WHERE starts_with(key, ?) GROUP BY key", [KEY_PREFIX + "/"]).fetchall()
    for key, unknown, look in rows:
        level = escalated_level(key)
        if unknown or (level in out and out[level] is None):
            out[level] = None
        else:
            out[level] = max(look, out.get(level) or look)
    return out


@dg.op(pool="duckdb", tags={"kind": "outbox"}, name=OP)
def escalate_unresolved_issues(context: dg.OpExecutionContext, config: UnresolvedConfig, duckdb: DuckDBResource,
                               github_issues: GitHubIssuesSource, cloudwatch_logs: CloudWatchLogsSource,
                               sagemaker_jobs: SageMakerJobsSource) -> None:
    """Enqueue the escalations of open issues past their SLA, once per issue, level and episode."""
    rules = rules_or_failure()
    now = dt.datetime.now(UTC)
    instants = sorted(naive_utc(dt.datetime.fromisoformat(x).astimezone(UTC)) for x in config.as_of)
    data, landed = landed_sources(github_issues, sagemaker_jobs, cloudwatch_logs, rules, instants, now)
    if stale := [p for name in ("github", "sagemaker") if landed[name].get("not_refreshed") for p in landed[name]["problems"]]:
        # a report can say its listing is stale; an alert cannot: an issue closed since would be escalated
        raise dg.Failure(description="; ".join(stale))
    mentions, counts = settings.slack_mentions(), {"escalated": 0, "already": 0, "intents": 0}
    producer = outbox.Producer("issue_review:unresolved_escalation", None, context.run_id)
    with duckdb.get_connection() as conn:
        outbox.ensure_schema(conn)
        history = AirtableHistory(conn, instants[-1].date()) if instants else None
        escalated, queued = _escalated(conn), []
        for instant in instants:
            _, inventory = inventory_at(conn, instant, rules, data, history)
            found = due(inventory, rules, instant)
            new = to_enqueue(found, escalated, instant)  # escalated at an earlier tick: never again
            counts["already"] += len(found) - len(new)
            for escalation in new:
                queued += [(intent, instant) for intent in intents(escalation, mentions)]
                counts["escalated"] += 1
                context.log.warning(f"{escalation.key}: {escalation.escalate_to} {escalation.action}")
        # after the ticks (their reads catch DuckDB errors, which would abort a transaction around them):
        # the intents in tick order, all or none, in one commit
        with transaction(conn):
            for (key, channel, payload), instant in queued:
                outbox.enqueue(conn, key, channel, payload, producer, instant, now)
                counts["intents"] += 1
    context.log.info(f"unresolved issues: {counts}")


@dg.job(executor_def=dg.in_process_executor,
        description="Escalate open issues past their SLA, once per issue and level (Escalation Paths).")
def unresolved_issue_job():
    escalate_unresolved_issues()


def _interval_minutes() -> int:
    try:
        return max(1, load_rules(re2=False).interval_minutes)  # at load: no DuckDB query (it imports numpy)
    except RulesError:
        return 60  # the run reports the broken rules file; the sensor keeps its default


def unresolved_issue_sensor(mode: str, clock: Callable[[], dt.datetime] | None = None) -> dg.SensorDefinition:
    """One run per interval tick (hourly by default), keyed by the tick: a tick is looked at once."""
    minutes = _interval_minutes()

    @dg.sensor(
        name="unresolved_issue_escalation_sensor",
        job=unresolved_issue_job,
        minimum_interval_seconds=minutes * 60,
        default_status=dg.DefaultSensorStatus.RUNNING if mode == "live" else dg.DefaultSensorStatus.STOPPED,
        description="Escalates open P0-P3 issues past their SLA (seed: Escalation Paths, Unresolved Issues).",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        now = (clock or (lambda: dt.datetime.now(UTC)))().astimezone(UTC)
        since_midnight = (now.hour * 60 + now.minute) // minutes * minutes
        tick = now.replace(hour=since_midnight // 60, minute=since_midnight % 60, second=0, microsecond=0)
        if context.cursor == tick.isoformat():
            return dg.SkipReason(f"tick {tick.isoformat()} already looked at")
        context.update_cursor(tick.isoformat())
        return dg.RunRequest(
            run_key=f"unresolved-issues/{tick:%Y-%m-%dT%H:%M}",
            run_config={"ops": {OP: {"config": {"as_of": [tick.isoformat()]}}}},
            tags={"bqx_ops/escalation": "unresolved_issues"},
        )

    return _sensor
