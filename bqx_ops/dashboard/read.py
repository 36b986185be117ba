"""Facts for the dashboard read from DuckDB as of one instant: only rows whose period ended by then.

A missing table or column gives None (no data), never an error.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from bqx_ops.assessment.approval import approval_title
from bqx_ops.assessment.read import as_of as assessment_instant
from bqx_ops.calendar import naive_utc
from bqx_ops.dashboard.costs import CostRow, month_figures
from bqx_ops.dashboard.latency import DailyP95, week_p95
from bqx_ops.dashboard.indicators import Facts
from bqx_ops.issue_review.model import OPEN
from bqx_ops.lazy import pd

ISSUE_AGE_HOURS = {"P0": 24, "P1": 24 * 7}


def _tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {f"{s}.{t}" for s, t in conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}


def _one(conn, tables: set[str], table: str, sql: str, params: list):
    if table not in tables:
        return None
    try:
        return conn.execute(sql, params).fetchone()
    except duckdb.Error:  # a table of an older shape: no data rather than a crash
        return None


def _latest_plan_week(conn, tables, at) -> dt.datetime | None:
    row = _one(conn, tables, "plan.dashboard", "SELECT max(period_start) FROM plan.dashboard WHERE period_end <= ?",
               [at])
    return row[0] if row else None


def _plan_value(conn, tables, table: str, column: str, week) -> float | None:
    if week is None:
        return None
    row = _one(conn, tables, table, f"SELECT {column} FROM {table} WHERE period_start = ? ORDER BY position LIMIT 1",
               [week])
    return None if row is None or row[0] is None or row[0] != row[0] else float(row[0])


def past_sla(inventory: pd.DataFrame) -> tuple[int, int]:
    """(P0, P1): open issues of an inventory triaged at an instant, older than 24 h / 1 week at it."""
    open_ = inventory[inventory["state"] == OPEN]
    return tuple(int(((open_["priority"] == p) & (open_["age_hours"] > hours)).sum())
                 for p, hours in ISSUE_AGE_HOURS.items())


def _approved(tables) -> str | None:
    """SQL of the quarters whose approval request RM-001 had approved in the latest snapshot at its 4th
    parameter (the instant); None without the Decisions table."""
    if "airtable.decisions" not in tables:
        return None
    return ("SELECT substr(title, length(?) + 1, length(title) - length(?) - length(?)) AS quarter "
            "FROM airtable.decisions WHERE snapshot_date = (SELECT max(snapshot_date) FROM airtable.decisions "
            "WHERE snapshot_date <= ?) AND approval = 'Approved' AND title LIKE ? || '%' || ?")


def _assessments(conn, tables, as_of: dt.datetime, at) -> tuple[float | None, int | None, int]:
    """Plan Alignment and the 360 count use approved assessments only (RM-001's answer as of ``at``)."""
    year_start = dt.datetime(as_of.year, 1, 1)
    due = sum(1 for m in (1, 4, 7, 10) if assessment_instant(dt.datetime(as_of.year, m, 1, tzinfo=dt.timezone.utc))
              <= as_of)
    approved = _approved(tables)
    if approved is None:
        return None, None, due
    prefix, suffix = approval_title("\0").split("\0")
    params = [prefix, prefix, suffix, at, prefix, suffix]
    latest = _one(conn, tables, "assessment.quarterly_scores",
                  f"SELECT overall FROM assessment.quarterly_scores WHERE as_of <= ? AND overall IS NOT NULL "
                  f"AND quarter IN ({approved}) ORDER BY as_of DESC, position LIMIT 1", [at, *params])
    count = _one(conn, tables, "assessment.quarterly_scores",
                 f"SELECT count(DISTINCT quarter) FROM assessment.quarterly_scores WHERE as_of <= ? "
                 f"AND quarter_start >= ? AND quarter IN ({approved})", [at, year_start, *params])
    overall = None if not latest or latest[0] != latest[0] else float(latest[0])
    return overall, (None if count is None else int(count[0])), due


def cost_rows(conn, tables, at) -> list[CostRow] | None:
    if "aws.daily_costs" not in tables:
        return None
    try:
        rows = conn.execute("SELECT day, service, amount_usd FROM aws.daily_costs WHERE day < ?::DATE ORDER BY day, "
                            "service", [at.date()]).fetchall()
    except duckdb.Error:
        return None
    return [CostRow(d.date() if isinstance(d, dt.datetime) else d, s, float(a)) for d, s, a in rows]


def cost_problems(conn, tables, at) -> tuple[tuple[str, ...], bool]:
    """The cost data problems of ``at``'s month, and whether that month has no usable data at all."""
    if "aws.cost_problems" not in tables:
        return (), False
    rows = conn.execute("SELECT problem, no_data FROM aws.cost_problems WHERE month = ? ORDER BY problem",
                        [f"{at:%Y-%m}"]).fetchall()
    return tuple(p for p, _ in rows), any(bool(n) for _, n in rows)


def latency_points(conn, tables, at) -> list[DailyP95] | None:
    """The landed daily p95 points of the 7 days before ``at`` (aws.api_latency), None without the table."""
    if "aws.api_latency" not in tables:
        return None
    rows = conn.execute("SELECT day, p95_ms FROM aws.api_latency WHERE day < ?::DATE AND day >= ?::DATE - 7 "
                        "ORDER BY day", [at.date(), at.date()]).fetchall()
    return [DailyP95(d.date() if isinstance(d, dt.datetime) else d, float(v)) for d, v in rows]


def facts(conn: duckdb.DuckDBPyConnection, as_of: dt.datetime, cost_ceiling: float | None = None,
          open_issues: tuple[int, int] | None = None) -> Facts:
    """Everything the 13 indicators need, as of ``as_of`` (aware UTC); ``cost_ceiling`` is the
    configuration's monthly cost budget, ``open_issues`` the (P0, P1) issues past their age at
    ``as_of`` (``past_sla``; None: no data)."""
    tables, at = _tables(conn), naive_utc(as_of)
    sync = _one(conn, tables, "docs.repo_sync", "SELECT max(period_end) FROM docs.repo_sync WHERE period_end <= ? "
                "AND snapshot_date IS NOT NULL", [at])  # synced: a commit, or queued for one (a replay)
    plan = _one(conn, tables, "plan.dashboard", "SELECT max(period_end) FROM plan.dashboard WHERE period_end <= ?",
                [at])
    week = _latest_plan_week(conn, tables, at)
    # live drift only: drops evaluated during the latest plan week (its table lists every drop to date)
    drops = _one(conn, tables, "plan.r2_drops",
                 "SELECT count(*) FROM plan.r2_drops WHERE period_start = ? AND CAST(evaluated_on AS DATE) > "
                 "CAST(period_start AS DATE) AND CAST(evaluated_on AS DATE) <= CAST(period_end AS DATE)", [week])
    p0, p1 = open_issues if open_issues is not None else (None, None)
    alignment, assessed, due = _assessments(conn, tables, as_of, at)
    costs = cost_rows(conn, tables, at)
    problems, month_unusable = cost_problems(conn, tables, at)
    month = None if not costs or month_unusable else month_figures(costs, at)
    return Facts(
        as_of=at,
        last_sync_end=sync[0] if sync else None,
        last_plan_end=plan[0] if plan else None,
        old_p0=p0, old_p1=p1, alignment=alignment, assessments=assessed, assessments_due=due,
        r2=_plan_value(conn, tables, "plan.r2_trend", "current_r2", week),
        drops=None if week is None or drops is None else int(drops[0]),
        budget_variance_pct=_plan_value(conn, tables, "plan.budget_variance", "variance_pct", week),
        timeline_variance_pct=_plan_value(conn, tables, "plan.plan_timeline", "variance_pct", week),
        cost_month=None if month is None else month["month_to_date"],
        cost_problems=problems,
        r2_target=_plan_value(conn, tables, "plan.r2_trend", "target_min", week),
        cost_ceiling=cost_ceiling,
        latency=week_p95(latency_points(conn, tables, at) or [], at),
        cost=month,
    )
