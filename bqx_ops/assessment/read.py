"""The quarter of a partition, its as-of instant, and the assessment inputs read from DuckDB as of it.

Only rows of plan weeks and review periods that end inside the quarter and at or before
the as-of instant are read (never later data); a missing or empty table is "no data".
"""

from __future__ import annotations

import datetime as dt
import functools
from contextlib import contextmanager
from contextvars import ContextVar

import duckdb

from bqx_ops.asof import as_of_snapshot, read_as_of
from bqx_ops.assessment.inputs import read_people
from bqx_ops.assessment.score import QuarterInputs
from bqx_ops.calendar import ASSESSMENT, ISSUE_REVIEW, PLAN_UPDATE, assessment_date, first_tick, naive_utc
from bqx_ops.db import table_exists
from bqx_ops.issue_review.rules import p0_p1_sla_hours

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


def _finished_stages(conn, when: dt.datetime) -> set[str]:
    """Stages no longer In Progress in the snapshot as of ``when`` (a quarantined stage as its last valid
    version): a "past its estimate" issue of the review (up to two weeks older) is over for them."""
    _, stages = read_as_of(conn, "stages", when, carry_forward=True)
    if stages.empty:
        return set()
    return {str(r) for r, status in zip(stages["record_id"], stages["status"]) if status != "In Progress"}


def _still_open(rows: list[dict], finished: set[str]) -> tuple[dict, ...]:
    return tuple(r for r in rows if not (r.get("kind") == TIMELINE_DELAY and r.get("stage_record_id") in finished))


@_shared
def open_issues(conn, start: dt.datetime, when: dt.datetime) -> tuple[tuple[dict, ...] | None, set[str], object]:
    """(open issues, fingerprints over at ``when``, review end): the one source of open issues of an
    assessment. The latest review ending inside the quarter at or before ``when``, without the "past its
    estimate" issues of stages no longer In Progress at ``when``. None: no review."""
    review_end = _latest_end(conn, "review.review_periods", start, when)
    if review_end is None or not table_exists(conn, "review", "issue_inventory"):
        return None, set(), review_end
    rows = _rows(conn, "SELECT " + ", ".join(ISSUE_FIELDS) + ", kind, stage_record_id FROM review.issue_inventory"
                       " WHERE period_end = ? AND state = 'open' ORDER BY fingerprint", [review_end])
    issues = _still_open(rows, _finished_stages(conn, when))
    return issues, {r["fingerprint"] for r in rows} - {r["fingerprint"] for r in issues}, review_end


def read_inputs(conn: duckdb.DuckDBPyConnection, start: dt.datetime, when: dt.datetime) -> QuarterInputs:
    """The inputs of the quarter opened at ``start``, as of ``when``."""
    week = plan_week(conn, start, when)
    r2 = week_row(conn, "plan.r2_trend", week)
    trends: tuple[str, ...] = ()
    if r2 is not None:
        trends = tuple(t or "" for (t,) in conn.execute(
            "SELECT trend FROM plan.r2_trend WHERE period_end > ? AND period_end <= ? ORDER BY period_end, position",
            [naive_utc(start), week]).fetchall())
    issues, over, review_end = open_issues(conn, start, when)
    breaches = None
    if review_end is not None and table_exists(conn, "review", "sla_breaches"):
        breaches = tuple(r for r in _rows(conn, "SELECT fingerprint, priority FROM review.sla_breaches "
                                                "WHERE period_end = ? ORDER BY fingerprint", [review_end])
                         if r["fingerprint"] not in over)
    return QuarterInputs(
        r2=r2, r2_trends=trends, budget=week_row(conn, "plan.budget_variance", week),
        timeline=week_row(conn, "plan.plan_timeline", week), open_issues=issues, breaches=breaches,
        people=read_people(conn, label(start), start, when),
        sla_hours=tuple(p0_p1_sla_hours().values()),
    )


def risks(inputs: QuarterInputs) -> list[dict]:
    """Open P0/P1 issues, most severe and oldest first."""
    high = [x for x in inputs.open_issues or () if x.get("priority") in ("P0", "P1")]
    return sorted(high, key=lambda x: (x["priority"], -(x.get("age_hours") or 0.0), x.get("fingerprint") or ""))
