"""The Friday 16:00 UTC plan update: one partitioned job, and its schedule built from it.

At each tick the schedule requests the partition that just closed: the week from last
Friday 16:00 to this Friday 16:00 (keyed by last Friday), computed as of this tick.
"""

import dagster as dg

from bqx_ops.calendar import PLAN_UPDATE
from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS
from bqx_ops.defs.cadence.schedules import period_schedule
from bqx_ops.defs.plan_update.tables import GROUP

plan_update_job = dg.define_asset_job(
    "plan_update_job",
    selection=dg.AssetSelection.groups(GROUP),  # partitioned by PLAN_UPDATE_PARTITIONS, like its assets
    executor_def=dg.in_process_executor,
    description="Stage 10.6: the weekly plan update of the selected weeks (one run for a backfill).",
)


def plan_update_schedule(mode: str) -> dg.ScheduleDefinition:
    return period_schedule(
        "plan_update_schedule", PLAN_UPDATE, plan_update_job, PLAN_UPDATE_PARTITIONS, mode,
        "Every Friday 16:00 UTC: the plan update of the week that just closed (COORD-001).",
    )
