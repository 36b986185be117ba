"""Cost variance: per stage, per phase and for the plan, on completed work.

A stage's variance is ``realized - estimated`` (dollars) and that over the estimate
(percent). Phase and plan variances compare the realized cost of their completed
stages with those same stages' estimates, so they say how completed work compared
with its estimate; the same ratio drives the adjusted estimates. A Done stage without
a Realized Cost is listed with NaN variance and counted in ``done_without_cost``,
never as a zero cost.
"""

from __future__ import annotations

from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import number, phase_key, records, stage_key, text
from bqx_ops.plan_update.fmt import half_up
from bqx_ops.plan_update.targets import BUDGET_BAND_PCT, PlanTargets, band

DONE = "Done"

STAGE_COST_COLUMNS = {
    "record_id": "string", "stage_id": "string", "name": "string", "phase_id": "string",
    "status": "string", "owner": "string", "estimated_cost": "float64", "realized_cost": "float64",
    "variance_usd": "float64", "variance_pct": "float64", "overrun": "bool",
}
PHASE_COST_COLUMNS = {
    "phase_record_id": "string", "phase_id": "string", "number": "Int64", "name": "string",
    "status": "string", "estimated_cost": "float64", "stages": "Int64", "done_stages": "Int64",
    "costed_stages": "Int64", "done_without_cost": "Int64", "estimated_cost_done": "float64",
    "realized_cost": "float64", "variance_usd": "float64", "variance_pct": "float64", "overrun": "bool",
    "phase_realized_cost": "float64",
}


def _variance(estimated: float | None, realized: float | None) -> tuple[float | None, float | None]:
    if estimated is None or realized is None:
        return None, None
    usd = half_up(realized - estimated, 2)
    return usd, ((realized - estimated) / estimated * 100 if estimated else None)


def stage_rows(stages: pd.DataFrame) -> list[dict]:
    out = []
    for r in records(stages):
        estimated, realized = number(r.get("estimated_cost")), number(r.get("realized_cost"))
        usd, pct = _variance(estimated, realized)
        out.append({
            "record_id": text(r.get("record_id")), "stage_id": text(r.get("stage_id")),
            "name": text(r.get("name")), "phase_id": text(r.get("phase_id")), "status": text(r.get("status")),
            "owner": text(r.get("owner")), "estimated_cost": estimated, "realized_cost": realized,
            "variance_usd": usd, "variance_pct": pct,
            "overrun": estimated is not None and realized is not None and realized > estimated,
        })
    return sorted(out, key=lambda r: (stage_key(r["stage_id"]), r["record_id"] or ""))


def stage_cost_variance(stages: pd.DataFrame) -> pd.DataFrame:
    """One row per stage of the snapshot, in stage order; NaN variance where a cost is missing."""
    return frame(stage_rows(stages), STAGE_COST_COLUMNS)


def _done(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["status"] == DONE]


def completed_work(rows: list[dict], done: list[dict] | None = None) -> dict:
    """Sums over Done stages: the comparable estimate and realized cost, and the gaps. ``done``: the
    Done rows of ``rows``, when the caller has them already."""
    done = _done(rows) if done is None else done
    costed = [r for r in done if r["realized_cost"] is not None and r["estimated_cost"] is not None]
    estimated = half_up(sum(r["estimated_cost"] for r in costed), 2) if costed else None
    realized = half_up(sum(r["realized_cost"] for r in costed), 2) if costed else None
    usd, pct = _variance(estimated, realized)
    return {
        "stages": len(rows), "done_stages": len(done), "costed_stages": len(costed),
        "done_without_cost": sum(1 for r in done if r["realized_cost"] is None),
        "estimated_cost_done": estimated, "realized_cost": realized,
        "variance_usd": usd, "variance_pct": pct,
        "overrun": realized is not None and estimated is not None and realized > estimated,
    }


def phase_cost_variance(stages: pd.DataFrame, phases: pd.DataFrame) -> pd.DataFrame:
    """One row per phase (and one per unknown phase that stages link to), in phase order."""
    by_phase: dict[str, list[dict]] = {}
    for r in stage_rows(stages):
        by_phase.setdefault(r["phase_id"] or "", []).append(r)
    out = []
    for p in records(phases):
        rid = text(p.get("record_id"))
        out.append({
            "phase_record_id": rid, "phase_id": text(p.get("phase_id")), "number": p.get("number"),
            "name": text(p.get("name")), "status": text(p.get("status")),
            "estimated_cost": number(p.get("estimated_cost")),
            "phase_realized_cost": number(p.get("realized_cost")),
            **completed_work(by_phase.pop(rid or "", [])),
        })
    for rid, rows in by_phase.items():  # stages whose phase is not in the snapshot (e.g. quarantined)
        out.append({"phase_record_id": rid or None, **completed_work(rows)})
    out.sort(key=lambda r: (r.get("phase_id") is None, phase_key(r.get("phase_id"), r.get("number")),
                            r["phase_record_id"] or ""))
    return frame(out, PHASE_COST_COLUMNS)


def budget_totals(stages: pd.DataFrame, targets: PlanTargets) -> dict:
    """Plan totals: completed work against its estimate, within the ±15% band or not.

    The variance compares Done stages with their own estimates; it does not say how much of the
    plan's budget is gone. ``budget_spent_pct`` does: the realized cost over the budget (None
    without either), and ``over_budget`` when the realized cost exceeds the whole budget."""
    rows = stage_rows(stages)
    done = _done(rows)
    work = completed_work(rows, done)
    # spent: every Done stage's Realized Cost, also one without an estimate (outside the variance, which
    # needs both; leaving it out of the spend dropped money spent from "realized" and "of budget spent")
    paid = [r["realized_cost"] for r in done if r["realized_cost"] is not None]
    realized, budget = (half_up(sum(paid), 2) if paid else None), number(targets.budget)
    spent = realized / budget * 100 if realized is not None and budget else None
    return {
        "budget": targets.budget,
        "estimated_cost_all_stages": half_up(sum(r["estimated_cost"] or 0.0 for r in rows), 2),
        **work,
        **band(work["variance_pct"], BUDGET_BAND_PCT),
        # a budget of $0 gives no percentage, but any cost is over it (never "no data" there)
        "budget_spent_pct": spent, "over_budget": None if realized is None or budget is None else realized > budget,
        "spent_cost": realized, "done_without_estimate": len(paid) - work["costed_stages"],
    }
