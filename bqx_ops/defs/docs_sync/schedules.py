"""The docs-sync job and its Monday 09:00 UTC schedule (from bqx_ops.calendar.WEEKLY_SYNC)."""


import dagster as dg

from bqx_ops.calendar import WEEKLY_SYNC
from bqx_ops.defs.cadence.schedules import period_schedule
from bqx_ops.defs.docs_sync.weeks import DOCS_SYNC_PARTITIONS, GROUP

docs_sync_job = dg.define_asset_job(
    "docs_sync_job",
    selection=dg.AssetSelection.groups(GROUP),  # partitioned by DOCS_SYNC_PARTITIONS, inferred
    executor_def=dg.in_process_executor,
    description="Stage 10.5: export Airtable to the docs repository, commit, push, tag, notify.",
)


def weekly_sync_schedule(mode: str) -> dg.ScheduleDefinition:
    # The 08:00 snapshot schedule has taken Monday's snapshot by now.
    return period_schedule(
        "weekly_sync_schedule", WEEKLY_SYNC, docs_sync_job, DOCS_SYNC_PARTITIONS, mode,
        f"{WEEKLY_SYNC.title} ({WEEKLY_SYNC.owner}): the week that just closed.",
    )
