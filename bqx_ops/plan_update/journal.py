"""Learnings and decisions recorded during a week.

A record belongs to the first week whose as-of snapshot holds it (valid) while last
week's did not. So an entry typed this week is reported this week, whatever its Date,
and one quarantined when entered (a bad link, say) is reported in the week it was
fixed rather than never. Without last week's snapshot (the first week of the data) a
record counts when its creation time (``createdTime``, else its Date) is in the week's
[start, end) window.
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import as_date, records, text

LEARNING_FIELDS = ("record_id", "title", "date", "stage_id", "what_worked", "what_didn_t", "created_time")
DECISION_FIELDS = ("record_id", "title", "date", "stage_id", "decision", "rationale", "decided_by", "created_time")


def _naive_utc(value) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts).to_pydatetime()


def _recorded_at(row: dict) -> dt.datetime | None:
    created = _naive_utc(row.get("created_time"))
    day = as_date(row.get("date"))
    return created or (dt.datetime.combine(day, dt.time()) if day else None)


def recorded_in_week(now: pd.DataFrame, before: pd.DataFrame | None, start: dt.datetime, end: dt.datetime,
                     fields: tuple[str, ...]) -> list[dict]:
    """Rows of ``now`` new since ``before`` (or created in [start, end) without it), by date, title, id."""
    known = {text(r.get("record_id")) for r in records(before)} if before is not None else None
    start, end = _naive_utc(start), _naive_utc(end)
    out = []
    for r in records(now):
        if known is not None:
            new = text(r.get("record_id")) not in known
        else:
            at = _recorded_at(r)
            new = at is not None and start <= at < end
        if new:
            out.append({f: r.get(f) for f in fields})
    return sorted(out, key=lambda r: (as_date(r.get("date")) or dt.date.min, text(r.get("title")) or "",
                                      text(r.get("record_id")) or ""))
