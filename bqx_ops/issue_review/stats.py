"""Resolution statistics in the style of GitHub's issue-metrics report.

For the whole review and by priority, category and source: issues open at the end
of the period, new in it (trend ``new``/``new_resolved``), resolved in it, open past
their SLA, and the time to close of the resolved ones (average, median and 90th
percentile with linear interpolation, in hours). Resolved counts every issue the trend
resolves, so the count is the report's "Resolved since the last review" list: an issue open at the
previous review that its source no longer reports (a CloudWatch episode gone quiet before the
window, a deleted GitHub issue) counts by its previous priority, category and source, without a
time to close (none is known). Every priority, category and
source has a row, with zeros, so reviews always compare line by line.
"""

from __future__ import annotations

from bqx_ops.base_schema import CATEGORIES, PRIORITIES
from bqx_ops.frames import frame
from bqx_ops.lazy import np, pd
from bqx_ops.plan_update.common import records
from bqx_ops.issue_review.model import OPEN, RESOLVED, STATS_COLUMNS, ReviewPeriod
from bqx_ops.issue_review.rules import SOURCES
from bqx_ops.issue_review.trend import NEW

UNTRIAGED = "untriaged"


def close_time_summary(hours: list[float]) -> tuple[float | None, float | None, float | None]:
    """(average, median, 90th percentile), None without resolved issues."""
    if not hours:
        return None, None, None
    values = np.array(sorted(hours), dtype=float)
    return (round(float(values.mean()), 4), round(float(np.median(values)), 4),
            round(float(np.percentile(values, 90)), 4))


def resolution_stats(inventory: pd.DataFrame, trend: pd.DataFrame, period: ReviewPeriod,
                     without_data=frozenset(), previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The statistics rows; a source in ``without_data`` (no data at all) has NULL counts, never zeros.
    ``previous`` is the previous review's inventory (its rows of issues no longer reported)."""
    rows = records(inventory)
    changes = records(trend)
    new = {r["fingerprint"] for r in changes if r["change"] in NEW}
    here = {r["fingerprint"] for r in rows}
    # issues no longer reported, and the earlier episode of one that recurred: resolved, time to close unknown
    ended = ({r["fingerprint"] for r in changes if r["change"] == "resolved"} - here) | \
        {r["fingerprint"] for r in changes if r["change"] == "recurred"}
    rows += [{**r, "state": RESOLVED, "time_to_close_hours": None, "breached": False, "earlier": True}
             for r in (records(previous) if previous is not None else []) if r["fingerprint"] in ended]
    groups: list[tuple[str, str, list[dict]]] = [("all", "all", rows)]
    for dimension, values, column in (("priority", PRIORITIES, "priority"), ("category", CATEGORIES, "category"),
                                      ("source", SOURCES, "source")):
        for value in values:
            groups.append((dimension, value, [r for r in rows if r[column] == value]))
        missing = [r for r in rows if r[column] is None]
        if missing:
            groups.append((dimension, UNTRIAGED, missing))
    out = []
    for dimension, value, members in groups:
        if dimension == "source" and value in without_data and not members:
            out.append({"period_start": period.start, "period_end": period.end, "dimension": dimension,
                        "value": value, **dict.fromkeys(list(STATS_COLUMNS)[4:])})
            continue
        closed = [r["time_to_close_hours"] for r in members if r["state"] == RESOLVED]
        avg, median, p90 = close_time_summary([h for h in closed if h is not None])
        out.append({
            "period_start": period.start, "period_end": period.end, "dimension": dimension, "value": value,
            "open": sum(r["state"] == OPEN for r in members), "new": sum(r["fingerprint"] in new and not r.get("earlier") for r in members),
            "resolved": len(closed), "breached": sum(bool(r["breached"]) for r in members),
            "avg_hours_to_close": avg, "median_hours_to_close": median, "p90_hours_to_close": p90,
        })
    return frame(out, STATS_COLUMNS)
