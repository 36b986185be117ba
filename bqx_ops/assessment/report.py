"""The 360 assessment report (docs/assessments/Q{n}-{year}.md): deterministic markdown, user text escaped.

Sections: the version banner (draft / weekly refresh / final), executive summary, the seven
scores, one deep dive per dimension, trend analysis against every earlier quarter, the risk
matrix (likelihood x impact), and recommendations each tied to the finding behind it.
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.assessment import deepdive
from bqx_ops.assessment.evidence import Evidence
from bqx_ops.assessment.findings import (
    ADJUSTMENT_VARIANCE, LEVELS, Risk, gap_share, gaps, needs_adjustment, needs_gap_plan,
)
from bqx_ops.assessment.findings import recommendations as tied_recommendations
from bqx_ops.assessment.findings import advice, risk_items, variances
from bqx_ops.assessment.approval import approver
from bqx_ops.calendar import ASSESSMENT
from bqx_ops.assessment.score import BANDS, DIMENSIONS, GAP_NAMES, MANUAL, NO_DATA, Assessment, QuarterInputs, level
from bqx_ops.assessment.versions import FINAL, Version
from bqx_ops.markdown import cell
from bqx_ops.markdown import table as md_table
from bqx_ops.plan_update.fmt import fixed, pct, pct_vs, plural


def _variances_line(e: Evidence, quarter: str, adjustment: bool) -> str:
    """Which variance is beyond the seed's ±15% adjustment trigger, by name and value: "beyond ±15%" alone
    read as if the budget were, beside a budget within its band and a timeline far beyond it."""
    known = [(name, v) for name, v in zip(("budget", "timeline"), variances(e)) if v is not None]
    if not known:
        return "no data"
    band = ADJUSTMENT_VARIANCE

    def shown(pairs):
        return [f"{name} {pct_vs(v, (band, -band))}" for name, v in pairs]
    if not adjustment:
        return f"within ±{band:.0f}% ({', '.join(shown(known))})"
    beyond = " and ".join(shown((n, v) for n, v in known if abs(v) > band))
    return f"{beyond} beyond ±{band:.0f}% → [Adjustment Proposal]({adjustment_path(quarter).rsplit('/', 1)[1]})"


def report_path(quarter: str) -> str:
    return f"docs/assessments/{quarter}.md"


def gap_plan_path(quarter: str) -> str:
    return f"docs/assessments/{quarter}-gap-remediation-plan.md"


def adjustment_path(quarter: str) -> str:
    return f"docs/assessments/{quarter}-budget-timeline-adjustment.md"


MARKER = "<!-- bqx-ops 360 version {} of 4 -->"


def marker(number: int) -> str:
    return MARKER.format(number)


def published_version(text: str | None) -> int:
    """The version number a published report carries (0: none)."""
    for n in range(4, 0, -1):
        if text and marker(n) in text:
            return n
    return 0


def _score(value: float | None, status: str) -> str:
    return f"{value:.1f}" if value is not None else status


def recommendations(a: Assessment) -> list[str]:
    """The decision's advice, then one line per weak, unscored or manual dimension (in dimension order)."""
    out = [advice(d) for d in (a.decision.overrides or (a.decision.band,))]
    for d in a.dimensions:
        if d.status == MANUAL:
            out.append(f"{d.name}: provide the manual input (interviews / review) before {approver()}'s approval.")
        elif d.status == NO_DATA:
            out.append(f"{d.name}: no data for the quarter; run the plan update and issue review.")
        elif d.score is not None and d.score < 70:
            out.append(f"{d.name} scored {d.score:.1f}: remediate ({d.rationale}).")
    return out


def _num(v, fmt: str) -> str:
    return "" if v is None or v != v else fmt.format(v)


def _earlier(row: dict) -> str:
    """An earlier quarter's score, else what its report said instead (manual input required, no data):
    "–" only for a dimension that quarter did not have."""
    return _num(row.get("score"), "{:.1f}") or row.get("status") or "–"


def trend(a: Assessment, e: Evidence, quarter: str) -> list[str]:
    quarters = list(dict.fromkeys(h["quarter"] for h in e.history))
    by = {(h["quarter"], h["dimension"]): h for h in e.history}
    first = {q: next(h for h in e.history if h["quarter"] == q) for q in quarters}
    rows = [[d.name, *[_earlier(by.get((q, d.name), {})) for q in quarters],
             _score(d.score, d.status)] for d in a.dimensions]
    rows.append(["Overall", *[_num(first[q]["overall"], "{:.1f}") for q in quarters], _num(a.overall, "{:.1f}")])
    rows.append(["Decision", *[first[q]["decision"] for q in quarters], a.decision.decision])
    rows.append([f"{approver()}'s approval", *[e.answers.get(q, "not requested") for q in quarters], "requested (final)"])
    m = e.history_metrics
    def shown(v, fmt) -> str:  # the plan update's and dashboard's one rounding rule (0.96375 reads 0.9638)
        return "" if v is None or v != v else fmt(v)
    for label, key, fmt in (("Ensemble R²", "r2", lambda v: fixed(v, 4)), ("Budget variance", "budget_pct", pct),
                            ("Timeline variance", "timeline_pct", pct), ("Open P0/P1", "open_p0_p1", str)):
        rows.append([label, *[shown(m.get(q, {}).get(key), fmt) for q in quarters],
                     shown(m.get("this", {}).get(key), fmt)])
    intro = ("This is the first assessment: no earlier quarter to compare." if not quarters else
             f"Scores and key metrics against every earlier quarter ({', '.join(quarters)}).")
    return ["## Trend analysis", "", intro, "", md_table(["", *quarters, quarter], rows)]


def risk_matrix(risks: list[Risk]) -> list[str]:
    grid = []
    for likelihood in reversed(LEVELS):
        grid.append([f"**{likelihood}**", *[", ".join(r.ref for r in risks if r.likelihood == likelihood
                                                       and r.impact == impact) or "·" for impact in LEVELS]])
    header = "| Likelihood \\\\ Impact | " + " | ".join(LEVELS) + " |"
    lines = [header, "|---|---|---|---|"] + ["| " + grid[n][0] + " | " + " | ".join(cell(c) for c in grid[n][1:])
                                               + " |" for n in range(3)]
    return ["## Risk matrix", "", "From open P0/P1 issues, overdue stages and the forecasts (likelihood × impact).",
            "", *lines, "", md_table(["Risk", "What", "Likelihood", "Impact", "Mitigation"],
                                     [[r.ref, r.text, r.likelihood, r.impact, r.mitigation] for r in risks])]


def render(quarter: str, as_of: dt.datetime, a: Assessment | None, risks: list[dict],
           inputs: QuarterInputs | None = None, evidence: Evidence | None = None,
           version: Version | None = None) -> str:
    version = version or Version(FINAL, as_of, 4)
    lines = [f"# 360 Plan Assessment {quarter}", "", marker(version.number), "", f"> **{cell(version.banner)}**", "",
             # people are named as the base spells them: markdown in a name ('Cy *Kim*') stays text
             f"As of {as_of:%Y-%m-%d %H:%M} UTC (owner {cell(ASSESSMENT.owner)}, approval {cell(approver())}).", ""]
    if a is None:
        lines += ["## Executive summary", "", "**Decision: no data** (no assessment scores for the quarter).", ""]
        return "\n".join(lines)
    i, e = inputs or QuarterInputs(), evidence or Evidence()
    found = gaps(e)
    breached = {b.get("fingerprint") for b in i.breaches or ()}
    matrix = risk_items(i, e, breached)
    gap_plan, adjustment = needs_gap_plan(e, found), needs_adjustment(e)
    overall = "no data" if a.overall is None else f"{a.overall:.1f}%"
    scored = sum(1 for d in a.dimensions if d.score is not None)
    share = gap_share(e, found)
    lines += ["## Executive summary", "", f"**Decision: {a.decision.decision}**", "",
              f"- Overall alignment: {overall} (mean of {scored} scored dimensions of {len(DIMENSIONS)})",
              "- Alignment band (of the overall score): " + ("no data" if a.overall is None else BANDS[level(a.overall)]),
              "- Gap severity (worst scored dimension): " + (GAP_NAMES[max(level(d.score) for d in a.dimensions
                                                                             if d.score is not None)]
                                                             if a.overall is not None else "no data"),
              f"- Decision (the more severe of the two): {a.decision.band}"]
    if a.decision.overrides:
        lines.append(f"- Overridden by: {', '.join(a.decision.overrides)}")
    lines += [f"- Why: {cell('; '.join(a.decision.reasons))}",
              f"- Gaps: {plural(len(found), 'stage')}" + ("" if share is None else f", {share:.1f}% of the plan")
              + (f" → [Gap Remediation Plan]({gap_plan_path(quarter).rsplit('/', 1)[1]})" if gap_plan else ""),
              "- Budget/timeline: " + _variances_line(e, quarter, adjustment),
              f"- High/high risks: {sum(1 for r in matrix if r.likelihood == r.impact == 'High')}", "",
              "## Dimensions", "",
              md_table(["#", "Dimension", "Score (0-100)", "Rationale"],
                       [[n + 1, d.name, _score(d.score, d.status), d.rationale] for n, d in enumerate(a.dimensions)]),
              "## Deep dives", ""]
    lines += deepdive.sections(a, i, e, found, matrix)
    lines += trend(a, e, quarter) + risk_matrix(matrix)
    lines += ["## Risks (open P0/P1 issues)", "",
              md_table(["Priority", "Issue", "Owner", "Age (h)", "Source"],
                       [[r.get("priority"), r.get("title"), r.get("owner"),
                         "" if r.get("age_hours") is None else f"{r['age_hours']:.1f}", r.get("source")]
                        for r in risks])]
    lines += ["## Recommendations", "", "Each recommendation names the finding behind it.", ""]
    lines += [f"{n}. {cell(rec, limit=400)} _(finding: {cell(why, limit=300)})_"
              for n, (why, rec) in enumerate(tied_recommendations(a, found, matrix, gap_plan, adjustment), 1)]
    return "\n".join(lines) + "\n"
