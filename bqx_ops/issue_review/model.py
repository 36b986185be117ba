"""What every source produces, the review period, and the table schemas of the review."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from bqx_ops.calendar import Period, naive_utc

OPEN, RESOLVED = "open", "resolved"
PRIORITY_ORDER = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}


def fingerprint(source: str, source_ref: str) -> str:
    """Stable id of an issue across reviews: its source and its reference in that source.

    Also the Airtable Task Key of its action item, so it stays short and readable. A reference holding a
    lone surrogate (a job name as the API sent it) is hashed as it is: UTF-8 refuses it, so the whole
    review failed."""
    digest = hashlib.sha256(f"{source}\x1f{source_ref}".encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{source}-{digest}"


def one_line(value, limit: int) -> str:
    """``value`` as text on one line (its runs of whitespace one space), cut to ``limit`` characters with
    "…": an issue's title, an action item's name."""
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def midnight(day: dt.date | None) -> dt.datetime | None:
    """The (naive UTC) start of ``day``: when a snapshot-dated fact became known."""
    return dt.datetime(day.year, day.month, day.day) if day else None


@dataclass(frozen=True)
class ReviewPeriod(Period):
    """A review's period [start, end), as of ``end``; held as naive UTC, like DuckDB."""

    @classmethod
    def of(cls, start: dt.datetime, end: dt.datetime) -> ReviewPeriod:
        return cls(naive_utc(start), naive_utc(end))


@dataclass
class Found:
    """An issue as a source reports it, before triage. Times are naive UTC."""

    source: str  # github | cloudwatch | sagemaker | airtable_notes | derived
    source_ref: str  # stable within the source: issue number, log group + fingerprint, job name...
    kind: str  # issue | log_pattern | training_failure | degradation | blocker | r2_drop | ...
    title: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None
    text: str = ""  # what rule patterns are searched in
    url: str | None = None
    author: str | None = None
    labels: tuple[str, ...] = ()
    priority: str | None = None  # set by the source itself (derived issues, escalations)
    category: str | None = None
    rule: str | None = None  # why the source set them
    stage_record_id: str | None = None
    stage_owner: str | None = None
    event_count: int | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    detail: str | None = None
    # The problem this evidence is about, when several sources can report it (an R² drop in Model
    # Results and the SageMaker degradation of the job behind it: "training-job:<name>"); issues
    # sharing it are merged into one (``merge.merge_evidence``).
    problem: str | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.source, self.source_ref)


INVENTORY_COLUMNS = {
    "period_start": "datetime64[us]", "period_end": "datetime64[us]", "fingerprint": "string",
    "source": "string", "source_ref": "string", "kind": "string", "title": "string", "url": "string",
    "author": "string", "labels": "string", "priority": "string", "category": "string",
    "untriaged": "bool", "triage_rules": "string", "owner": "string", "stage_record_id": "string",
    "state": "string", "created_at": "datetime64[us]", "resolved_at": "datetime64[us]",
    "age_hours": "float64", "time_to_close_hours": "float64", "sla_hours": "Int64",
    "sla_due_at": "datetime64[us]", "breached": "bool", "resolved_late": "bool",
    "event_count": "Int64", "first_seen": "datetime64[us]", "last_seen": "datetime64[us]",
    "detail": "string",
}
BREACH_COLUMNS = {
    "period_start": "datetime64[us]", "period_end": "datetime64[us]", "fingerprint": "string",
    "source": "string", "title": "string", "priority": "string", "category": "string", "owner": "string",
    "created_at": "datetime64[us]", "sla_due_at": "datetime64[us]", "age_hours": "float64",
    "hours_over_sla": "float64", "url": "string",
}
TREND_COLUMNS = {
    "period_start": "datetime64[us]", "period_end": "datetime64[us]", "fingerprint": "string",
    "source": "string", "title": "string", "change": "string", "previous_priority": "string",
    "priority": "string", "priority_changed": "bool",
}
STATS_COLUMNS = {
    "period_start": "datetime64[us]", "period_end": "datetime64[us]", "dimension": "string",
    "value": "string", "open": "Int64", "new": "Int64", "resolved": "Int64", "breached": "Int64",
    "avg_hours_to_close": "float64", "median_hours_to_close": "float64", "p90_hours_to_close": "float64",
}
ACTION_COLUMNS = {
    "period_start": "datetime64[us]", "period_end": "datetime64[us]", "task_key": "string",
    "name": "string", "priority": "string", "category": "string", "owner": "string",
    "due_date": "datetime64[us]", "status": "string", "sets_status": "bool", "stage_record_id": "string",
    "source": "string", "url": "string", "notes": "string",
}
PERIOD_COLUMNS = {
    "period_start": "datetime64[us]", "period_end": "datetime64[us]", "review_date": "datetime64[us]",
    "as_of_snapshot": "datetime64[us]", "found_by_source": "string", "problems": "string",
}
