"""The 360 assessment jobs and the schedule of its three weeks.

Fridays 09:00 UTC of quarter-end months (cron's superset); ``ASSESSMENT_WEEKS.is_due`` keeps the
draft at the 3-week reminder, the two weekly refreshes and the final on the last Friday. Each
tick runs the open quarter, which does every version whose instant has come.
"""

import datetime as dt

import dagster as dg

from bqx_ops.calendar import ASSESSMENT, Cadence, is_assessment_day
from bqx_ops.defs.assessment.assets import ASSESSMENT_PARTITIONS, GROUP
from bqx_ops.defs.assessment.followup import OUTCOME_KEY
from bqx_ops.defs.cadence.schedules import default_status

assessment_job = dg.define_asset_job(
    "assessment_job",
    selection=dg.AssetSelection.groups(GROUP) - dg.AssetSelection.assets(OUTCOME_KEY),
    executor_def=dg.in_process_executor,
    description="Stage 10.8: the quarterly 360 plan assessment of the selected quarters (ARCH-001).",
)
approval_followup_job = dg.define_asset_job(
    "assessment_approval_job",
    selection=dg.AssetSelection.assets(OUTCOME_KEY),
    executor_def=dg.in_process_executor,
    description="Stage 10.8: RM-001's answer recorded; approved Airtable updates applied through the outbox.",
)


def _is_assessment_week(day: dt.date) -> bool:
    return any(is_assessment_day(day + dt.timedelta(weeks=k)) for k in range(4))


ASSESSMENT_WEEKS = Cadence("assessment_360", ASSESSMENT.title, ASSESSMENT.cron, ASSESSMENT.role,
                           keep=_is_assessment_week)


def assessment_schedule(mode: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="assessment_schedule", cron_schedule=ASSESSMENT_WEEKS.cron, execution_timezone="UTC",
        job=assessment_job, default_status=default_status(mode),
        description=f"{ASSESSMENT.title} -> {ASSESSMENT.owner}: draft 3 weeks before the last Friday of the "
                    "quarter, refreshed weekly, final on the last Friday, 09:00 UTC",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time
        if not ASSESSMENT_WEEKS.is_due(tick):
            return dg.SkipReason(f"{tick:%Y-%m-%d %H:%M} is not in the 360 assessment's three weeks")
        key = ASSESSMENT_PARTITIONS.get_partition_key_for_timestamp(tick.timestamp())
        return dg.RunRequest(run_key=f"assessment_360:{key}:{tick:%Y-%m-%d}", partition_key=key,
                             tags={"bqx_ops/cadence": ASSESSMENT.name})

    return _schedule
