"""Breaches of a review and its trend against the previous review.

Trend changes, per fingerprint:

* ``new``: open now, not open at the previous review;
* ``new_resolved``: appeared and was resolved within the period;
* ``resolved``: open at the previous review, resolved now (or gone from its source); a CloudWatch episode
  open then and over now, with a later episode in the window, is its own row (``…|since-<start>``) resolved;
* ``recurred``: open at the previous review, whose episode ended (its issue now begins later: a CloudWatch
  quiet gap, a stage late again after a re-opening) and began again: the earlier episode counts as resolved
  and this one as new, never as "still open" with a younger age, nor as a change of priority;
* ``still_open``: open at both; ``priority_changed`` says whether its priority moved;
* ``unknown``: open at the previous review and not seen now because its source has no data this
  time (no landed file): never counted as resolved.
"""

from __future__ import annotations

from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import records
from bqx_ops.issue_review.model import BREACH_COLUMNS, OPEN, PRIORITY_ORDER, TREND_COLUMNS, ReviewPeriod, fingerprint

CHANGES = ("new", "new_resolved", "recurred", "resolved", "still_open", "unknown")
NEW, RESOLVED_NOW = ("new", "new_resolved", "recurred"), ("resolved", "new_resolved", "recurred")


def sla_breaches(inventory: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in records(inventory):
        if r["breached"]:
            over = round(r["age_hours"] - r["sla_hours"], 4)
            rows.append({**{k: r.get(k) for k in BREACH_COLUMNS}, "hours_over_sla": over})
    rows.sort(key=lambda r: (PRIORITY_ORDER.get(r["priority"], 9), -r["hours_over_sla"], r["fingerprint"]))
    return frame(rows, BREACH_COLUMNS)


def _later(now, before) -> bool:
    """The issue now begins after it began at the previous review: another episode of it."""
    return now is not None and before is not None and now == now and before == before and now > before


def _continued(now: dict, before: dict) -> dict[str, str]:
    """fingerprint now -> the previous review's open issue it continues: an earlier episode of the window
    (``…|since-<start>``, ``episodes.log_issues``) that was the issue's open episode then (same creation).
    Its issue's latest episode is then new: the episode open then ended and has its own row, resolved with
    its time to close, never also counted as the earlier episode of a recurrence."""
    out = {}
    for fp, r in now.items():
        ref = r.get("source_ref") or ""
        if "|since-" not in ref:
            continue
        issue = fingerprint(r["source"], ref.rsplit("|since-", 1)[0])
        if issue in before and before[issue]["created_at"] == r["created_at"]:
            out[fp] = issue
    return out


def trend(inventory: pd.DataFrame, previous: pd.DataFrame | None, period: ReviewPeriod,
          without_data=frozenset()) -> pd.DataFrame:
    before = {r["fingerprint"]: r for r in records(previous) if r["state"] == OPEN} if previous is not None else {}
    rows = []
    now = {r["fingerprint"]: r for r in records(inventory)}
    continued = _continued(now, before)
    taken = set(continued.values())
    for fp in sorted(set(now) | set(before)):
        cur, old = now.get(fp), before.get(fp)
        if fp in continued:
            old = before[continued[fp]]  # the same episode, over now
        elif fp in taken:
            if cur is None:
                continue  # (never: a since- row comes with its issue's latest episode)
            old = None  # its open episode is the row above: this one began since
        if cur is None and old["source"] in without_data:
            change = "unknown"  # its source said nothing this time: not a resolution
        elif cur is None:
            change = "resolved"
        elif old is not None and _later(cur["created_at"], old["created_at"]):
            change = "recurred"  # open or resolved again: either way the earlier episode ended
        elif old is not None and cur["state"] != OPEN:
            change = "resolved"
        elif old is None:
            change = "new" if cur["state"] == OPEN else "new_resolved"
        else:
            change = "still_open"
        base = cur or old
        rows.append({
            "period_start": period.start, "period_end": period.end, "fingerprint": fp, "source": base["source"],
            "title": base["title"], "change": change, "previous_priority": old["priority"] if old else None,
            "priority": cur["priority"] if cur else None,
            "priority_changed": bool(old and cur and change != "recurred" and old["priority"] != cur["priority"]),
        })
    rows.sort(key=lambda r: (CHANGES.index(r["change"]), PRIORITY_ORDER.get(r["priority"] or r["previous_priority"], 9),
                             r["fingerprint"]))
    return frame(rows, TREND_COLUMNS)
