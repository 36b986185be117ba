"""The operational calendar's reminders."""

import dagster as dg

from bqx_ops.defs.cadence.jobs import escalation_job, reminder_job
from bqx_ops.defs.cadence.schedules import reminder_schedules
from bqx_ops.defs.cadence.sensors import escalation_sensor

# Escalation rule -> the asset whose materialization means the activity was done.
WATCHED: dict[str, dg.AssetKey] = {
    "repository_sync": dg.AssetKey(["docs", "repo_sync"]),
    "plan_update": dg.AssetKey(["plan", "weekly_report"]),
    "issue_review": dg.AssetKey(["review", "issue_review_report"]),
    "assessment_360": dg.AssetKey(["assessment", "report"]),
}


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        jobs=[reminder_job, escalation_job],
        schedules=reminder_schedules(mode),
        sensors=[escalation_sensor(mode, WATCHED)],
    )
