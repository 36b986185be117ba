"""Stage 10.5, the weekly repository and documentation sync."""

import dagster as dg

from bqx_ops.defs.docs_sync import assets, checks, repo_assets
from bqx_ops.defs.docs_sync.publication import ordered_publication, publication_job
from bqx_ops.defs.docs_sync.schedules import docs_sync_job, weekly_sync_schedule
from bqx_ops.defs.docs_sync.sensors import airtable_change_sensor


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=[*dg.load_assets_from_modules([assets, repo_assets]), ordered_publication],
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[docs_sync_job, publication_job],
        schedules=[weekly_sync_schedule(mode)],
        sensors=[airtable_change_sensor(mode)],
    )
