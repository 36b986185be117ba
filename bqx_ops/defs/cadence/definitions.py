"""The operational calendar's reminders."""

import dagster as dg

from bqx_ops.defs.cadence.jobs import reminder_job
from bqx_ops.defs.cadence.schedules import reminder_schedules


def domain_defs(mode: str) -> dg.Definitions:
    return dg.Definitions(jobs=[reminder_job], schedules=reminder_schedules(mode))
