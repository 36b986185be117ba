"""The Airtable snapshot domain."""

import dagster as dg

from bqx_ops.defs.airtable import assets, checks
from bqx_ops.defs.airtable.schedules import snapshot_job, snapshot_schedule


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets]),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[snapshot_job],
        schedules=[snapshot_schedule(mode)],
    )
