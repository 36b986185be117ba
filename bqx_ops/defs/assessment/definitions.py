"""Stage 10.8, the quarterly 360 plan assessment."""

import dagster as dg

from bqx_ops.defs.assessment import assets, checks
from bqx_ops.defs.assessment.schedules import assessment_job, assessment_schedule


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets]),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[assessment_job],
        schedules=[assessment_schedule(mode)],
    )
