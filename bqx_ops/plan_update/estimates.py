"""Adjusted estimates for stages not yet done, and the forecast total at completion.

Method: each open stage's estimate is multiplied by how completed work compared with
its estimates. The cost ratio is ``sum(realized) / sum(estimated)`` over the Done
stages with both costs; the days ratio is ``sum(actual working days) / sum(estimated
days)`` over the Done stages with a start date, a completed date and an estimate.
A stage uses its own phase's ratio when that phase has at least ``MIN_PHASE_HISTORY``
(2) such stages, otherwise the plan-wide ratio; with no history anywhere the ratio is
1 (the estimate stands). Each ratio is computed for cost and days separately.

The forecast total at completion is the realized cost of Done stages, plus the
adjusted cost of open stages, plus, for Done stages without a Realized Cost, their
estimate times the plan-wide cost ratio (a missing cost is never counted as zero).
"""

from __future__ import annotations

from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import number, records, stage_key, text
from bqx_ops.plan_update.fmt import half_up, plural
from bqx_ops.plan_update.targets import BUDGET_BAND_PCT, PlanTargets, band
from bqx_ops.plan_update.timeline import stage_days

MIN_PHASE_HISTORY = 2
DONE = "Done"

ADJUSTED_COLUMNS = {
    "record_id": "string", "stage_id": "string", "name": "string", "phase_id": "string", "status": "string",
    "estimated_cost": "float64", "cost_ratio": "float64", "cost_basis": "string", "adjusted_cost": "float64",
    "estimated_days": "Int64", "days_ratio": "float64", "days_basis": "string", "adjusted_days": "float64",
}

NO_HISTORY = "no history"  # the basis of a ratio of 1: no Done stage with both figures to learn from


def _ratio(pairs: list[tuple[float, float]]) -> tuple[float | None, int]:
    """sum(actual) / sum(estimated) over (estimated, actual) pairs with a positive estimate."""
    usable = [(e, a) for e, a in pairs if e is not None and a is not None and e > 0]
    return (sum(a for _, a in usable) / sum(e for e, _ in usable), len(usable)) if usable else (None, 0)


def _ratios(done: list[dict], measure) -> tuple[dict[str, tuple[float | None, int]], tuple[float | None, int]]:
    by_phase: dict[str, list] = {}
    for s in done:
        by_phase.setdefault(text(s.get("phase_id")) or "", []).append(measure(s))
    return {p: _ratio(pairs) for p, pairs in by_phase.items()}, _ratio([measure(s) for s in done])


def _pick(phase: tuple[float | None, int], plan: tuple[float | None, int], label: str) -> tuple[float, str]:
    if phase[0] is not None and phase[1] >= MIN_PHASE_HISTORY:
        return phase[0], f"phase {label} ({plural(phase[1], 'stage')})"
    if plan[0] is not None:
        return plan[0], f"plan ({plural(plan[1], 'stage')})"
    return 1.0, NO_HISTORY


def adjusted_estimates(stages: pd.DataFrame, phases: pd.DataFrame) -> pd.DataFrame:
    """One row per stage not Done, in stage order, with its adjusted cost and days."""
    rows = records(stages)
    labels = {text(p.get("record_id")): text(p.get("phase_id")) or "?" for p in records(phases)}
    done = [s for s in rows if text(s.get("status")) == DONE]
    cost_by_phase, cost_plan = _ratios(
        done, lambda s: (number(s.get("estimated_cost")), number(s.get("realized_cost"))))
    days_by_phase, days_plan = _ratios(done, lambda s: (number(s.get("estimated_days")), stage_days(s)))
    out = []
    for s in rows:
        if text(s.get("status")) == DONE:
            continue
        phase = text(s.get("phase_id")) or ""
        label = labels.get(phase, phase or "?")
        cost_ratio, cost_basis = _pick(cost_by_phase.get(phase, (None, 0)), cost_plan, label)
        days_ratio, days_basis = _pick(days_by_phase.get(phase, (None, 0)), days_plan, label)
        cost, days = number(s.get("estimated_cost")), number(s.get("estimated_days"))
        out.append({
            "record_id": text(s.get("record_id")), "stage_id": text(s.get("stage_id")), "name": text(s.get("name")),
            "phase_id": text(s.get("phase_id")), "status": text(s.get("status")),
            "estimated_cost": cost, "cost_ratio": round(cost_ratio, 6), "cost_basis": cost_basis,
            "adjusted_cost": half_up(cost * cost_ratio, 2) if cost is not None else None,
            "estimated_days": int(days) if days is not None else None, "days_ratio": round(days_ratio, 6),
            "days_basis": days_basis, "adjusted_days": half_up(days * days_ratio, 1) if days is not None else None,
        })
    out.sort(key=lambda r: (stage_key(r["stage_id"]), r["record_id"] or ""))
    return frame(out, ADJUSTED_COLUMNS)


def forecast_at_completion(stages: pd.DataFrame, adjusted: pd.DataFrame, targets: PlanTargets) -> dict:
    """Forecast total cost at completion against the budget and its ±15% band."""
    rows = records(stages)
    if not rows:  # no stages in the snapshot: nothing to forecast, say so rather than $0
        return {"budget": targets.budget, "forecast_cost": None, "variance_usd": None, "variance_pct": None,
                **band(None, BUDGET_BAND_PCT)}
    done = [s for s in rows if text(s.get("status")) == DONE]
    plan_ratio, _ = _ratio([(number(s.get("estimated_cost")), number(s.get("realized_cost"))) for s in done])
    realized = sum(number(s.get("realized_cost")) for s in done if number(s.get("realized_cost")) is not None)
    missing = [s for s in done if number(s.get("realized_cost")) is None]
    missing_estimate = sum((number(s.get("estimated_cost")) or 0.0) * (plan_ratio or 1.0) for s in missing)
    open_rows = records(adjusted)
    open_cost = sum(r["adjusted_cost"] for r in open_rows if r.get("adjusted_cost") is not None)
    forecast = half_up(realized + open_cost + missing_estimate, 2)
    variance = None if targets.budget is None else half_up(forecast - targets.budget, 2)  # no budget: no variance
    pct = variance / targets.budget * 100 if targets.budget and variance is not None else None
    return {
        "budget": targets.budget, "realized_cost": half_up(realized, 2),
        "open_stages": len(open_rows), "adjusted_open_cost": half_up(open_cost, 2),
        "open_without_estimate": sum(1 for r in open_rows if r.get("adjusted_cost") is None),
        "adjusted_open_days": half_up(sum(r["adjusted_days"] for r in open_rows
                                        if r.get("adjusted_days") is not None), 1),
        "done_without_cost": len(missing), "done_without_cost_estimate": half_up(missing_estimate, 2),
        "plan_cost_ratio": round(plan_ratio, 6) if plan_ratio is not None else None,
        "forecast_cost": forecast, "variance_usd": variance, "variance_pct": pct,
        **band(pct, BUDGET_BAND_PCT),
    }
