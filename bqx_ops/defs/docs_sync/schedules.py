"""The docs-sync job and its Monday 09:00 UTC schedule (from bqx_ops.calendar.WEEKLY_SYNC)."""

import datetime as dt

import dagster as dg

from bqx_ops.calendar import WEEKLY_SYNC
from bqx_ops.defs.cadence.schedules import default_status
from bqx_ops.defs.docs_sync.weeks import DOCS_SYNC_PARTITIONS, GROUP

docs_sync_job = dg.define_asset_job(
    "docs_sync_job",
    selection=dg.AssetSelection.groups(GROUP),  # partitioned by DOCS_SYNC_PARTITIONS, inferred
    executor_def=dg.in_process_executor,
    description="Stage 10.5: export Airtable to the bqx-ml repository, commit, push, tag, notify.",
)


def closed_week_key(tick: dt.datetime) -> str | None:
    """The partition of the week that closes at ``tick`` (keyed by the Monday that opened it)."""
    opened = WEEKLY_SYNC.ticks(tick.date() - dt.timedelta(days=7), tick.date() - dt.timedelta(days=1))
    first = DOCS_SYNC_PARTITIONS.get_first_partition_key()
    key = opened[-1].strftime("%Y-%m-%d") if opened else None
    return key if key and key >= first else None


def weekly_sync_schedule(mode: str) -> dg.ScheduleDefinition:
    # The 08:00 snapshot schedule has taken Monday's snapshot by now.
    @dg.schedule(
        name="weekly_sync_schedule",
        cron_schedule=WEEKLY_SYNC.cron,
        execution_timezone="UTC",
        job=docs_sync_job,
        default_status=default_status(mode),
        description=f"{WEEKLY_SYNC.title} ({WEEKLY_SYNC.owner}): the week that just closed.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time
        if not WEEKLY_SYNC.is_due(tick):
            return dg.SkipReason(f"{tick:%Y-%m-%d %H:%M} is not a {WEEKLY_SYNC.name} tick")
        key = closed_week_key(tick)
        if key is None:
            return dg.SkipReason(f"no week has closed yet at {tick:%Y-%m-%d %H:%M}")
        return dg.RunRequest(run_key=f"{WEEKLY_SYNC.name}:{key}", partition_key=key,
                             tags={"bqx_ops/cadence": WEEKLY_SYNC.name})

    return _schedule
