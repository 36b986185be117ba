"""The weekly plan update report (``docs/plan-updates/YYYY-MM-DD.md``), rendered from one week's tables.

Pure and deterministic: the same week's tables give the same bytes (rows arrive
sorted, figures use ``fmt``, no clock is read). Missing inputs read "no data".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bqx_ops.lazy import pd
from bqx_ops.markdown import cell, table as md_table
from bqx_ops.plan_update import estimates, r2
from bqx_ops.plan_update.chart import CHART_POINTS, r2_chart
from bqx_ops.plan_update.common import number, records
from bqx_ops.plan_update.dashboard import budget_spent
from bqx_ops.plan_update.fmt import (
    NO_DATA, day, integer, money, num, num_vs, pct, pct_vs, plural, signed_money, signed_vs,
)
from bqx_ops.plan_update.report_parts import (
    band_words as _band, carried_marks, over_zero_budget, header, no_data as _no_data, or_dash as _or_dash, rows as _rows, transitions,
    unestimated,
)
from bqx_ops.plan_update.targets import BUDGET_BAND_PCT, TIMELINE_BAND_PCT, PlanTargets

REPORT_DIR = "docs/plan-updates"


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


def report_path(report_date: dt.date) -> str:
    return f"{REPORT_DIR}/{report_date.isoformat()}.md"


@dataclass
class WeekReport:
    """Everything one week's report shows; frames are that week's rows of the plan tables."""

    period_start: dt.datetime
    period_end: dt.datetime
    snapshot_date: dt.date | None
    previous_snapshot_date: dt.date | None
    targets: PlanTargets
    dashboard: list[str]
    budget: dict
    timeline: dict
    r2: dict
    forecast: dict
    transitions: pd.DataFrame = field(default_factory=_empty)
    overdue: pd.DataFrame = field(default_factory=_empty)
    stage_costs: pd.DataFrame = field(default_factory=_empty)
    phase_costs: pd.DataFrame = field(default_factory=_empty)
    phase_times: pd.DataFrame = field(default_factory=_empty)
    evaluations: pd.DataFrame = field(default_factory=_empty)
    drops: pd.DataFrame = field(default_factory=_empty)
    adjusted: pd.DataFrame = field(default_factory=_empty)
    learnings: pd.DataFrame = field(default_factory=_empty)
    decisions: pd.DataFrame = field(default_factory=_empty)
    carried: list = field(default_factory=list)  # quarantined records whose last valid version figures use
    baseline_is_first: bool = False  # previous_snapshot_date is the plan's first snapshot, inside the week


def _phase_labels(w: WeekReport) -> dict:
    return {r["phase_record_id"]: r.get("phase_id") or r["phase_record_id"] for r in records(w.phase_times)}


def _pct_band(figures: dict, default_band: float) -> str:
    """The variance %, never rounded onto or across its band's edges."""
    band = figures.get("band_pct") or default_band
    return pct_vs(figures.get("variance_pct"), (band, -band))


def _over(b: dict, budget) -> str:
    spent = number(b.get("spent_cost"))
    if not b.get("over_budget") or budget is None or spent is None:
        return ""
    return f" ({money(spent - budget)} over the {money(budget, cents=False)} budget)"


def _costs(w: WeekReport) -> list[str]:
    b, out = w.budget, ["## Costs", ""]
    spent, costed = number(b.get("spent_cost")), int(number(b.get("costed_stages")) or 0)
    if spent is None:
        out += [_no_data("no Done stage has a Realized Cost in this snapshot"), ""]
    else:
        work = (f" {plural(costed, 'Done stage')} realized {money(b.get('realized_cost'))} against"
                f" {money(b.get('estimated_cost_done'))} estimated, {signed_money(b.get('variance_usd'))}"
                f" ({_pct_band(b, BUDGET_BAND_PCT)}), {_band(b, BUDGET_BAND_PCT)}.") if costed else \
            " variance: no data (no Done stage has both an Estimated and a Realized Cost)."
        without_estimate = int(number(b.get("done_without_estimate")) or 0)
        if without_estimate:  # spent, but with no estimate to compare with: in the spend, not in the variance
            work += (f" {plural(without_estimate, 'Done stage')} without Estimated Cost realized"
                     f" {money(spent - (number(b.get('realized_cost')) or 0.0))}, outside the variance.")
        out += [f"Budget {money(w.targets.budget, cents=False)}. Completed work:{work}"
                f" Against the whole budget: {money(spent)} realized, {budget_spent(b)}"
                f"{_over(b, w.targets.budget)}.", ""]
    missing = w.stage_costs[(w.stage_costs["status"] == "Done") & w.stage_costs["realized_cost"].isna()] \
        if not w.stage_costs.empty else w.stage_costs
    marks = carried_marks(w)
    out += ["### Done stages without Realized Cost", "",
            md_table(["Stage", "Name", "Owner", "Estimated"],
                     _rows(missing, ["stage_id", "name", "owner", "estimated_cost"], {"estimated_cost": money},
                           marks)), ""]
    labels = _phase_labels(w)
    out += ["### Cost variance by phase", "", md_table(
        ["Phase", "Name", "Status", "Phase estimate", "Done stages", "Estimated (done)", "Realized (done)",
         "Variance", "Variance %"],
        _rows(w.phase_costs, ["phase_id", "name", "status", "estimated_cost", "done_stages", "estimated_cost_done",
                              "realized_cost", "variance_usd", "variance_pct"],
              {"estimated_cost": money, "estimated_cost_done": _or_dash(money), "realized_cost": _or_dash(money),
               "variance_usd": _or_dash(signed_money), "variance_pct": _or_dash(pct)}, marks)), ""]
    costed = w.stage_costs[w.stage_costs["realized_cost"].notna() | (w.stage_costs["status"] == "Done")] \
        if not w.stage_costs.empty else w.stage_costs
    out += ["### Cost variance by stage (Done or with a cost)", "", md_table(
        ["Stage", "Name", "Phase", "Status", "Owner", "Estimated", "Realized", "Variance", "Variance %", "Overrun"],
        _rows(costed, ["stage_id", "name", "phase_id", "status", "owner", "estimated_cost", "realized_cost",
                       "variance_usd", "variance_pct", "overrun"],
              {"phase_id": lambda v: labels.get(v, v), "estimated_cost": money, "realized_cost": money,
               "variance_usd": signed_money, "variance_pct": pct, "overrun": lambda v: "yes" if v else ""},
              marks)), ""]
    return out


def _timeline(w: WeekReport) -> list[str]:
    t, out = w.timeline, ["## Timeline variance", ""]
    if t.get("start_problem"):
        out += [_no_data(cell(t["start_problem"])), ""]
    elif t.get("schedule_variance_days") is None:
        # 0 planned days: no stage has Estimated Days, or every stage's is 0 (the old words named only the first)
        out += [_no_data("no stage has Estimated Days above 0, so no schedule to earn against"), ""]
    elif t.get("variance_pct") is None:  # nothing earned yet: the days behind are known, a percentage is not
        out += [f"Started {day(t.get('plan_start'))}; {plural(t.get('elapsed_days'), 'working day')} elapsed against"
                f" 0 earned ({integer(t.get('planned_days'))} planned in all): no Done stage with Estimated Days"
                f" yet, so no percentage and no forecast.", ""]
    else:
        out += [f"Started {day(t.get('plan_start'))}; {plural(t.get('elapsed_days'), 'working day')} elapsed against"
                f" {integer(t.get('earned_days'))} earned ({integer(t.get('planned_days'))} planned in all):"
                f" {_pct_band(t, TIMELINE_BAND_PCT)}, {_band(t, TIMELINE_BAND_PCT)}. At this pace the"
                f" plan takes {num(t.get('forecast_days'), 1)} working days against {t.get('days_min')}-"
                f"{t.get('days_max')} estimated.", ""]
    if t.get("stages_without_days"):
        out += [f"Stages without Estimated Days, in neither earned nor planned days and never judged overdue: "
                f"{cell(t['stages_without_days'])}.", ""]
    out += ["### By phase", "", md_table(
        ["Phase", "Name", "Status", "Start", "End", "Estimated days", "Actual days (so far)", "Variance",
         "Variance %"],
        _rows(w.phase_times, ["phase_id", "name", "status", "start_date", "end_date", "estimated_days",
                              "actual_days", "variance_days", "variance_pct"],
              {"start_date": _or_dash(day), "end_date": _or_dash(day), "estimated_days": _or_dash(integer),
               "variance_pct": _or_dash(pct), "actual_days": _or_dash(integer),
               "variance_days": _or_dash(lambda v: f"{int(v):+d}")}, carried_marks(w))), ""]
    return out


def _r2(w: WeekReport, as_of: dt.date) -> list[str]:
    out = ["## R² trend", ""]
    if w.evaluations.empty:
        return out + [_no_data("the snapshot has no model results"), ""]
    s, t = w.r2, w.targets
    if s.get("current_r2") is None:
        out += [_no_data("no Ensemble evaluation yet"), ""]
    else:
        if t.r2_min is None or t.r2_max is None:  # neither the plan nor the configuration gives a target
            place = "with no R² target"
        else:
            place = ("within" if t.r2_min <= s["current_r2"] <= t.r2_max
                     else "below" if s["current_r2"] < t.r2_min else "above")
            place = f"{place} the {num(t.r2_min)}-{num(t.r2_max)} target"
        edges = (r2.TREND_FLAT, -r2.TREND_FLAT)  # the arrow's edges: the change is never shown on one
        trend = (f"trend {s['trend']} ({signed_vs(s.get('trend_delta'), edges, 4)} since {day(s.get('window_start'))},"
                 f" {r2.TREND_WINDOW_DAYS}-day window)" if s.get("trend") else f"trend: {NO_DATA}")
        current = num_vs(s["current_r2"], (t.r2_min, t.r2_max), 4)
        others = [h for h in (s.get("other_horizons") or "").split(", ") if h]
        out += [f"Current ensemble R² {current} over {plural(s.get('horizons'), 'horizon')},"
                f" {place}; {trend}.", ""]
        if others:  # an Ensemble result for a horizon the plan does not list: never part of the plan's figure
            out += [f"Ensemble results for horizons the plan does not list ({cell(', '.join(others))}) are left out "
                    "of the mean.", ""]
        latest = r2.latest_ensemble(w.evaluations, as_of)
        out += [md_table(["Horizon", "Latest Ensemble R²"], [
            [h + (" (not a plan horizon: left out of the mean)" if h in others else ""), num(v, 4)]
            for h, v in latest.items()]), ""]
        series = [p for p in r2.ensemble_series(w.evaluations, as_of, others) if p[1] is not None][-CHART_POINTS:]
        if t.r2_min is not None:
            out.append(r2_chart(series, t.r2_min))
        out += [f"_Chart: the latest {plural(len(series), 'Ensemble evaluation day')}; second line: target"
                f" {num(t.r2_min)}._", ""]
    out += [f"### Drops greater than {r2.DROP_THRESHOLD}", "", md_table(
        ["Model", "Horizon", "Evaluated", "R²", "Previous", "Previous R²", "Drop"],
        _rows(w.drops, ["model", "horizon", "evaluated_on", "r2", "previous_evaluated_on", "previous_r2", "drop"],
              {"evaluated_on": day, "previous_evaluated_on": day, "r2": lambda v: num(v, 4),
               "previous_r2": lambda v: num(v, 4), "drop": lambda v: num_vs(v, (r2.DROP_THRESHOLD,), 4)})), ""]
    since = as_of - dt.timedelta(days=r2.TREND_WINDOW_DAYS)
    recent = w.evaluations[w.evaluations["evaluated_on"] > pd.Timestamp(since)]
    out += [f"### Evaluations after {since.isoformat()} (the trend window)", "", md_table(
        ["Model", "Horizon", "Evaluated", "R²", "Change"],
        _rows(recent, ["model", "horizon", "evaluated_on", "r2", "change"],
              {"evaluated_on": day, "r2": lambda v: num(v, 4),
               "change": lambda v: "" if v is None else signed_vs(v, (), 4)})), ""]
    return out


def _estimates(w: WeekReport) -> list[str]:
    f, out = w.forecast, ["## Adjusted estimates", ""]
    out += [f"Method: estimates times realized/estimated over Done stages, per phase when it has at least"
            f" {estimates.MIN_PHASE_HISTORY} Done stages, else plan-wide (ratio 1 without history).", ""]
    if f.get("forecast_cost") is None:
        out += [_no_data("no stages in the snapshot"), ""]
    else:
        out += [f"Forecast total at completion {money(f['forecast_cost'])} against the"
                f" {money(w.targets.budget, cents=False)} budget: {signed_money(f.get('variance_usd'))}"
                + (f", {zero}" if (zero := over_zero_budget(f)) else
                   f" ({_pct_band(f, BUDGET_BAND_PCT)}), {_band(f, BUDGET_BAND_PCT)}") +
                f" (realized {money(f.get('realized_cost'))}, open stages {money(f.get('adjusted_open_cost'))},"
                f" Done stages without cost {money(f.get('done_without_cost_estimate'))}){unestimated(f)}.", ""]
    labels = _phase_labels(w)
    out += [md_table(
        ["Stage", "Name", "Phase", "Status", "Estimated", "Adjusted", "Cost basis", "Estimated days",
         "Adjusted days", "Days basis"],
        _rows(w.adjusted, ["stage_id", "name", "phase_id", "status", "estimated_cost", "adjusted_cost", "cost_basis",
                           "estimated_days", "adjusted_days", "days_basis"],
              {"phase_id": lambda v: labels.get(v, v), "estimated_cost": money, "adjusted_cost": money,
               "adjusted_days": lambda v: num(v, 1)}, carried_marks(w))), ""]
    return out


def _records(w: WeekReport) -> list[str]:
    return [
        "## Learnings", "", md_table(["Title", "Date", "What worked", "What didn't"],
                                     _rows(w.learnings, ["title", "date", "what_worked", "what_didn_t"],
                                           {"date": day})), "",
        "## Decisions", "", md_table(["Title", "Date", "Decision", "Rationale", "Decided by"],
                                     _rows(w.decisions, ["title", "date", "decision", "rationale", "decided_by"],
                                           {"date": day})),
    ]


def render_report(w: WeekReport) -> str:
    """The markdown of one week's plan update."""
    as_of = w.period_end.date()
    lines = header(w)
    if w.snapshot_date is None:
        lines += [_no_data(f"no Airtable snapshot was taken on or before {as_of.isoformat()}"), ""]
    lines += transitions(w) + _costs(w) + _timeline(w) + _r2(w, as_of) + _estimates(w) + _records(w)
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"
