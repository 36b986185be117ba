"""Watches RM-001's answer on each final assessment's approval request (Airtable Decisions, through the resource).

One cheap filtered request per tick for the requests of the last year's finals; it never opens
DuckDB. A new answer (Approved / Rejected, keyed by the record's Last Modified) requests one run
of the approval job for that quarter; so does a request still unanswered a week after it was
made (once), so that the follow-through check can say so.
"""

import datetime as dt

import dagster as dg

from bqx_ops.assessment import approval, read
from bqx_ops.calendar import UTC
from bqx_ops.defs.assessment.assets import ASSESSMENT_PARTITIONS
from bqx_ops.defs.assessment.schedules import approval_followup_job
from bqx_ops.resources.airtable import AirtableSource

LOOKBACK_QUARTERS = 4


def requested_quarters(now: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """(partition key, quarter, final instant) of the last quarters whose final is out at ``now``."""
    out = []
    for key in ASSESSMENT_PARTITIONS.get_partition_keys(current_time=now):
        start = ASSESSMENT_PARTITIONS.time_window_for_partition_key(key).start
        final = read.as_of(start)
        if final <= now:
            out.append((key, read.label(start), final))
    return out[-LOOKBACK_QUARTERS:]


def approval_run_requests(quarters, found: dict[str, dict], now: dt.datetime) -> list[dg.RunRequest]:
    requests = []
    for key, quarter, final in quarters:
        answer = approval.answer_of(found.get(approval.approval_title(quarter)))
        if answer.status != approval.PENDING:
            run_key = f"approval:{quarter}:{answer.status}:{answer.decided_at}"
        elif now > final + approval.FOLLOW_UP:
            run_key = f"approval:{quarter}:unanswered"
        else:
            continue
        requests.append(dg.RunRequest(run_key=run_key, partition_key=key, tags={"bqx_ops/approval": answer.status}))
    return requests


def assessment_approval_sensor(mode: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="assessment_approval_sensor", job=approval_followup_job, minimum_interval_seconds=3600,
        default_status=dg.DefaultSensorStatus.RUNNING if mode == "live" else dg.DefaultSensorStatus.STOPPED,
        description="RM-001's answer on a final 360 assessment -> record it, apply approved updates (hourly).",
    )
    def _sensor(context: dg.SensorEvaluationContext, airtable: AirtableSource):
        now = dt.datetime.now(UTC)
        quarters = requested_quarters(now)
        if not quarters:
            return dg.SkipReason("no final 360 assessment yet")
        found = airtable.find_records("Decisions", "Title", [approval.approval_title(q) for _, q, _ in quarters])
        requests = approval_run_requests(quarters, found, now)
        return requests or dg.SkipReason("no new answer from RM-001")

    return _sensor
