"""Daily snapshot job and schedule: today's Airtable snapshot, before any cadence run."""

import dagster as dg

from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.defs.cadence.schedules import default_status

snapshot_job = dg.define_asset_job(
    "airtable_snapshot_job",
    selection=dg.AssetSelection.assets(raw_records, airtable_tables),
    executor_def=dg.in_process_executor,
    description="Take (live) or replay (local) the Airtable snapshots of the selected days.",
)


def snapshot_schedule(mode: str) -> dg.ScheduleDefinition:
    # 08:00 UTC precedes every cadence run (09:00 sync, 10:00 review, 16:00 plan update),
    # and the daily partition of today exists thanks to end_offset=1.
    @dg.schedule(
        name="airtable_snapshot_schedule",
        cron_schedule="0 8 * * *",
        execution_timezone="UTC",
        job=snapshot_job,
        default_status=default_status(mode),
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        return dg.RunRequest(run_key=f"snapshot:{day}", partition_key=day)

    return _schedule
