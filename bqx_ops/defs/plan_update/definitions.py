"""Stage 10.6, the weekly plan update."""

import dagster as dg

from bqx_ops.defs.plan_update import assets, checks, outputs
from bqx_ops.defs.plan_update.schedules import plan_update_job, plan_update_schedule


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets, outputs]),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[plan_update_job],
        schedules=[plan_update_schedule(mode)],
    )
