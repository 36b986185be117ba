"""What the report's deep dives show, read from DuckDB as of one assessment instant.

Every plan table is read at one plan week, the one the scores use (``read.plan_week``): a table
without a row for that week has nothing that week, never an older week's rows. The overdue stages
and the plan's stage count come from that week's snapshot with quarantined stages carried forward
from their last valid version (the platform's rule). Open issues are the scores' (``read.open_issues``:
collected and triaged at the instant); the action items are the latest review's by then.
Airtable tables are read at the latest snapshot at or before the instant, and earlier assessments
only when they are of an earlier quarter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bqx_ops import config as project_config
from bqx_ops.asof import read_as_of, snapshot_rows
from bqx_ops.assessment import read
from bqx_ops.assessment.approval import APPROVED, REJECTED, approval_title
from bqx_ops.calendar import naive_utc
from bqx_ops.db import table_exists
from bqx_ops.base_schema import ENSEMBLE
from bqx_ops.plan_update.common import natural_key, records
from bqx_ops.plan_update.r2 import evaluations
from bqx_ops.plan_update.targets import plan_targets
from bqx_ops.plan_update.timeline import overdue_stages


@dataclass(frozen=True)
class Evidence:
    r2_by_horizon: tuple[dict, ...] = ()  # latest Ensemble R² per horizon: horizon, r2, evaluated_on
    r2_path: tuple[dict, ...] = ()  # the quarter's plan weeks: period_end, current_r2, trend
    phase_costs: tuple[dict, ...] = ()  # plan.phase_cost_variance of the latest week
    phase_timeline: tuple[dict, ...] = ()  # plan.phase_timeline_variance of the latest week
    stage_costs: tuple[dict, ...] = ()  # plan.stage_cost_variance of the latest week
    overdue: tuple[dict, ...] = ()  # In Progress stages past their estimate at the week (carried forward)
    adjusted: tuple[dict, ...] = ()  # plan.adjusted_estimates of the latest week
    forecast: dict | None = None  # plan.forecast_at_completion of the latest week
    timeline: dict | None = None  # plan.plan_timeline of the latest week
    budget: dict | None = None  # plan.budget_variance of the latest week
    stages_total: int = 0  # stages of the plan in the week's snapshot (quarantined ones carried forward)
    issue_stage: dict = field(default_factory=dict)  # stage record id -> highest open P0/P1 priority
    actioned: frozenset = frozenset()  # fingerprints of open issues with an action item
    previous_as_of: dt.datetime | None = None  # the instant of the latest final of an earlier quarter
    history: tuple[dict, ...] = ()  # earlier quarters' scores: quarter, as_of, dimension, score, overall, decision
    history_metrics: dict = field(default_factory=dict)  # quarter -> r2, budget_pct, timeline_pct, open_p0_p1
    plan_id: str | None = None  # the plan record's Plan ID in the latest snapshot
    answers: dict = field(default_factory=dict)  # quarter -> RM-001's answer to its approval request, as of


def rows(conn, sql: str, params: list) -> tuple[dict, ...]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return tuple(dict(zip(names, r)) for r in cur.fetchall())


def _week(conn, table: str, week: dt.datetime | None) -> tuple[dict, ...]:
    schema, name = table.split(".")
    if week is None or not table_exists(conn, schema, name):
        return ()
    return rows(conn, f"SELECT * FROM {table} WHERE period_end = ? ORDER BY position", [week])


def _week_stages(conn, week: dt.datetime | None, recurring) -> tuple[tuple[dict, ...], int]:
    """(overdue stages, number of stages) in the plan week's snapshot, quarantined stages carried forward."""
    row = read.week_row(conn, "plan.budget_variance", week) or read.week_row(conn, "plan.plan_timeline", week)
    day = None if row is None or row.get("snapshot_date") is None else row["snapshot_date"].date()
    stages = snapshot_rows(conn, "stages", day, carry_forward=True)
    if stages.empty:
        return (), 0
    late = records(overdue_stages(stages, week.date(), recurring))
    return tuple(late), stages["record_id"].nunique()


def _snapshot(conn, table: str, when: dt.datetime, select: str, where: str = "TRUE", params=()) -> tuple[dict, ...]:
    if not table_exists(conn, "airtable", table):
        return ()
    return rows(conn, f"SELECT {select} FROM airtable.{table} WHERE snapshot_date = (SELECT max(snapshot_date) "
                      f"FROM airtable.{table} WHERE snapshot_date <= ?) AND {where}", [naive_utc(when), *params])


def _review(conn, start: dt.datetime, when: dt.datetime, issues_at: read.IssuesAt) -> tuple[dict, frozenset]:
    issues, _ = read.open_issues(issues_at, when)
    end = read.latest_review(conn, start, when)
    by_stage: dict = {}
    for r in issues or ():
        if r["priority"] in ("P0", "P1") and r["stage_record_id"]:
            by_stage[r["stage_record_id"]] = min(by_stage.get(r["stage_record_id"], "P9"), r["priority"])
    actioned = frozenset()
    if end is not None and table_exists(conn, "review", "action_items"):
        actioned = frozenset(t for (t,) in conn.execute(
            "SELECT task_key FROM review.action_items WHERE period_end = ?", [end]).fetchall())
    return by_stage, actioned


def _history(conn, start: dt.datetime) -> tuple[tuple[dict, ...], dt.datetime | None]:
    """Earlier quarters' scores, and the instant of the latest final among them."""
    if not table_exists(conn, "assessment", "quarterly_scores"):
        return (), None
    hist = rows(conn, "SELECT * FROM assessment.quarterly_scores WHERE quarter_start < ? "
                      "ORDER BY quarter_start, position", [naive_utc(start)])
    finals = [h["as_of"] for h in hist if h.get("version", "final") == "final"]
    return hist, max(finals, default=None)


def _history_metrics(conn, history: tuple[dict, ...], known: dict, issues_at: read.IssuesAt) -> dict:
    """Quarter -> its metrics as of its own instant (what ``metrics`` reads for it does not change later)."""
    out = {}
    for quarter, h in _per_quarter(history).items():
        key = (h["quarter_start"], h["as_of"])
        if key not in known:
            known[key] = metrics(conn, *key, issues_at)
        out[quarter] = dict(known[key])
    return out


def metrics(conn, start: dt.datetime, when: dt.datetime, issues_at: read.IssuesAt) -> dict:
    """The key metrics of a quarter as of its instant, for the trend table: from the same plan week and
    open issues as its scores."""
    week = read.plan_week(conn, start, when)
    value = lambda t, c: (read.week_row(conn, t, week) or {}).get(c)  # noqa: E731
    issues, _ = read.open_issues(issues_at, when)
    return {"r2": value("plan.r2_trend", "current_r2"), "budget_pct": value("plan.budget_variance", "variance_pct"),
            "timeline_pct": value("plan.plan_timeline", "variance_pct"),
            "open_p0_p1": None if issues is None else sum(1 for x in issues if x["priority"] in ("P0", "P1"))}


def answers(conn, when: dt.datetime) -> dict:
    """Quarter -> "Approved" / "Rejected" / "pending", from the Decisions snapshot as of ``when``."""
    prefix, suffix = approval_title("\0").split("\0")
    found = _snapshot(conn, "decisions", when, "title, approval", "title LIKE ? || '%' || ?", [prefix, suffix])
    copies: dict[str, set] = {}  # a request copied in Airtable: the copies' answers (approval.answer_of_copies)
    for r in found:
        copies.setdefault(r["title"][len(prefix):len(r["title"]) - len(suffix)], set()).add(r["approval"])
    answered = {quarter: given & {APPROVED, REJECTED} for quarter, given in copies.items()}
    return {quarter: next(iter(given)) if len(given) == 1 else "pending" for quarter, given in answered.items()}


def _per_quarter(history: tuple[dict, ...]) -> dict:
    """Quarter -> its last row (the history has a row per quarter and dimension)."""
    return {h["quarter"]: h for h in history}


def _ensemble_by_horizon(conn, week: dt.datetime | None) -> dict:
    """Horizon -> the latest Ensemble evaluation of the plan week (horizon, r2, evaluated_on): the week's
    as-of snapshot, a quarantined result carried forward, evaluated by the week's end, as the plan update's
    R² current (its mean) reads them; an evaluation made after the plan week is not that week's."""
    if week is None or not table_exists(conn, "airtable", "model_results"):
        return {}
    _, results = read_as_of(conn, "model_results", week, carry_forward=True)
    best: dict = {}
    for r in evaluations(results):  # ordered by model, horizon, Evaluated On, Result ID: the last one wins
        if r["model"] == ENSEMBLE and r["evaluated_on"] <= week.date():
            best[r["horizon"]] = {"horizon": r["horizon"], "r2": r["r2"], "evaluated_on": r["evaluated_on"]}
    return best


def read_evidence(conn, start: dt.datetime, when: dt.datetime, issues_at: read.IssuesAt, recurring=None,
                  known: dict | None = None) -> Evidence:
    """``issues_at``: the inventory at an instant (``read.IssuesAt``; it must answer for ``when`` and the
    instant of every earlier quarter's latest version in ``assessment.quarterly_scores``). ``recurring``: the stages never overdue (default: the configuration's ``recurring_stages``).
    ``known``: the earlier quarters' metrics already read, by (quarter start, instant), for the next call
    (a run's versions of its quarters show the same earlier quarters: each read once)."""
    week = read.plan_week(conn, start, when)
    best = _ensemble_by_horizon(conn, week)
    path = ()
    if week is not None and table_exists(conn, "plan", "r2_trend"):
        path = rows(conn, "SELECT period_end, current_r2, trend FROM plan.r2_trend WHERE period_end > ? "
                          "AND period_end <= ? ORDER BY period_end", [naive_utc(start), week])
    recurring = project_config.current().recurring_stages if recurring is None else recurring
    overdue, stages_total = _week_stages(conn, week, recurring)
    by_stage, actioned = _review(conn, start, when, issues_at)
    history, previous = _history(conn, start)
    return Evidence(
        r2_by_horizon=tuple(best[h] for h in sorted(best, key=natural_key)), r2_path=path,
        phase_costs=_week(conn, "plan.phase_cost_variance", week),
        phase_timeline=_week(conn, "plan.phase_timeline_variance", week),
        stage_costs=_week(conn, "plan.stage_cost_variance", week), overdue=overdue,
        adjusted=_week(conn, "plan.adjusted_estimates", week),
        forecast=read.week_row(conn, "plan.forecast_at_completion", week),
        timeline=read.week_row(conn, "plan.plan_timeline", week),
        budget=read.week_row(conn, "plan.budget_variance", week), stages_total=stages_total,
        issue_stage=by_stage, actioned=actioned, previous_as_of=previous, history=history,
        history_metrics={**_history_metrics(conn, history, {} if known is None else known, issues_at),
                         "this": metrics(conn, start, when, issues_at)},
        answers=answers(conn, when),
        plan_id=_followed_plan_id(conn, when),
    )


def _followed_plan_id(conn, when: dt.datetime) -> str | None:
    """The followed plan's Plan ID in the snapshot of ``when`` (never another plan's); None without a
    Plans record there: a proposal names a record the base holds, never one only configured."""
    targets = plan_targets(read_as_of(conn, "plans", when)[1])
    return targets.plan_id if targets.from_airtable else None
