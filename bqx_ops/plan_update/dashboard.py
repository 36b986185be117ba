"""The seed's plan dashboard block, four lines with exact figures.

::

    Phases: N total | X complete | Y in progress | Z todo
    Budget: $B estimated | $X realized | ±Y% variance | S% of budget spent[: over budget]
    Timeline: MIN-MAX days estimated | X actual | Y days ahead/behind
    R²: Current 0.XX | Target LO-HI | Trend ↑/↓/→

(B, MIN-MAX and LO-HI: the plan's targets, ``bqx_ops.plan_update.targets``.)

"realized" is the Realized Cost of Done stages; "variance" the cost variance of those of them with an
estimate against it (``variance.completed_work``); "of budget spent" the
realized cost over the plan's budget (the variance compares Done stages with their own estimates,
so it can sit inside its band while the budget is already spent: "over budget" then says so);
"actual" the
working days elapsed since the plan's start and "ahead/behind" the earned-schedule
variance (``timeline.plan_timeline``); "Current" the ensemble R² and "Trend" its
28-day trend (``r2.r2_trend``). A figure that cannot be computed reads "<figure>: no data".
"""

from __future__ import annotations

from bqx_ops.plan_update import r2, timeline, variance
from bqx_ops.plan_update.common import number, records, text
from bqx_ops.plan_update.fmt import NO_DATA, integer, money, num, num_vs, pct_vs, plural
from bqx_ops.plan_update.targets import BUDGET_BAND_PCT, PlanTargets, plan_targets

STATUS_WORDS = (("Done", "complete"), ("In Progress", "in progress"), ("Todo", "todo"))


def phase_counts(statuses: list[str | None]) -> dict:
    counts = {"total": len(statuses)}
    for status, word in STATUS_WORDS:
        counts[word] = sum(1 for s in statuses if s == status)
    return counts


def ahead_behind(variance_days) -> str:
    v = number(variance_days)
    if v is None:
        return f"days ahead/behind: {NO_DATA}"
    if v == 0:
        return "0 days ahead/behind"
    return f"{plural(abs(v), 'day')} {'behind' if v > 0 else 'ahead'}"


def no_snapshot_line(as_of) -> str:
    """The dashboard of a week that ended before the first Airtable snapshot."""
    return f"No snapshot yet: no Airtable snapshot had been taken by {as_of}"


def _band(low, high, fmt) -> str:
    return NO_DATA if low is None and high is None else f"{fmt(low)}-{fmt(high)}"


def _value(shown: str, label: str, before: bool = True) -> str:
    """"$5.00 realized" / "Current 0.91", and "realized: no data" for a missing figure."""
    if shown == NO_DATA:
        return f"{label}: {NO_DATA}"
    return f"{shown} {label}" if before else f"{label} {shown}"


def budget_spent(budget: dict) -> str:
    """"110.6% of budget spent: over budget": realized cost over the plan's budget, never rounded onto 100%."""
    spent = number(budget.get("budget_spent_pct"))
    if spent is None and budget.get("over_budget"):  # a $0 budget: no percentage, but over it all the same
        return "budget spent: no percentage of a $0 budget: over budget"
    if spent is None:
        return f"budget spent: {NO_DATA}"
    shown = num_vs(spent, (100.0,), 1)
    return f"{shown}% of budget spent" + (": over budget" if spent > 100 else "")


def _variance(figures: dict, default_band: float) -> str:
    band = number(figures.get("band_pct")) or default_band
    return _value(pct_vs(figures.get("variance_pct"), (band, -band)), "variance")


def dashboard_lines(phases: dict, targets: PlanTargets, budget: dict, timeline: dict, r2: dict) -> list[str]:
    """The four dashboard lines (no alignment padding: the issue's exact form)."""
    return [
        f"Phases: {phases['total']} total | {phases['complete']} complete | {phases['in progress']} in progress"
        f" | {phases['todo']} todo",
        f"Budget: {_value(money(targets.budget, cents=False), 'estimated')}"
        f" | {_value(money(budget.get('spent_cost')), 'realized')}"
        f" | {_variance(budget, BUDGET_BAND_PCT)} | {budget_spent(budget)}",
        f"Timeline: {_value(_band(targets.days_min, targets.days_max, integer), 'days estimated')}"
        f" | {_value(integer(timeline.get('elapsed_days')), 'actual')}"
        f" | {ahead_behind(timeline.get('schedule_variance_days'))}",
        f"R²: {_value(num_vs(r2.get('current_r2'), (targets.r2_min, targets.r2_max)), 'Current', before=False)}"
        f" | {_value(_band(targets.r2_min, targets.r2_max, num), 'Target', before=False)}"
        f" | {_value(r2.get('trend') or NO_DATA, 'Trend', before=False)}",
    ]


def week_dashboard(stages, phases, plans, model_results, as_of) -> list[str]:
    """The four lines of a plan week computed straight from its as-of snapshot tables (pandas frames),
    as the plan update computes them: anyone (the docs sync's README) can show the plan dashboard of a
    week whether or not the plan-update tables exist yet."""
    targets = plan_targets(plans)
    counts = phase_counts([text(p.get("status")) for p in records(phases)])
    return dashboard_lines(counts, targets, variance.budget_totals(stages, targets),
                           timeline.plan_timeline(stages, phases, targets, as_of), r2.r2_trend(model_results, as_of, plan_horizons=targets.horizons))
