"""Findings of one assessment: plan gaps, the risk matrix, the adjustment proposal, recommendations.

Definitions (README, Stage 10.8):

* A **gap** is a stage of the plan that, at the latest plan week of the quarter, is overdue
  (past its estimated days), or is Done with a cost overrun beyond the budget band (+15%), or
  carries an open P0/P1 issue. The **gap share** is gap stages / all stages of the plan; a Gap
  Remediation Plan is written when it exceeds ``GAP_SHARE`` (10%).
* A Budget/Timeline Adjustment Proposal is written when the budget or the timeline variance
  exceeds ``ADJUSTMENT_VARIANCE`` (15%) in either direction.
* Risk matrix: likelihood x impact, each Low / Medium / High (see ``risk_items``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bqx_ops.assessment.evidence import Evidence
from bqx_ops.assessment.read import TIMELINE_DELAY
from bqx_ops.plan_update.estimates import NO_HISTORY
from bqx_ops.plan_update.fmt import num_vs, pct_vs, plural
from bqx_ops.assessment.score import (
    ACCELERATE, ADJUST, BUDGET_BAND, CONTINUE, PAUSE, PIVOT, REDUCE, Assessment, QuarterInputs,
)

GAP_SHARE = 10.0
ADJUSTMENT_VARIANCE = 15.0
LEVELS = ("Low", "Medium", "High")
OVERDUE_HIGH_DAYS = 10  # working days over estimate that make an overdue stage a high impact

ADVICE = {
    CONTINUE: "Continue as planned: keep the current phase plan and cadence.",
    ADJUST: "Adjust tactics: small course corrections on the weakest dimensions below.",
    PIVOT: "Pivot strategy: prepare a Gap Remediation Plan and a Budget/Timeline Adjustment Proposal for {approver}.",
    PAUSE: "Pause & re-evaluate: fundamental reassessment with {approver} before further spend.",
    ACCELERATE: "Accelerate: R² is degrading consistently; increase ML focus and investment.",
    REDUCE: "Reduce scope or secure additional funding: the budget overrun exceeds 25%.",
}


def advice(decision: str) -> str:
    """The advice of a decision (or override), naming the configuration's approver."""
    from bqx_ops.assessment.approval import approver

    return ADVICE[decision].format(approver=approver())


@dataclass(frozen=True)
class Gap:
    stage_id: str
    name: str
    owner: str | None
    kinds: tuple[str, ...]  # overdue, cost overrun, open P0 / open P1
    rank_key: tuple
    days_over: int | None
    overrun_pct: float | None
    cost_impact: float | None  # adjusted - estimated (open stages) or realized - estimated (Done)
    days_impact: float | None  # adjusted - estimated days
    done: bool = False  # a Done stage: its work is over, no days left to adjust (its cost impact is realized)


def number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def usd(value) -> str:
    """$1,234.50, or blank when there is no figure (a table cell of the assessment documents)."""
    v = number(value)
    return "" if v is None else f"${v:,.2f}"


def gaps(e: Evidence) -> list[Gap]:
    stages: dict[str, dict] = {}
    for r in e.adjusted:
        stages.setdefault(r["record_id"], {"stage_id": r["stage_id"], "name": r["name"], "owner": None})
        stages[r["record_id"]]["adjusted"] = r
    for r in e.stage_costs:
        stages.setdefault(r["record_id"], {"stage_id": r["stage_id"], "name": r["name"]})
        stages[r["record_id"]].update(owner=r.get("owner"), cost=r)
    for r in e.overdue:
        stages.setdefault(r["record_id"], {"stage_id": r["stage_id"], "name": r["name"]})
        stages[r["record_id"]].update(owner=r.get("owner"), overdue=r)
    out = []
    for rec, s in stages.items():
        kinds, cost = [], s.get("cost") or {}
        over = s.get("overdue")
        pct = number(cost.get("variance_pct"))
        if over is not None:
            kinds.append("overdue")
        if cost.get("status") == "Done" and pct is not None and pct > BUDGET_BAND:
            kinds.append("cost overrun")
        if rec in e.issue_stage:
            kinds.append(f"open {e.issue_stage[rec]}")
        if not kinds:
            continue
        adj = s.get("adjusted") or {}
        est, est_days = number(adj.get("estimated_cost")), number(adj.get("estimated_days"))
        # an adjustment with no history (ratio 1: no Done stage to learn from) says nothing: no data, not +0
        if cost.get("status") == "Done":
            cost_impact = number(cost.get("variance_usd"))
        else:
            a = None if adj.get("cost_basis") == NO_HISTORY else number(adj.get("adjusted_cost"))
            cost_impact = None if a is None or est is None else a - est
        a_days = None if adj.get("days_basis") == NO_HISTORY else number(adj.get("adjusted_days"))
        days_impact = None if a_days is None or est_days is None else a_days - est_days
        days_over = None if over is None else int(over["days_over"])
        rank = ("open P0" in kinds, "open P1" in kinds, days_over or 0, pct if "cost overrun" in kinds else 0.0)
        out.append(Gap(s["stage_id"], s["name"], s.get("owner"), tuple(kinds), rank, days_over,
                       pct if "cost overrun" in kinds else None, cost_impact, days_impact,
                       cost.get("status") == "Done"))
    return sorted(out, key=lambda g: (tuple(-float(x) for x in g.rank_key), g.stage_id))


def gap_share(e: Evidence, found: list[Gap]) -> float | None:
    return None if not e.stages_total else 100.0 * len(found) / e.stages_total


def needs_gap_plan(e: Evidence, found: list[Gap]) -> bool:
    share = gap_share(e, found)
    return share is not None and share > GAP_SHARE


def variances(e: Evidence) -> tuple[float | None, float | None]:
    return number((e.budget or {}).get("variance_pct")), number((e.timeline or {}).get("variance_pct"))


def needs_adjustment(e: Evidence) -> bool:
    return any(v is not None and abs(v) > ADJUSTMENT_VARIANCE for v in variances(e))


@dataclass(frozen=True)
class Risk:
    ref: str
    text: str
    likelihood: str
    impact: str
    mitigation: str


def risk_items(i: QuarterInputs, e: Evidence, breached: set[str]) -> list[Risk]:
    """One row per problem. Open P0/P1 issues (impact High for P0, Medium for P1; likelihood High when
    past SLA), except an overdue stage's own "past its estimate" issue, which is named in the stage's row;
    overdue stages (likelihood High; impact High from OVERDUE_HIGH_DAYS over), forecasts beyond
    their band (likelihood High; impact High above 25% / 2x band), R² below target (impact High;
    likelihood by trend: High ↓, Medium →, Low ↑)."""
    out = []
    late = {r["record_id"] for r in e.overdue}
    delays: dict = {}  # overdue stage -> its "past its estimate" issue: one problem, one row (the stage's)
    for x in i.open_issues or ():
        if x.get("priority") not in ("P0", "P1"):
            continue
        fp = x.get("fingerprint") or ""
        if x.get("kind") == TIMELINE_DELAY and x.get("stage_record_id") in late:
            delays[x["stage_record_id"]] = x
            continue
        covered = "action item" if fp in e.actioned else "no action item"
        out.append(Risk(fp, f"{x.get('priority')} {x.get('title')}", "High" if fp in breached else "Medium",
                        "High" if x.get("priority") == "P0" else "Medium", covered))
    for r in e.overdue:
        high = int(r["days_over"]) >= OVERDUE_HIGH_DAYS
        issue = delays.get(r["record_id"])
        also = "" if issue is None else f" (issue {issue.get('fingerprint')}, {issue.get('priority')})"
        out.append(Risk(f"stage {r['stage_id']}", f"{r['name']} is {plural(r['days_over'], 'working day')} over its "
                        f"estimate{also}", "High", "High" if high else "Medium",
                        f"owner {r.get('owner') or 'unknown'} to re-plan"))
    f = e.forecast or {}
    fv = number(f.get("variance_pct"))
    if fv is not None and abs(fv) > BUDGET_BAND:
        out.append(Risk("forecast cost", f"forecast at completion ${number(f.get('forecast_cost')) or 0:,.2f} "
                        f"({pct_vs(fv, (BUDGET_BAND, -BUDGET_BAND, 25, -25))} vs budget)", "High", "High" if abs(fv) > 25 else "Medium",
                        "adjustment proposal"))
    t = e.timeline or {}
    tv, band = number(t.get("variance_pct")), number(t.get("band_pct")) or 20.0
    if tv is not None and abs(tv) > band:
        fdays = number(t.get("forecast_days"))  # as the plan update and the proposal print it: 114.5, not 114
        out.append(Risk("forecast timeline", f"timeline variance {pct_vs(tv, (band, -band, 2 * band, -2 * band))} (" + (
            "forecast: no data" if fdays is None else f"forecast {fdays:.1f} working days") + ")", "High",
                        "High" if abs(tv) > 2 * band else "Medium", "adjustment proposal"))
    r2 = number((i.r2 or {}).get("current_r2"))
    lo = number((i.r2 or {}).get("target_min"))  # the plan's; none: no R² risk can be judged
    if r2 is not None and lo is not None and r2 < lo:
        trend = (i.r2 or {}).get("trend")
        out.append(Risk("R² target", f"ensemble R² {num_vs(r2, (lo,), 4)} below {lo:.2f}",
                        {"↓": "High", "↑": "Low"}.get(trend, "Medium"), "High", "ML focus (goal alignment)"))
    order = {v: n for n, v in enumerate(LEVELS)}
    return sorted(out, key=lambda r: (-order[r.likelihood] * 3 - order[r.impact], r.ref))


def mitigation_coverage(i: QuarterInputs, e: Evidence) -> tuple[int, int]:
    high = [x.get("fingerprint") for x in i.open_issues or () if x.get("priority") in ("P0", "P1")]
    return sum(1 for fp in high if fp in e.actioned), len(high)


def recommendations(a: Assessment, found: list[Gap], risks: list[Risk], gap_plan: bool,
                    adjustment: bool) -> list[tuple[str, str]]:
    """(finding, recommendation), each recommendation tied to the finding behind it."""
    out = [(f"Decision: {a.decision.decision} ({'; '.join(a.decision.reasons)})", advice(d))
           for d in (a.decision.overrides or (a.decision.band,))]
    for d in a.dimensions:
        if d.score is None:
            out.append((f"{d.name}: {d.status}", f"{d.name}: provide the data ({d.rationale})."))
        elif d.score < 70:
            out.append((f"{d.name} scored {d.score:.1f} ({d.rationale})",
                        f"Remediate {d.name.lower()}: it is below the 70 'minor gaps' line."))
    if gap_plan:
        out.append((plural(len(found), "gap stage"), "Execute the Gap Remediation Plan, highest priority first."))
    if adjustment:
        out.append(("budget/timeline variance beyond ±15%", "Approve the Budget/Timeline Adjustment Proposal."))
    for r in risks:
        if r.likelihood == "High" and r.impact == "High":
            out.append((f"high/high risk {r.ref}: {r.text}", f"Mitigate now ({r.mitigation})."))
    return out
