"""The quarter of a partition, its as-of instant, and the assessment inputs read from DuckDB as of it.

Only rows of plan weeks and review periods that end inside the quarter and at or before
the as-of instant are read (never later data); a missing or empty table is "no data".
"""

from __future__ import annotations

import datetime as dt
import functools
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable

import duckdb

from bqx_ops.asof import as_of_snapshot
from bqx_ops.assessment.inputs import read_people
from bqx_ops.assessment.score import QuarterInputs
from bqx_ops.calendar import ASSESSMENT, ISSUE_REVIEW, PLAN_UPDATE, assessment_date, first_tick, naive_utc
from bqx_ops.db import table_exists
from bqx_ops.issue_review.model import OPEN
from bqx_ops.issue_review.rules import p0_p1_sla_hours
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import records

ISSUE_FIELDS = ("fingerprint", "priority", "untriaged", "title", "owner", "age_hours", "url", "source", "created_at")


def quarter_of(start: dt.datetime) -> tuple[int, int]:
    return start.year, (start.month - 1) // 3 + 1


def label(start: dt.datetime) -> str:
    year, q = quarter_of(start)
    return f"Q{q}-{year}"


def as_of(start: dt.datetime) -> dt.datetime:
    """The assessment instant of the quarter opened at ``start``: its last Friday, 09:00 UTC."""
    day = assessment_date(*quarter_of(start))
    return ASSESSMENT.ticks(day, day)[0]


_SHARED: ContextVar[dict | None] = ContextVar("assessment_shared_reads", default=None)


@contextmanager
def shared_reads():
    """Inside, a read below asked again with the same arguments on the same connection is not made
    again: one version's inputs, evidence and metrics read the same plan week, week rows and open
    issues (3 times each). Only around reads of one instant, with nothing written meanwhile."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared(read):
    @functools.wraps(read)
    def shared(conn, *args):
        memo = _SHARED.get()
        if memo is None:
            return read(conn, *args)
        key = (read.__name__, id(conn), *args)
        if key not in memo:
            memo[key] = read(conn, *args)
        return _copy(memo[key])
    return shared


def _copy(value):
    """Each caller its own dicts and sets (a caller may change what it was given)."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return set(value)
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def _rows(conn, sql: str, params: list) -> list[dict]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


TIMELINE_DELAY = "timeline_delay"  # the review's "past its estimate" issue of a stage
WEEK_TABLES = ("plan.budget_variance", "plan.plan_timeline", "plan.r2_trend", "plan.forecast_at_completion")


def _latest_end(conn, table: str, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    schema, name = table.split(".")
    if not table_exists(conn, schema, name):
        return None
    return conn.execute(f"SELECT max(period_end) FROM {table} WHERE period_end > ? AND period_end <= ?",
                        [naive_utc(start), naive_utc(end)]).fetchone()[0]


def latest_review(conn, start: dt.datetime, when: dt.datetime) -> dt.datetime | None:
    """The end of the latest issue review ending inside the quarter at or before ``when`` (None: none)."""
    return _latest_end(conn, "review.review_periods", start, when)


@_shared
def plan_week(conn, start: dt.datetime, when: dt.datetime) -> dt.datetime | None:
    """The end of the plan week every plan figure of the assessment is read at: the latest plan week ending
    inside the quarter at or before ``when`` (a week has one row in each of WEEK_TABLES). A table with no
    row for that week has nothing for it (no overdue stage, say): never an older week's rows."""
    ends = [e for e in (_latest_end(conn, t, start, when) for t in WEEK_TABLES) if e is not None]
    return max(ends, default=None)


def unrun_inputs(conn, start: dt.datetime, when: dt.datetime, project_start: dt.date) -> list[str]:
    """The plan week and the review an assessment as of ``when`` reads (the latest of each ending inside
    the quarter by then) when they have not run although the snapshots covered them (one at or before
    the period's start): scored without them, the quarter would say "no data" (or use an older week)
    only because of what ran first. Empty when both ran, or when no such period exists or the snapshots
    begin after it started (a replay from a later day): then "no data" is the truth."""
    missing = []
    for cadence, what, ended in ((PLAN_UPDATE, "plan update of the week", plan_week(conn, start, when)),
                                 (ISSUE_REVIEW, "issue review of the period",
                                  _latest_end(conn, "review.review_periods", start, when))):
        first = first_tick(cadence, project_start)
        ticks = [t for t in cadence.ticks(start.date() - dt.timedelta(days=31), when.date()) if t <= when]
        if len(ticks) < 2 or ticks[-1] <= max(start, first):
            continue
        opened, end = ticks[-2], ticks[-1]
        if as_of_snapshot(conn, opened) is not None and (ended is None or ended < naive_utc(end)):
            missing.append(f"the {what} ending {end:%Y-%m-%d %H:%M} UTC")
    return missing


@_shared
def week_row(conn, table: str, week: dt.datetime | None) -> dict | None:
    """The first row of ``table`` for the plan week ending at ``week`` (None: no row that week)."""
    schema, name = table.split(".")
    if week is None or not table_exists(conn, schema, name):
        return None
    rows = _rows(conn, f"SELECT * FROM {table} WHERE period_end = ? ORDER BY position LIMIT 1", [week])
    return rows[0] if rows else None


# the inventory at an instant: the review's own collection and triage run at it (None: no data, the
# triage rules do not load); bqx_ops.defs.issue_review.sources.inventories_at
IssuesAt = Callable[[dt.datetime], "pd.DataFrame | None"]


def open_issues(issues_at: IssuesAt, when: dt.datetime) -> tuple[tuple[dict, ...] | None, tuple[dict, ...] | None]:
    """(open issues, those of them past their SLA) at ``when``: the one source of open issues of an
    assessment, every source collected and triaged at the instant (only what existed then), so an issue
    closed since the last review is not open and one opened since is. (None, None): no data."""
    inventory = issues_at(when)
    if inventory is None:
        return None, None
    open_ = records(inventory[inventory["state"] == OPEN][[*ISSUE_FIELDS, "kind", "stage_record_id", "breached"]]
                    .sort_values("fingerprint", kind="stable"))
    breaches = tuple({"fingerprint": r["fingerprint"], "priority": r["priority"]} for r in open_ if r.pop("breached"))
    return tuple(open_), breaches


def read_inputs(conn: duckdb.DuckDBPyConnection, start: dt.datetime, when: dt.datetime,
                issues_at: IssuesAt) -> QuarterInputs:
    """The inputs of the quarter opened at ``start``, as of ``when`` (its open issues: ``issues_at`` it)."""
    week = plan_week(conn, start, when)
    r2 = week_row(conn, "plan.r2_trend", week)
    trends: tuple[str, ...] = ()
    if r2 is not None:
        trends = tuple(t or "" for (t,) in conn.execute(
            "SELECT trend FROM plan.r2_trend WHERE period_end > ? AND period_end <= ? ORDER BY period_end, position",
            [naive_utc(start), week]).fetchall())
    issues, breaches = open_issues(issues_at, when)
    return QuarterInputs(
        r2=r2, r2_trends=trends, budget=week_row(conn, "plan.budget_variance", week),
        timeline=week_row(conn, "plan.plan_timeline", week), open_issues=issues, breaches=breaches,
        people=read_people(conn, label(start), start, when, issues_at(when)),
        sla_hours=tuple(p0_p1_sla_hours().values()),
    )


def risks(inputs: QuarterInputs) -> list[dict]:
    """Open P0/P1 issues, most severe and oldest first."""
    high = [x for x in inputs.open_issues or () if x.get("priority") in ("P0", "P1")]
    return sorted(high, key=lambda x: (x["priority"], -(x.get("age_hours") or 0.0), x.get("fingerprint") or ""))
