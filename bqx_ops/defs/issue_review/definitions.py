"""The issue-review domain (Stage 10.7)."""

import dagster as dg

from bqx_ops.defs.issue_review import assets, checks
from bqx_ops.defs.issue_review.escalations import unresolved_issue_job, unresolved_issue_sensor
from bqx_ops.defs.issue_review.schedules import issue_review_job, issue_review_schedule


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets]),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[issue_review_job, unresolved_issue_job],
        schedules=[issue_review_schedule(mode)],
        sensors=[unresolved_issue_sensor(mode)],
    )
