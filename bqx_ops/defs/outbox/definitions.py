"""The outbox: delivery of every side effect."""

import dagster as dg

from bqx_ops.defs.outbox import assets, checks
from bqx_ops.defs.outbox.sensors import deliver_after_runs_sensor, outbox_delivery_job, retry_schedule


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets]),
        asset_checks=dg.load_asset_checks_from_modules([checks]),
        jobs=[outbox_delivery_job],
        schedules=[retry_schedule(mode)],
        sensors=[deliver_after_runs_sensor(mode)],
    )
