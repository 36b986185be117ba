"""Delivery runs after every successful run that may have enqueued intents, and on a timer
for retries. Neither trigger opens DuckDB: the sensor process must never take its lock."""

import dagster as dg

from bqx_ops.defs.cadence.schedules import default_status
from bqx_ops.defs.outbox.assets import outbox_delivery

outbox_delivery_job = dg.define_asset_job(
    "outbox_delivery_job",
    selection=dg.AssetSelection.assets(outbox_delivery),
    executor_def=dg.in_process_executor,
    description="One outbox delivery pass.",
)


def deliver_after_runs_sensor(mode: str) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="deliver_after_runs_sensor",
        request_job=outbox_delivery_job,
        default_status=dg.DefaultSensorStatus.RUNNING if mode == "live" else dg.DefaultSensorStatus.STOPPED,
        minimum_interval_seconds=30,
    )
    def _sensor(context: dg.RunStatusSensorContext):
        if context.dagster_run.job_name == outbox_delivery_job.name:
            return dg.SkipReason("a delivery run itself enqueues nothing")
        return dg.RunRequest(run_key=f"deliver-after:{context.dagster_run.run_id}")

    return _sensor


def retry_schedule(mode: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="outbox_retry_schedule",
        cron_schedule="*/10 * * * *",
        execution_timezone="UTC",
        job=outbox_delivery_job,
        default_status=default_status(mode),
        description="Retries intents whose back-off has passed.",
    )
