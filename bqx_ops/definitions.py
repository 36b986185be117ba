"""The bqx_ops code location: one entry point for `dagster dev` and `dg`."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from bqx_ops import settings
from bqx_ops.defs.airtable import assets as airtable_assets
from bqx_ops.defs.airtable import checks as airtable_checks
from bqx_ops.defs.airtable.schedules import snapshot_job, snapshot_schedule
from bqx_ops.defs.cadence.jobs import reminder_job
from bqx_ops.defs.cadence.schedules import reminder_schedules
from bqx_ops.defs.outbox import assets as outbox_assets
from bqx_ops.defs.outbox import checks as outbox_checks
from bqx_ops.defs.outbox.sensors import deliver_after_runs_sensor, outbox_delivery_job, retry_schedule
from bqx_ops.resources.factory import build_resources


def build_defs(mode: str | None = None, data_dir: Path | None = None) -> dg.Definitions:
    """Definitions for a mode and data dir (defaults: the environment, see README)."""
    mode = mode or settings.mode()
    data_dir = Path(data_dir) if data_dir else settings.data_dir()
    return dg.Definitions(
        assets=dg.load_assets_from_modules([airtable_assets, outbox_assets]),
        asset_checks=dg.load_asset_checks_from_modules([airtable_checks, outbox_checks]),
        jobs=[snapshot_job, reminder_job, outbox_delivery_job],
        schedules=[snapshot_schedule(mode), *reminder_schedules(mode), retry_schedule(mode)],
        sensors=[deliver_after_runs_sensor(mode)],
        resources=build_resources(mode, data_dir),
        executor=dg.in_process_executor,
    )


defs = build_defs()
