"""The 360 assessment job and its schedule: last Friday of Mar/Jun/Sep/Dec, 09:00 UTC, for the open quarter.

Cron can only say "Fridays 09:00 of quarter-end months"; ``ASSESSMENT.is_due`` keeps the last one.
"""

import dagster as dg

from bqx_ops.calendar import ASSESSMENT
from bqx_ops.defs.assessment.assets import ASSESSMENT_PARTITIONS, GROUP
from bqx_ops.defs.cadence.schedules import period_schedule

assessment_job = dg.define_asset_job(
    "assessment_job",
    selection=dg.AssetSelection.groups(GROUP),
    executor_def=dg.in_process_executor,
    description="Stage 10.8: the quarterly 360 plan assessment of the selected quarters (ARCH-001).",
)


def assessment_schedule(mode: str) -> dg.ScheduleDefinition:
    return period_schedule(
        "assessment_schedule", ASSESSMENT, assessment_job, ASSESSMENT_PARTITIONS, mode,
        f"{ASSESSMENT.title} -> {ASSESSMENT.owner}: last Friday of the quarter, 09:00 UTC",
        open_period=True,
    )
