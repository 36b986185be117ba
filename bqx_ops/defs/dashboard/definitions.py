"""The seed's Success Metrics Dashboard: weekly, Monday 11:00 UTC, after the 09:00 sync it reads."""

import dagster as dg

from bqx_ops.calendar import DASHBOARD
from bqx_ops.defs.cadence.partitions import WEEKLY_SYNC_PARTITIONS
from bqx_ops.defs.cadence.schedules import period_schedule
from bqx_ops.defs.dashboard import assets, checks, cloudwatch, latency

dashboard_job = dg.define_asset_job(
    "dashboard_job", selection=dg.AssetSelection.groups(assets.GROUP), executor_def=dg.in_process_executor,
    description="AWS daily costs, the weekly success metrics and docs/dashboard.md.",
)


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets, cloudwatch, latency]),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[dashboard_job],
        schedules=[period_schedule(
            "dashboard_schedule", DASHBOARD, dashboard_job, WEEKLY_SYNC_PARTITIONS, mode,
            "Every Monday 11:00 UTC: the success metrics of the week that just closed (COORD-001).",
        )],
    )
