"""The review job and its schedule: the 1st and the 15th at 10:00 UTC, for the period that just closed."""

import dagster as dg

from bqx_ops.calendar import ISSUE_REVIEW
from bqx_ops.defs.cadence.partitions import ISSUE_REVIEW_PARTITIONS
from bqx_ops.defs.cadence.schedules import period_schedule
from bqx_ops.defs.issue_review.assets import issue_review_notifications, issue_review_report, issue_review_tables

issue_review_job = dg.define_asset_job(
    "issue_review_job",
    selection=dg.AssetSelection.assets(issue_review_tables, issue_review_report, issue_review_notifications),
    executor_def=dg.in_process_executor,
    description="Stage 10.7: collect, triage and report the issues of review periods (QA-001).",
)


def issue_review_schedule(mode: str) -> dg.ScheduleDefinition:
    return period_schedule(
        "issue_review_schedule", ISSUE_REVIEW, issue_review_job, ISSUE_REVIEW_PARTITIONS, mode,
        f"{ISSUE_REVIEW.title} -> {ISSUE_REVIEW.owner}, for the period that just closed",
    )
