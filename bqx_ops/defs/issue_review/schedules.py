"""The review job and its schedule: the 1st and the 15th at 10:00 UTC, for the period that just closed."""

import dagster as dg

from bqx_ops.calendar import ISSUE_REVIEW
from bqx_ops.defs.cadence.partitions import ISSUE_REVIEW_PARTITIONS
from bqx_ops.defs.cadence.schedules import default_status
from bqx_ops.defs.issue_review.assets import issue_review_notifications, issue_review_report, issue_review_tables

issue_review_job = dg.define_asset_job(
    "issue_review_job",
    selection=dg.AssetSelection.assets(issue_review_tables, issue_review_report, issue_review_notifications),
    executor_def=dg.in_process_executor,
    description="Stage 10.7: collect, triage and report the issues of review periods (QA-001).",
)


def issue_review_schedule(mode: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="issue_review_schedule",
        cron_schedule=ISSUE_REVIEW.cron,
        execution_timezone="UTC",
        job=issue_review_job,
        default_status=default_status(mode),
        description=f"{ISSUE_REVIEW.title} -> {ISSUE_REVIEW.owner}, for the period that just closed",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time
        if not ISSUE_REVIEW.is_due(tick):
            return dg.SkipReason(f"{tick:%Y-%m-%d %H:%M} is not an issue-review tick")
        window = ISSUE_REVIEW_PARTITIONS.get_prev_partition_window(tick)
        if window is None:
            return dg.SkipReason("no review period has closed yet")
        key = window.start.strftime("%Y-%m-%d")
        return dg.RunRequest(run_key=f"issue_review:{key}", partition_key=key,
                             tags={"bqx_ops/cadence": ISSUE_REVIEW.name})

    return _schedule
