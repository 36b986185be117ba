"""What the report's deep dives show, read from DuckDB as of one assessment instant.

Every table is read at the latest plan week / review period ending inside the quarter at or
before the instant (as the scores are), Airtable tables at the latest snapshot at or before it,
and earlier assessments only when their instant is before this one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bqx_ops.assessment.approval import approval_title
from bqx_ops.calendar import naive_utc
from bqx_ops.db import table_exists


@dataclass(frozen=True)
class Evidence:
    r2_by_horizon: tuple[dict, ...] = ()  # latest Ensemble R² per horizon: horizon, r2, evaluated_on
    r2_path: tuple[dict, ...] = ()  # the quarter's plan weeks: period_end, current_r2, trend
    phase_costs: tuple[dict, ...] = ()  # plan.phase_cost_variance of the latest week
    phase_timeline: tuple[dict, ...] = ()  # plan.phase_timeline_variance of the latest week
    stage_costs: tuple[dict, ...] = ()  # plan.stage_cost_variance of the latest week
    overdue: tuple[dict, ...] = ()  # plan.overdue_stages of the latest week
    adjusted: tuple[dict, ...] = ()  # plan.adjusted_estimates of the latest week
    forecast: dict | None = None  # plan.forecast_at_completion of the latest week
    timeline: dict | None = None  # plan.plan_timeline of the latest week
    budget: dict | None = None  # plan.budget_variance of the latest week
    stages_total: int = 0  # stages of the plan in the latest snapshot
    issue_stage: dict = field(default_factory=dict)  # stage record id -> highest open P0/P1 priority
    actioned: frozenset = frozenset()  # fingerprints of open issues with an action item
    previous_as_of: dt.datetime | None = None  # the last earlier assessment's instant
    history: tuple[dict, ...] = ()  # earlier quarters' scores: quarter, as_of, dimension, score, overall, decision
    history_metrics: dict = field(default_factory=dict)  # quarter -> r2, budget_pct, timeline_pct, open_p0_p1
    plan_id: str | None = None  # the plan record's Plan ID in the latest snapshot
    answers: dict = field(default_factory=dict)  # quarter -> RM-001's answer to its approval request, as of


def rows(conn, sql: str, params: list) -> tuple[dict, ...]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return tuple(dict(zip(names, r)) for r in cur.fetchall())


def _week(conn, table: str, start: dt.datetime, when: dt.datetime) -> tuple[dict, ...]:
    schema, name = table.split(".")
    if not table_exists(conn, schema, name):
        return ()
    return rows(conn, f"SELECT * FROM {table} WHERE period_end = (SELECT max(period_end) FROM {table} "
                      "WHERE period_end > ? AND period_end <= ?) ORDER BY position",
                [naive_utc(start), naive_utc(when)])


def _snapshot(conn, table: str, when: dt.datetime, select: str, where: str = "TRUE", params=()) -> tuple[dict, ...]:
    if not table_exists(conn, "airtable", table):
        return ()
    return rows(conn, f"SELECT {select} FROM airtable.{table} WHERE snapshot_date = (SELECT max(snapshot_date) "
                      f"FROM airtable.{table} WHERE snapshot_date <= ?) AND {where}", [naive_utc(when), *params])


def _review(conn, start: dt.datetime, when: dt.datetime) -> tuple[dict, frozenset]:
    if not (table_exists(conn, "review", "issue_inventory") and table_exists(conn, "review", "review_periods")):
        return {}, frozenset()
    (end,) = conn.execute("SELECT max(period_end) FROM review.review_periods WHERE period_end > ? AND period_end <= ?",
                          [naive_utc(start), naive_utc(when)]).fetchone()
    if end is None:
        return {}, frozenset()
    open_ = rows(conn, "SELECT fingerprint, priority, stage_record_id FROM review.issue_inventory "
                       "WHERE period_end = ? AND state = 'open' AND priority IN ('P0', 'P1')", [end])
    by_stage: dict = {}
    for r in open_:
        if r["stage_record_id"]:
            by_stage[r["stage_record_id"]] = min(by_stage.get(r["stage_record_id"], "P9"), r["priority"])
    actioned = frozenset()
    if table_exists(conn, "review", "action_items"):
        actioned = frozenset(t for (t,) in conn.execute(
            "SELECT task_key FROM review.action_items WHERE period_end = ?", [end]).fetchall())
    return by_stage, actioned


def _history(conn, when: dt.datetime) -> tuple[tuple[dict, ...], dt.datetime | None]:
    if not table_exists(conn, "assessment", "quarterly_scores"):
        return (), None
    hist = rows(conn, "SELECT quarter, quarter_start, as_of, position, dimension, score, overall, decision "
                      "FROM assessment.quarterly_scores WHERE as_of < ? ORDER BY quarter_start, position",
                [naive_utc(when)])
    return hist, (max(h["as_of"] for h in hist) if hist else None)


def _value(conn, table: str, column: str, start, when):
    schema, name = table.split(".")
    if not table_exists(conn, schema, name):
        return None
    row = conn.execute(f"SELECT {column} FROM {table} WHERE period_end = (SELECT max(period_end) FROM {table} "
                       "WHERE period_end > ? AND period_end <= ?) ORDER BY position LIMIT 1",
                       [naive_utc(start), naive_utc(when)]).fetchone()
    return None if row is None else row[0]


def metrics(conn, start: dt.datetime, when: dt.datetime) -> dict:
    """The key metrics of a quarter as of its instant, for the trend table."""
    out = {"r2": _value(conn, "plan.r2_trend", "current_r2", start, when),
           "budget_pct": _value(conn, "plan.budget_variance", "variance_pct", start, when),
           "timeline_pct": _value(conn, "plan.plan_timeline", "variance_pct", start, when), "open_p0_p1": None}
    if table_exists(conn, "review", "issue_inventory"):
        (end,) = conn.execute("SELECT max(period_end) FROM review.issue_inventory WHERE period_end > ? AND "
                              "period_end <= ?", [naive_utc(start), naive_utc(when)]).fetchone()
        if end is not None:
            out["open_p0_p1"] = conn.execute("SELECT count(*) FROM review.issue_inventory WHERE period_end = ? AND "
                                             "state = 'open' AND priority IN ('P0', 'P1')", [end]).fetchone()[0]
    return out


def answers(conn, when: dt.datetime) -> dict:
    """Quarter -> "Approved" / "Rejected" / "pending", from the Decisions snapshot as of ``when``."""
    prefix, suffix = approval_title("\0").split("\0")
    found = _snapshot(conn, "decisions", when, "title, approval", "title LIKE ? || '%' || ?", [prefix, suffix])
    return {r["title"][len(prefix):len(r["title"]) - len(suffix)]: r["approval"] or "pending" for r in found}


def _per_quarter(history: tuple[dict, ...]) -> dict:
    """Quarter -> its last row (the history has a row per quarter and dimension)."""
    return {h["quarter"]: h for h in history}


def read_evidence(conn, start: dt.datetime, when: dt.datetime) -> Evidence:
    latest = _snapshot(conn, "model_results", when, "horizon, r2, evaluated_on",
                       "model = 'Ensemble' AND evaluated_on <= ?", [naive_utc(when)])
    best: dict = {}
    for r in sorted(latest, key=lambda r: (r["horizon"], r["evaluated_on"])):
        best[r["horizon"]] = r
    path = ()
    if table_exists(conn, "plan", "r2_trend"):
        path = rows(conn, "SELECT period_end, current_r2, trend FROM plan.r2_trend WHERE period_end > ? "
                          "AND period_end <= ? ORDER BY period_end", [naive_utc(start), naive_utc(when)])
    stages = _snapshot(conn, "stages", when, "count(DISTINCT record_id) AS n")
    by_stage, actioned = _review(conn, start, when)
    history, previous = _history(conn, when)
    one = lambda t: (_week(conn, t, start, when) or (None,))[0]  # noqa: E731
    return Evidence(
        r2_by_horizon=tuple(best[h] for h in sorted(best)), r2_path=path,
        phase_costs=_week(conn, "plan.phase_cost_variance", start, when),
        phase_timeline=_week(conn, "plan.phase_timeline_variance", start, when),
        stage_costs=_week(conn, "plan.stage_cost_variance", start, when),
        overdue=_week(conn, "plan.overdue_stages", start, when),
        adjusted=_week(conn, "plan.adjusted_estimates", start, when),
        forecast=one("plan.forecast_at_completion"), timeline=one("plan.plan_timeline"),
        budget=one("plan.budget_variance"), stages_total=int(stages[0]["n"]) if stages else 0,
        issue_stage=by_stage, actioned=actioned, previous_as_of=previous, history=history,
        history_metrics={**{q: metrics(conn, h["quarter_start"], h["as_of"]) for q, h in _per_quarter(history).items()},
                         "this": metrics(conn, start, when)},
        answers=answers(conn, when),
        plan_id=min((r["plan_id"] for r in _snapshot(conn, "plans", when, "plan_id") if r["plan_id"]), default=None),
    )
