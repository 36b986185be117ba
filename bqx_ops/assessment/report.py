"""The 360 assessment report (docs/assessments/Q{n}-{year}.md): deterministic markdown, user text escaped."""

from __future__ import annotations

import datetime as dt

from bqx_ops.assessment.score import (
    ACCELERATE,
    ADJUST,
    CONTINUE,
    DIMENSIONS,
    MANUAL,
    NO_DATA,
    PAUSE,
    PIVOT,
    REDUCE,
    Assessment,
)
from bqx_ops.markdown import cell
from bqx_ops.markdown import table as md_table

ADVICE = {
    CONTINUE: "Continue as planned: keep the current phase plan and cadence.",
    ADJUST: "Adjust tactics: small course corrections on the weakest dimensions below.",
    PIVOT: "Pivot strategy: prepare a Gap Remediation Plan and a Budget/Timeline Adjustment Proposal for RM-001.",
    PAUSE: "Pause & re-evaluate: fundamental reassessment with RM-001 before further spend.",
    ACCELERATE: "Accelerate: R² is degrading consistently; increase ML focus and investment.",
    REDUCE: "Reduce scope or secure additional funding: the budget overrun exceeds 25%.",
}


def report_path(quarter: str) -> str:
    return f"docs/assessments/{quarter}.md"


def _score(value: float | None, status: str) -> str:
    return f"{value:.1f}" if value is not None else status


def recommendations(a: Assessment) -> list[str]:
    """The decision's advice, then one line per weak, unscored or manual dimension (in dimension order)."""
    out = [ADVICE[d] for d in (a.decision.overrides or (a.decision.band,))]
    for d in a.dimensions:
        if d.status == MANUAL:
            out.append(f"{d.name}: provide the manual input (interviews / review) before RM-001 approval.")
        elif d.status == NO_DATA:
            out.append(f"{d.name}: no data for the quarter; run the plan update and issue review.")
        elif d.score is not None and d.score < 70:
            out.append(f"{d.name} scored {d.score:.1f}: remediate ({d.rationale}).")
    return out


def render(quarter: str, as_of: dt.datetime, a: Assessment | None, risks: list[dict]) -> str:
    lines = [f"# 360 Plan Assessment {quarter}", "",
             f"As of {as_of:%Y-%m-%d %H:%M} UTC (Stage 10.8, owner ARCH-001, approval RM-001).", ""]
    if a is None:
        lines += ["## Executive summary", "", "**Decision: no data** (no assessment scores for the quarter).", ""]
        return "\n".join(lines)
    overall = "no data" if a.overall is None else f"{a.overall:.1f}%"
    scored = sum(1 for d in a.dimensions if d.score is not None)
    lines += ["## Executive summary", "", f"**Decision: {a.decision.decision}**", "",
              f"- Overall alignment: {overall} (mean of {scored} scored dimensions of {len(DIMENSIONS)})",
              f"- Alignment band: {a.decision.band}"]
    if a.decision.overrides:
        lines.append(f"- Overridden by: {', '.join(a.decision.overrides)}")
    lines += [f"- Why: {cell('; '.join(a.decision.reasons))}", "", "## Dimensions", "",
              md_table(["#", "Dimension", "Score (0-100)", "Rationale"],
                       [[i + 1, d.name, _score(d.score, d.status), d.rationale]
                        for i, d in enumerate(a.dimensions)]),
              "## Risks (open P0/P1 issues)", ""]
    lines.append(md_table(["Priority", "Issue", "Owner", "Age (h)", "Source"],
                          [[r.get("priority"), r.get("title"), r.get("owner"),
                            "" if r.get("age_hours") is None else f"{r['age_hours']:.1f}", r.get("source")]
                           for r in risks]))
    lines += ["## Recommendations", ""]
    lines += [f"{i}. {cell(text, limit=400)}" for i, text in enumerate(recommendations(a), 1)]
    return "\n".join(lines) + "\n"
