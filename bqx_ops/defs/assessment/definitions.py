"""Stage 10.8, the quarterly 360 plan assessment, and RM-001's approval loop."""

import dagster as dg

from bqx_ops.defs.assessment import assets, checks, followup
from bqx_ops.defs.assessment.schedules import approval_followup_job, assessment_job, assessment_schedule
from bqx_ops.defs.assessment.sensors import assessment_approval_sensor


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets, followup]),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[assessment_job, approval_followup_job],
        schedules=[assessment_schedule(mode)],
        sensors=[assessment_approval_sensor(mode)],
    )
