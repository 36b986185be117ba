"""Audit fixes of the 360 assessment, on hand-built inputs; every expectation is hand arithmetic."""

import datetime as dt

from bqx_ops.assessment.report import render
from bqx_ops.assessment.score import QuarterInputs, assess

AS_OF = dt.datetime(2030, 3, 29, 9)


def test_the_alignment_band_is_the_overall_scores_band_and_the_decision_is_printed_apart():
    # budget +10% / timeline +10%: 100; risk: 3 open P1 -> 100 - 30 = 70; technical gaps: 100 - 3 * 10 = 70;
    # success criteria: R² 0.60 > 0.80 missed, budget, timeline, no P0/P1 breach met -> 4/5 = 80. Goal alignment:
    # R² 0.60 vs 0.80, trend →: 80 * (0.60 - 0.60) / 0.20 = 0. Overall = (0 + 70 + 100 + 80 + 70) / 5 = 64.0 -> Pivot
    # (50 to < 70); the worst dimension 0 < 50 is a major gap, so the decision is Pause & re-evaluate.
    issues = tuple({"fingerprint": f"f{n}", "priority": "P1", "untriaged": False, "title": f"t{n}"} for n in range(3))
    inputs = QuarterInputs(r2={"current_r2": 0.60, "trend": "→", "target_min": 0.80, "target_max": 0.90},
                           budget={"variance_pct": 10.0, "band_pct": 15.0},
                           timeline={"variance_pct": 10.0, "band_pct": 20.0}, open_issues=issues, breaches=())
    a = assess(inputs)
    assert a.overall == 64.0 and a.decision.decision == "Pause & re-evaluate"
    text = render("Q1-2030", AS_OF, a, [], inputs)
    assert "- Alignment band (of the overall score): Pivot strategy" in text
    assert "- Gap severity (worst scored dimension): major gap" in text
    assert "- Decision (the more severe of the two): Pause & re-evaluate" in text
