"""Facts for the dashboard read from DuckDB as of one instant: only rows whose period ended by then.

A missing table or column gives None (no data), never an error.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from bqx_ops.assessment.evidence import answers
from bqx_ops.assessment.read import as_of as assessment_instant
from bqx_ops.asof import read_as_of, stale_days
from bqx_ops.base_schema import ENSEMBLE
from bqx_ops.calendar import naive_utc
from bqx_ops.dashboard.revisions import COSTS, ESTIMATES, LATENCY, as_of_sql
from bqx_ops.dashboard.costs import CostRow, month_figures
from bqx_ops.dashboard.latency import DailyP95, week_p95
from bqx_ops.dashboard.indicators import Facts
from bqx_ops.issue_review.model import OPEN
from bqx_ops.lazy import pd



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


# Live drift: the drops the latest plan week is the first to show (its table lists every drop to date). One
# evaluated after the previous plan week's as-of snapshot could not be in it (with weekly snapshots on a Tuesday, a
# Thursday drop first shows the week after: by "evaluated during the week" it was never counted); with no previous
# week, those evaluated after the week's opening Friday. Each drop counts in one week, never in a later one.
LIVE_DROPS = (
    "SELECT count(*) FROM plan.r2_drops WHERE period_start = ? AND CAST(evaluated_on AS DATE) > coalesce("
    "(SELECT CAST(max(snapshot_date) AS DATE) FROM plan.dashboard WHERE period_start = (SELECT max(period_start) "
    "FROM plan.dashboard WHERE period_start < ?)), CAST(period_start AS DATE)) "
    "AND CAST(evaluated_on AS DATE) <= CAST(period_end AS DATE)")


def _r2_change(conn, tables, week) -> float | None:
    """When the horizons differ between the previous plan week and ``week`` (one added or dropped), the mean change
    of the latest Ensemble R² per horizon over the horizons both know (the plan update's trend rule); None when they
    are the same (the two weeks' R² compare as they are), without both weeks, or without a common horizon."""
    if week is None or "plan.r2_evaluations" not in tables:
        return None
    by_week: dict = {}
    try:
        rows = conn.execute(
            "SELECT period_start, horizon, r2 FROM plan.r2_evaluations WHERE model = ? AND period_start IN (?, "
            "(SELECT max(period_start) FROM plan.dashboard WHERE period_start < ?)) AND CAST(evaluated_on AS DATE) "
            "<= CAST(period_end AS DATE) AND r2 IS NOT NULL ORDER BY period_start, evaluated_on, result_id, record_id",
            [ENSEMBLE, week, week]).fetchall()
    except duckdb.Error:  # a table of an older shape: no data rather than a crash
        return None
    for start, horizon, r2 in rows:
        by_week.setdefault(start, {})[horizon] = float(r2)  # the latest per horizon: ordered by date
    now, then = by_week.get(week, {}), next((v for k, v in by_week.items() if k != week), {})
    common = set(now) & set(then)
    if set(now) == set(then):
        return None
    return round(sum(now[h] - then[h] for h in common) / len(common), 10) if common else None


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


def _r2_target(conn, tables, week, at) -> float | None:
    """The R² minimum of the latest plan week; before the first plan week, the plan's own (the Plans
    record of the as-of snapshot, else the configuration's): a target is known before any figure is."""
    target = _plan_value(conn, tables, "plan.r2_trend", "target_min", week)
    if target is not None or week is not None or "airtable.plans" not in tables:
        return target
    from bqx_ops.plan_update.targets import configured_targets, plan_targets

    day, plans = read_as_of(conn, "plans", at)
    return plan_targets(plans, configured_targets()).r2_min if day else None


def _last_airtable_update(conn, tables, at) -> dt.datetime | None:
    """The end of the latest plan-update week by ``at``; when no Airtable snapshot was taken during that
    week (``asof.stale_days``), its as-of snapshot's day instead: the plan was last seen updated then."""
    row = _one(conn, tables, "plan.dashboard", "SELECT period_start, period_end, snapshot_date FROM plan.dashboard "
               "WHERE period_end <= ? ORDER BY period_end DESC, position LIMIT 1", [at])
    if row is None:
        return None
    start, end, snapshot = row
    snapshot = None if snapshot is None else (snapshot.date() if isinstance(snapshot, dt.datetime) else snapshot)
    stale = stale_days(snapshot, start.date(), end.date())
    return end if stale is None else dt.datetime.combine(snapshot, dt.time())


def past_sla(inventory: pd.DataFrame, sla_hours: dict[str, float]) -> tuple[int, int]:
    """(P0, P1): open issues of an inventory triaged at an instant, older than their priority's SLA at it
    (the triage rules' ``sla_hours``; the seed's 24 h / 1 week)."""
    open_ = inventory[inventory["state"] == OPEN]
    return tuple(int(((open_["priority"] == p) & (open_["age_hours"] > sla_hours[p])).sum()) for p in ("P0", "P1"))


def _assessments(conn, tables, as_of: dt.datetime, at, start: dt.date | None) -> dict:
    """Plan Alignment and the 360 count from the **final** assessments made by ``at`` (each quarter's
    final is as of its last Friday 09:00): the latest one's overall score and its approval answer;
    the finals of ``as_of``'s year, against the quarters due (final instant by ``as_of``, the project
    running by then: a quarter that ended before ``start`` is never due)."""
    year_start = dt.datetime(as_of.year, 1, 1)
    finals_due = [assessment_instant(dt.datetime(as_of.year, m, 1, tzinfo=dt.timezone.utc)) for m in (1, 4, 7, 10)]
    due = sum(1 for f in finals_due if f <= as_of and (start is None or f.date() >= start))
    # no assessment read: with none due this year, none can have been made (a new project before its first
    # draft has no table yet, and is not behind); with some due, how many were made is unknown
    unread = {"alignment": None, "assessments": 0 if due == 0 else None, "due": due, "quarter": None, "answer": None}
    if "assessment.quarterly_scores" not in tables:
        return unread
    try:
        rows = conn.execute("SELECT DISTINCT quarter, quarter_start, as_of, overall FROM assessment.quarterly_scores "
                            "WHERE as_of <= ? AND position = 0 ORDER BY as_of", [at]).fetchall()
    except duckdb.Error:  # a table of an older shape: no data rather than a crash
        return unread
    finals = [(q, qs, a, o) for q, qs, a, o in rows
              if a == naive_utc(assessment_instant(qs.replace(tzinfo=dt.timezone.utc)))]
    latest = finals[-1] if finals else None
    overall = None if latest is None or latest[3] is None or latest[3] != latest[3] else float(latest[3])
    return {"alignment": overall, "assessments": sum(1 for _, qs, _, _ in finals if qs >= year_start), "due": due,
            "quarter": latest[0] if latest else None,
            "answer": answers(conn, at).get(latest[0]) if latest else None}


def cost_rows(conn, tables, at) -> list[CostRow] | None:
    """The days before ``at`` with the amounts known at ``at`` (aws.cost_revisions: a revision seen later
    is not read); without that table, aws.daily_costs as it is."""
    if "aws.daily_costs" not in tables:
        return None
    try:
        rows = conn.execute(as_of_sql(COSTS), [at.date(), at]).fetchall() if COSTS in tables else \
            conn.execute("SELECT day, service, amount_usd FROM aws.daily_costs WHERE day < ?::DATE ORDER BY day, "
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


def estimated_days(conn, tables, at, first: dt.date) -> int:
    """How many days from ``first`` to before ``at`` were Cost Explorer estimates as known at ``at``."""
    if ESTIMATES not in tables:
        return 0
    return sum(1 for day, _, _ in conn.execute(as_of_sql(ESTIMATES), [at.date(), at]).fetchall()
               if (day.date() if isinstance(day, dt.datetime) else day) >= first)


def latency_points(conn, tables, at) -> list[DailyP95] | None:
    """The landed daily p95 points of the 7 days before ``at`` (aws.api_latency), None without the table."""
    if "aws.api_latency" not in tables:
        return None
    if LATENCY in tables:  # the values known at ``at`` (revisions seen later are not read)
        rows = [(d, v) for d, _, v in conn.execute(as_of_sql(LATENCY), [at.date(), at]).fetchall()
                if d >= at.date() - dt.timedelta(days=7)]
    else:
        rows = conn.execute("SELECT day, p95_ms FROM aws.api_latency WHERE day < ?::DATE AND day >= ?::DATE - 7 "
                            "ORDER BY day", [at.date(), at.date()]).fetchall()
    return [DailyP95(d.date() if isinstance(d, dt.datetime) else d, float(v)) for d, v in rows]


def latency_problems(conn, tables, at) -> tuple[str, ...]:
    """Why points of the 7 days before ``at`` (or whole responses) were left out of aws.api_latency."""
    if "aws.latency_problems" not in tables:
        return ()
    rows = conn.execute("SELECT problem FROM aws.latency_problems WHERE day IS NULL OR (day < ?::DATE AND "
                        "day >= ?::DATE - 7) ORDER BY day NULLS FIRST, problem", [at.date(), at.date()]).fetchall()
    return tuple(p for (p,) in rows)


def facts(conn: duckdb.DuckDBPyConnection, as_of: dt.datetime, cost_ceiling: float | None = None,
          open_issues: tuple[int, int] | None = None, start: dt.date | None = None,
          latency_configured: bool = True, sla_hours: dict[str, float] | None = None) -> Facts:
    """Everything the 13 indicators need, as of ``as_of`` (aware UTC); ``cost_ceiling`` is the
    configuration's monthly cost budget, ``open_issues`` the (P0, P1) issues past their age at
    ``as_of`` (``past_sla``; None: no data), ``start`` the project's first day, ``latency_configured``
    whether the configuration names a latency metric (``aws.latency``), ``sla_hours`` the P0/P1 SLAs
    ``open_issues`` was counted against (the triage rules'; default the seed's)."""
    tables, at = _tables(conn), naive_utc(as_of)
    sync = _one(conn, tables, "docs.repo_sync", "SELECT max(period_end) FROM docs.repo_sync WHERE period_end <= ? "
                "AND snapshot_date IS NOT NULL", [at])  # synced: a commit, or queued for one (a replay)
    plan = _last_airtable_update(conn, tables, at)
    week = _latest_plan_week(conn, tables, at)
    drops = _one(conn, tables, "plan.r2_drops", LIVE_DROPS, [week, week])
    p0, p1 = open_issues if open_issues is not None else (None, None)
    assessed = _assessments(conn, tables, as_of, at, start)
    costs = cost_rows(conn, tables, at)
    problems, month_unusable = cost_problems(conn, tables, at)
    month = None if not costs or month_unusable else month_figures(costs, at, start)
    if month is not None:  # the month to date may rest on amounts AWS has not finalized: the line says so
        month["estimated_days"] = estimated_days(conn, tables, at, month["since"] or month["month"])
    return Facts(
        as_of=at,
        last_sync_end=sync[0] if sync else None,
        last_plan_end=plan,
        old_p0=p0, old_p1=p1, alignment=assessed["alignment"], assessments=assessed["assessments"],
        assessments_due=assessed["due"], assessed_quarter=assessed["quarter"], approval=assessed["answer"],
        r2=_plan_value(conn, tables, "plan.r2_trend", "current_r2", week),
        r2_change=_r2_change(conn, tables, week),
        drops=None if week is None or drops is None else int(drops[0]),
        budget_variance_pct=_plan_value(conn, tables, "plan.budget_variance", "variance_pct", week),
        timeline_variance_pct=_plan_value(conn, tables, "plan.plan_timeline", "variance_pct", week),
        timeline_behind_days=_plan_value(conn, tables, "plan.plan_timeline", "schedule_variance_days", week),
        cost_month=None if month is None else month["month_to_date"],
        cost_problems=problems,
        r2_target=_r2_target(conn, tables, week, at),
        cost_ceiling=cost_ceiling,
        latency=week_p95(latency_points(conn, tables, at) or [], at),
        latency_problems=latency_problems(conn, tables, at), latency_configured=latency_configured,
        cost=month, **({} if sla_hours is None else {"sla_hours": (sla_hours["P0"], sla_hours["P1"])}),
    )
