"""One deep-dive section per dimension, answering the seed's questions with the quarter's data."""

from __future__ import annotations

from bqx_ops.assessment import people as pp
from bqx_ops.assessment.evidence import Evidence
from bqx_ops.assessment.findings import GAP_SHARE, Gap, Risk, number, gap_share, mitigation_coverage, usd
from bqx_ops.assessment.score import Assessment, QuarterInputs, criteria
from bqx_ops.markdown import cell
from bqx_ops.markdown import table as md_table
from bqx_ops.plan_update.r2 import TREND_WINDOW_DAYS
from bqx_ops.plan_update.fmt import fixed, num_vs, pct, plural
from bqx_ops.plan_update.report_parts import over_zero_budget, unestimated


def _pct(v) -> str:
    v = number(v)
    return "no data" if v is None else pct(v)


def goal(i: QuarterInputs, e: Evidence) -> list[str]:
    r2, lo = number((i.r2 or {}).get("current_r2")), number((i.r2 or {}).get("target_min"))
    hi = number((i.r2 or {}).get("target_max"))
    if i.r2 is None:  # no plan week of the quarter has closed by the instant: its target is not read yet
        on_track, path, below = "no data (no plan week of the quarter has closed yet)", "target", []
    elif lo is None:  # the plan has no R² target: nothing to be on track against
        on_track, path, below = "no data (no R² target in the plan)", "target", []
    else:
        on_track = "no data" if r2 is None else ("yes" if r2 >= lo else f"no: {fixed(lo - r2, 4)} below {lo:.2f}")
        path = f"{lo:.2f} → {(hi or lo):.2f}+ path"
        below = [r["horizon"] for r in e.r2_by_horizon if number(r["r2"]) is not None and number(r["r2"]) < lo]
    out = [f"- Is R² progression on track ({path})? {on_track}.",
           f"- Do the horizons still hold? {len(e.r2_by_horizon) - len(below)}/{len(e.r2_by_horizon)} horizons "
           f"at target" + (f"; below: {', '.join(below)}" if below else "") + ".", "",
           "R² path over the quarter's plan weeks:", "",
           md_table(["Week ending", "Ensemble R²", f"Trend ({TREND_WINDOW_DAYS} days)"],
                    [[f"{r['period_end']:%Y-%m-%d}", "" if number(r["current_r2"]) is None else num_vs(r["current_r2"], () if lo is None else (lo,), 4),
                      r["trend"]] for r in e.r2_path]),
           "Latest Ensemble R² per horizon:", "",
           md_table(["Horizon", "R²", "Evaluated", "At target"],
                    [[r["horizon"], num_vs(r["r2"], () if lo is None else (lo,), 4), f"{r['evaluated_on']:%Y-%m-%d}",
                      "no data" if lo is None else ("yes" if r["r2"] >= lo else "no")] for r in e.r2_by_horizon])]
    return out


def technical(i: QuarterInputs, e: Evidence, found: list[Gap]) -> list[str]:
    p = {k: sum(1 for x in i.open_issues or () if x.get("priority") == k) for k in ("P0", "P1")}
    share = gap_share(e, found)
    overruns = [g for g in found if "cost overrun" in g.kinds]
    return [f"- Critical gaps (open P0): {p['P0']} (target 0); open P1: {p['P1']}.",
            f"- Gap stages: {len(found)} of {e.stages_total}"
            + ("" if share is None else f" ({num_vs(share, (GAP_SHARE,), 1)}% of the plan; a remediation plan "
                                        f"above {fixed(GAP_SHARE)}%)") + ".",
            f"- Tech-debt signals: {plural(len([g for g in found if 'overdue' in g.kinds]), 'overdue stage')}, "
            f"{plural(len(overruns), 'Done stage')} over budget by more than 15%.", ""]


def budget(e: Evidence) -> list[str]:
    f = e.forecast or {}
    costs = {r["phase_id"]: r for r in e.phase_costs}
    rows = []
    for t in e.phase_timeline:
        c = costs.get(t["phase_id"], {})
        rows.append([t["number"], t["name"], t["status"], usd(c.get("estimated_cost_done")), usd(c.get("realized_cost")),
                     _pct(c.get("variance_pct")) if c else "", t.get("estimated_days"), t.get("actual_days"),
                     t.get("variance_days")])
    return [f"- Budget variance (Done stages): {_pct((e.budget or {}).get('variance_pct'))} vs ±15%; "
            f"timeline variance: {_pct((e.timeline or {}).get('variance_pct'))} vs ±20%.",
            f"- Forecast at completion: {usd(f.get('forecast_cost')) or 'no data'} against "
            f"{usd(f.get('budget')) or 'no data'} ({over_zero_budget(f) or _pct(f.get('variance_pct'))}{unestimated(f)}).",
            f"- Slippage: {plural(len(e.overdue), 'stage')} past their estimated days"
            + (": " + ", ".join(f"{r['stage_id']} (+{r['days_over']} d)" for r in e.overdue) if e.overdue else "")
            + ".", "", "Actual vs estimated by phase:", "",
            md_table(["#", "Phase", "Status", "Est. cost (Done)", "Realized", "Cost var.", "Est. days",
                      "Actual days", "Days var."], rows)]


def success(i: QuarterInputs, a: Assessment) -> list[str]:
    crit = criteria(i)
    known = [c for c in crit if c[1] is not None]
    met = sum(1 for _, ok in known if ok)
    share = None if not known else 100 * met / len(known)
    p = i.people
    candidates = []
    s = pp.mean(pp.scores(p, pp.SATISFACTION))
    if s is not None and s <= pp.SATISFACTION_TARGET:
        candidates.append(f"user satisfaction > 8/10 (now {num_vs(s, (pp.SATISFACTION_TARGET,), 2)})")
    u = pp.team_utilization(p)
    if u is not None and not pp.UTILIZATION_BAND[0] <= u <= pp.UTILIZATION_BAND[1]:
        candidates.append(f"agent utilization 60-80% (now {num_vs(u, pp.UTILIZATION_BAND, 1)}%)")
    up = pp.uptime_pct(p)
    if up is not None and up < pp.UPTIME_TARGET:
        candidates.append(f"dependency uptime > 99% (now {num_vs(up, (pp.UPTIME_TARGET,), 1)}%)")
    return [f"- Criteria met: {met}/{len(known)}" + ("" if share is None else f" ({num_vs(share, (80,), 0)}%; target 80%+)") + ".",
            "", md_table(["Criterion", "Met"], [[n, "no data" if ok is None else ("yes" if ok else "no")]
                                                for n, ok in crit]),
            "- Obsolete candidates (no data this quarter: review or give them a source): "
            + (", ".join(n for n, ok in crit if ok is None) or "none") + ".",
            "- New criteria candidates (seed metrics missed and not yet tracked): "
            + (", ".join(candidates) or "none") + ".", ""]


def risk(i: QuarterInputs, e: Evidence) -> list[str]:
    new = [x for x in i.open_issues or () if x.get("priority") in ("P0", "P1") and e.previous_as_of is not None
           and x.get("created_at") is not None and x["created_at"] > e.previous_as_of]
    covered, total = mitigation_coverage(i, e)
    since = ("the first assessment" if e.previous_as_of is None
             else f"the previous final assessment ({e.previous_as_of:%Y-%m-%d %H:%M} UTC)")
    return [f"- New P0/P1 risks since {since}: " + (str(len(new)) if e.previous_as_of is not None else "all open")
            + ("" if not new else " (" + ", ".join(cell(x.get("title"), 80) for x in new) + ")") + ".",
            f"- Mitigation coverage (P0/P1 with an action item): {covered}/{total}"
            + ("" if not total else f" ({num_vs(100 * covered / total, (100,), 0)}%; target 100%)") + ".", ""]


def stakeholder(p: pp.PeopleInputs) -> list[str]:
    recs = [r for r in p.records if r.get("kind") in (pp.SATISFACTION, pp.INTERVIEW)]
    u = p.utilization or {}
    return ["Surveys and interviews:", "",
            md_table(["Kind", "Score /10", "Summary", "By"],
                     [[r["kind"], "" if r.get("score") is None else f"{r['score']:.1f}", r.get("summary"),
                       r.get("recorded_by")] for r in recs]),
            "Agent utilization (share of the quarter's snapshots with a task In Progress):", "",
            md_table(["Agent", "Utilization"], [[k, f"{num_vs(v, pp.UTILIZATION_BAND, 1)}%"] for k, v in sorted(u.items())]),
            "- Dependency uptime: " + ("no data" if pp.uptime_pct(p) is None else
                                        f"{num_vs(pp.uptime_pct(p), (pp.UPTIME_TARGET,), 1)}% ({plural(p.failure_days, 'failure day')} of {p.days})")
            + ".", ""]


def industry(p: pp.PeopleInputs) -> list[str]:
    recs = [r for r in p.records if r.get("kind") in (pp.TECHNIQUE, pp.COMPETITIVE, pp.MARKET)]
    return [f"- Techniques adopted this quarter: {len(pp.techniques(p))} (target 1-2)"
            + (": " + "; ".join(cell(t.rstrip("."), 120) for t in pp.techniques(p)) if pp.techniques(p) else "") + ".",
            "",
            md_table(["Kind", "Score /10", "Summary"],
                     [[r["kind"], "" if r.get("score") is None else f"{r['score']:.1f}", r.get("summary")]
                      for r in recs])]


def sections(a: Assessment, i: QuarterInputs, e: Evidence, found: list[Gap], risks: list[Risk]) -> list[str]:
    body = {"Goal alignment": goal(i, e), "Technical gaps": technical(i, e, found), "Budget & timeline": budget(e),
            "Success criteria": success(i, a), "Risk": risk(i, e), "Stakeholder alignment": stakeholder(i.people),
            "Industry trends": industry(i.people)}
    out = []
    for n, d in enumerate(a.dimensions, 1):
        score = f"{d.score:.1f}" if d.score is not None else d.status
        out += [f"### {n}. {d.name}: {score}", "", f"_{cell(d.rationale, 400)}_", ""] + body.get(d.name, [])
    return out
