"""Escalations for missed activities: the sensor reads only the Dagster instance (never
DuckDB) and requests one escalation run per first missed tick (run_key = outbox key)."""

import datetime as dt

import dagster as dg

from bqx_ops.calendar import UTC
from bqx_ops.defs.cadence.jobs import escalation_job
from bqx_ops.escalation import RULES, overdue


def escalation_sensor(mode: str, watched: dict[str, dg.AssetKey]) -> dg.SensorDefinition:
    """``watched``: escalation rule name -> the asset whose materialization means "done"."""
    rules = [r for r in RULES if r.name in watched]

    @dg.sensor(
        name="missed_activity_escalation_sensor",
        job=escalation_job,
        minimum_interval_seconds=15 * 60,
        default_status=dg.DefaultSensorStatus.RUNNING if mode == "live" else dg.DefaultSensorStatus.STOPPED,
        description="Escalates missed syncs, plan updates, reviews and assessments (seed: Escalation Paths).",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        now = dt.datetime.now(UTC)
        for rule in rules:
            event = context.instance.get_latest_materialization_event(watched[rule.name])
            last_done = dt.datetime.fromtimestamp(event.timestamp, UTC) if event else None
            escalation = overdue(rule, last_done, now)
            if escalation is None:
                continue
            yield dg.RunRequest(
                run_key=escalation.key,
                run_config={"ops": {"enqueue_escalation": {"config": {
                    "rule": rule.name, "due_at": escalation.due_at.isoformat(),
                    "missed_for_hours": round(escalation.missed_for.total_seconds() / 3600, 1)}}}},
                tags={"bqx_ops/escalation": rule.name},
            )

    return _sensor
