"""The 360 assessment job and its schedule: last Friday of Mar/Jun/Sep/Dec, 09:00 UTC, for the open quarter.

Cron can only say "Fridays 09:00 of quarter-end months"; ``ASSESSMENT.is_due`` keeps the last one.
"""

import dagster as dg

from bqx_ops.calendar import ASSESSMENT
from bqx_ops.defs.assessment.assets import GROUP
from bqx_ops.defs.cadence.schedules import default_status

assessment_job = dg.define_asset_job(
    "assessment_job",
    selection=dg.AssetSelection.groups(GROUP),
    executor_def=dg.in_process_executor,
    description="Stage 10.8: the quarterly 360 plan assessment of the selected quarters (ARCH-001).",
)


def assessment_schedule(mode: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="assessment_schedule",
        cron_schedule=ASSESSMENT.cron,
        execution_timezone="UTC",
        job=assessment_job,
        default_status=default_status(mode),
        description=f"{ASSESSMENT.title} -> {ASSESSMENT.owner}: last Friday of the quarter, 09:00 UTC",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time
        if not ASSESSMENT.is_due(tick):
            return dg.SkipReason(f"{tick:%Y-%m-%d %H:%M} is not the last Friday of the quarter")
        key = f"{tick.year}-{(tick.month - 1) // 3 * 3 + 1:02d}-01"  # the quarter containing the tick
        return dg.RunRequest(run_key=f"{ASSESSMENT.name}:{key}", partition_key=key,
                             tags={"bqx_ops/cadence": ASSESSMENT.name})

    return _schedule
