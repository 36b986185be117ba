"""The Gap Remediation Plan and the Budget/Timeline Adjustment Proposal of a final assessment."""

from __future__ import annotations

import datetime as dt

from bqx_ops.assessment.approval import approval_title, approver
from bqx_ops.assessment.evidence import Evidence
from bqx_ops.assessment.findings import ADJUSTMENT_VARIANCE, GAP_SHARE, Gap, number, gap_share, usd
from bqx_ops.assessment.proposals import days_up, shown
from bqx_ops.issue_review.rules import p0_p1_sla_hours, sla_words
from bqx_ops.markdown import cell, table as md_table
from bqx_ops.plan_update.fmt import fixed, plural
from bqx_ops.plan_update.report_parts import over_zero_budget, unestimated

APPROACH = {  # "{P0}" / "{P1}": the SLA of the team's triage rules ("24h", "1 week" for the seed's)
    "open P0": "resolve the P0 issue first (action item within {P0}), then re-test the stage",
    "open P1": "resolve the P1 issue within {P1} (action item)",
    "overdue": "re-plan: split the remaining work or add capacity; re-estimate from the adjusted days",
    "cost overrun": "root-cause the spend and cap it on the next stages of the phase (spot, smaller runs)",
}


NO_IMPACT = "no data"


def _days_known(g: Gap) -> bool:
    """Whether a gap's timeline impact is known: its adjusted estimate's, or none left (Done)."""
    return g.days_impact is not None or g.done


def _days_impact(g: Gap) -> str:
    if g.days_impact is not None:
        return f"{g.days_impact:+.1f}"
    return "– (Done)" if g.done else NO_IMPACT


def _money(v) -> str:
    v = number(v)
    return "" if v is None else f"{v:+,.2f}"


def _pct(v) -> str:
    """A variance with its sign; a missing one is "no data", never "+0.0%"."""
    v = number(v)
    return "no data" if v is None else f"{v:+.1f}%"


def _schedule(days: float | None) -> str:
    if days is None:
        return "no data on"
    return f"{plural(abs(round(days)), 'working day')} {'behind' if days > 0 else 'ahead of'}" if round(days) else "on"


def gap_plan(quarter: str, as_of: dt.datetime, e: Evidence, found: list[Gap]) -> str:
    share = gap_share(e, found) or 0.0
    sla = {p: sla_words(h) for p, h in p0_p1_sla_hours().items()}
    costs = [g.cost_impact for g in found if g.cost_impact is not None]
    days = [g.days_impact or 0.0 for g in found if _days_known(g)]  # Done: no days left
    lines = [f"# Gap Remediation Plan {quarter}", "",
             f"As of {as_of:%Y-%m-%d %H:%M} UTC, with the 360 assessment [{quarter}]({quarter}.md).", "",
             f"Written because the gaps exceed {GAP_SHARE:.0f}% of the plan: {len(found)} of {e.stages_total} "
             f"stages ({share:.1f}%). A gap is a stage that is overdue, Done over its cost band, or carries an "
             "open P0/P1 issue.", "", "## Gap identification and priority ranking", "",
             "Ranked: open P0, then open P1, then working days over estimate, then cost overrun.", "",
             md_table(["Rank", "Stage", "Name", "Owner", "Gaps", "Days over", "Overrun"],
                      [[n, g.stage_id, g.name, g.owner, ", ".join(g.kinds), "" if g.days_over is None else g.days_over,
                        "" if g.overrun_pct is None else f"{g.overrun_pct:+.1f}%"] for n, g in enumerate(found, 1)]),
             "## Remediation approach", "",
             md_table(["Rank", "Stage", "Approach"],
                      [[n, g.stage_id, "; ".join(APPROACH[k].format(**sla) for k in g.kinds)]
                       for n, g in enumerate(found, 1)]),
             "## Cost and timeline impact", "",
             "From the plan update's adjusted estimates (realized cost for Done stages).", "",
             md_table(["Stage", "Cost impact ($)", "Timeline impact (working days)"],
                      [[g.stage_id, _money(g.cost_impact) or NO_IMPACT,
                        _days_impact(g)] for g in found]),
             f"Total: {_money(sum(costs)) + ' USD' if costs else 'cost no data'} and "
             f"{f'{sum(days):+.1f} working days' if days else 'working days no data'}"
             + ("" if all(g.cost_impact is not None and _days_known(g) for g in found) else
                " (stages marked no data have no adjusted estimate: no Done stage to learn a ratio from)") + ".", ""]
    return "\n".join(lines)


def adjustment(quarter: str, as_of: dt.datetime, e: Evidence, updates: list[dict]) -> str:
    b, t, f = e.budget or {}, e.timeline or {}, e.forecast or {}
    phases = sorted((r for r in e.phase_costs if (number(r.get("variance_usd")) or 0) > 0),
                    key=lambda r: -(number(r["variance_usd"]) or 0))[:3]
    stages = sorted((r for r in e.stage_costs if (number(r.get("variance_usd")) or 0) > 0),
                    key=lambda r: (-(number(r["variance_usd"]) or 0), r["stage_id"]))[:5]
    slow = sorted((r for r in e.phase_timeline if (r.get("variance_days") or 0) > 0),
                  key=lambda r: (-(r["variance_days"] or 0), r["number"]))[:3]
    late = sorted(e.overdue, key=lambda r: (-(number(r.get("days_over")) or 0), str(r.get("stage_id"))))[:5]
    budget_now, forecast = number(f.get("budget")), number(f.get("forecast_cost"))
    fdays = number(t.get("forecast_days"))
    lines = [f"# Budget/Timeline Adjustment Proposal {quarter}", "",
             f"As of {as_of:%Y-%m-%d %H:%M} UTC, with the 360 assessment [{quarter}]({quarter}.md).", "",
             f"Written because a variance exceeds ±{ADJUSTMENT_VARIANCE:.0f}%: budget "
             f"{_pct(b.get('variance_pct'))}, timeline {_pct(t.get('variance_pct'))}.", "",
             "## Variance root cause analysis", "", "Phases driving the cost variance:", "",
             md_table(["Phase", "Name", "Est. (Done)", "Realized", "Variance ($)", "Variance"],
                      [[r["number"], r["name"], usd(r.get("estimated_cost_done")), usd(r.get("realized_cost")),
                        _money(r.get("variance_usd")), f"{number(r.get('variance_pct')) or 0:+.1f}%"] for r in phases]),
             "Stages driving it:", "",
             md_table(["Stage", "Name", "Estimated", "Realized", "Variance ($)"],
                      [[r["stage_id"], r["name"], usd(r.get("estimated_cost")), usd(r.get("realized_cost")),
                        _money(r.get("variance_usd"))] for r in stages]),
             "Phases driving the timeline variance:", "",
             md_table(["Phase", "Name", "Est. days", "Actual days", "Over"],
                      [[r["number"], r["name"], r.get("estimated_days"), r.get("actual_days"), r.get("variance_days")]
                       for r in slow]) if slow or any(number(r.get("estimated_days")) is not None
                                                       for r in e.phase_timeline)
             else "_no data: no phase has Estimated Days_\n",
             "Stages in progress past their estimate:", "",
             md_table(["Stage", "Name", "Est. days", "Working days so far", "Over"],
                      [[r["stage_id"], r["name"], r.get("estimated_days"), r.get("days_in_progress"),
                        r.get("days_over")] for r in late]),
             "## Proposed re-baseline", "",
             f"- Budget: {usd(budget_now)} → {usd(forecast)} (forecast at completion: realized cost plus "
             f"the adjusted estimates of the open stages{unestimated(f)}).",
             f"- Timeline: {t.get('days_min')}–{t.get('days_max')} → "
             + ("no forecast" if fdays is None else f"{days_up(fdays)} (forecast {fixed(fdays, 1)}, rounded up)")
             + " working days"
             # the forecast scales the stages' Estimated Days: a stage without them is not in it, said
             + (f" (stages without Estimated Days, not in it: {cell(t['stages_without_days'])})"
                if fdays is not None and isinstance(t.get("stages_without_days"), str) else "") + ".", "",
             "## Impact assessment", "",
             f"- Cost: {_money(None if forecast is None or budget_now is None else forecast - budget_now)} USD "
             + (f"({zero})." if (zero := over_zero_budget(f)) else f"({_pct(f.get('variance_pct'))} on the budget)."),
             f"- Schedule: {_schedule(number(t.get('schedule_variance_days')))} the earned schedule today.",
             f"- {plural(len(updates), 'Airtable field update')}, applied only on approval:", "",
             md_table(["Table", "Key", "Field", "Current", "Proposed"],
                      [[u["table"], u["key"], u["field"], shown(u["field"], u.get("current")),
                        shown(u["field"], u["value"])] for u in updates]),
             "## Approval request", "",
             f"{cell(approver())}: approve or reject in Airtable, Decisions record “{approval_title(quarter)}” (field "
             "Approval). On approval the updates above are applied; they must show in Airtable within one week.", ""]
    return "\n".join(lines)
