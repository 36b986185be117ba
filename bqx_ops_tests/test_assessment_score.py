"""The 360 scoring formulas and the Decision Framework, against hand-computed figures."""

import datetime as dt

import pytest

from bqx_ops.assessment import read
from bqx_ops.assessment.report import render
from bqx_ops.assessment.rows import from_rows, to_rows
from bqx_ops.assessment.score import (
    ACCELERATE, ADJUST, CONTINUE, MANUAL, NO_DATA, PAUSE, PIVOT, REDUCE, QuarterInputs, assess, level,
)

UTC = dt.timezone.utc


def issue(priority: str, n: int = 0, untriaged: bool = False, title: str = "t") -> dict:
    return {"fingerprint": f"{priority}-{n}", "priority": priority, "untriaged": untriaged, "title": title,
            "owner": "QA-001", "age_hours": 10.0 + n, "url": "", "source": "github"}


HEALTHY = QuarterInputs(
    r2={"current_r2": 0.97, "trend": "→", "target_min": 0.95, "target_max": 0.99}, r2_trends=("→", "→", "→"),
    budget={"variance_pct": 5.0, "band_pct": 15.0}, timeline={"variance_pct": -10.0, "band_pct": 20.0},
    open_issues=(), breaches=(),
)


def scores(inputs: QuarterInputs) -> dict:
    return {d.name: d.score for d in assess(inputs).dimensions}


def test_a_healthy_quarter_scores_100_everywhere_and_continues_as_planned():
    a = assess(HEALTHY)
    assert [d.score for d in a.dimensions] == [100.0] * 5 + [None, None]
    assert a.overall == 100.0 and a.decision.decision == CONTINUE
    assert [d.status for d in a.dimensions[5:]] == [MANUAL, MANUAL]
    assert next(d for d in a.dimensions if d.name == "Success criteria").rationale == "5/5 met"


def test_goal_alignment_is_linear_below_the_target_and_shifted_by_the_trend():
    # R² 0.90 is 0.15 above the 0.75 floor: 80 * 0.15 / 0.20 = 60, trend ↓ costs 10 -> 50
    r2 = {"current_r2": 0.90, "trend": "↓", "target_min": 0.95, "target_max": 0.99}
    assert scores(QuarterInputs(r2=r2))["Goal alignment"] == 50.0
    assert scores(QuarterInputs(r2={**r2, "current_r2": 0.80, "trend": "↑"}))["Goal alignment"] == 25.0
    assert scores(QuarterInputs(r2={**r2, "current_r2": 0.70, "trend": "↑"}))["Goal alignment"] == 0.0
    assert scores(QuarterInputs(r2={**r2, "current_r2": 0.995, "trend": "↑"}))["Goal alignment"] == 100.0
    # in target but falling: 100 - 10
    assert scores(QuarterInputs(r2={**r2, "current_r2": 0.96, "trend": "↓"}))["Goal alignment"] == 90.0


@pytest.mark.parametrize("r2, trend, expected", [
    (0.9469, "↑", round(80 * (0.9469 - 0.75) / 0.20 + 5, 1)),  # the sample's Q1-2026: 83.8, not 100
    (0.9499, "↑", 85.0),  # 79.96 + 5 = 84.96 -> 85.0, the cap
    (0.9499, "→", round(80 * (0.9499 - 0.75) / 0.20, 1)),
    (0.9499999, "↑", 85.0),
])
def test_a_value_below_the_target_never_scores_full_marks_nor_the_no_gap_band(r2, trend, expected):
    score = scores(QuarterInputs(r2={"current_r2": r2, "trend": trend, "target_min": 0.95, "target_max": 0.99}))
    assert score["Goal alignment"] == expected and expected <= 85.0


def test_a_missed_r2_criterion_and_goal_alignment_agree():
    inputs = QuarterInputs(r2={"current_r2": 0.9469, "trend": "↑", "target_min": 0.95, "target_max": 0.99})
    dims = {d.name: d for d in assess(inputs).dimensions}
    assert "missed: R² > 0.95" in dims["Success criteria"].rationale
    assert dims["Goal alignment"].score < 90 and "below target" in dims["Goal alignment"].rationale


def test_technical_gaps_cost_20_per_p0_10_per_p1_and_5_per_untriaged_issue():
    open_ = (issue("P0"), issue("P1", 1), issue("P1", 2), issue("P2", 3, untriaged=True))
    assert scores(QuarterInputs(open_issues=open_))["Technical gaps"] == 100 - 20 - 20 - 5


def test_budget_and_timeline_fall_to_zero_at_twice_the_band():
    # budget +22.5% vs 15: 100 * (30 - 22.5) / 15 = 50; timeline -50% vs 20: 0 -> mean 25
    inputs = QuarterInputs(budget={"variance_pct": 22.5, "band_pct": 15.0},
                           timeline={"variance_pct": -50.0, "band_pct": 20.0})
    assert scores(inputs)["Budget & timeline"] == 25.0
    assert scores(QuarterInputs(timeline={"variance_pct": 19.9, "band_pct": 20.0}))["Budget & timeline"] == 100.0


def test_a_plan_with_nothing_earned_and_days_behind_is_beyond_the_timeline_band_not_no_data():
    """0 earned after 105 working days: no variance % exists, but the plan is further behind than any
    percentage: the timeline part is 0, so with budget +5% (100) the dimension is 50, and the timeline
    criterion is missed (R² and budget met, the SLAs met: 4/5 = 80)."""
    # as plan.plan_timeline stores it: 0 earned days is no value (earned_days None), the days behind known
    behind = {"variance_pct": None, "band_pct": 20.0, "earned_days": None, "elapsed_days": 105,
              "schedule_variance_days": 105}
    a = assess(QuarterInputs(r2=HEALTHY.r2, budget=HEALTHY.budget, timeline=behind, breaches=()))
    got = {d.name: d for d in a.dimensions}
    assert got["Budget & timeline"].score == 50.0
    assert "timeline nothing earned, 105 working days behind" in got["Budget & timeline"].rationale
    assert got["Success criteria"].score == 80.0
    # nothing earned and nothing elapsed (a plan that starts today): still no data, never a judgement
    fresh = {**behind, "elapsed_days": 0, "schedule_variance_days": 0}
    assert scores(QuarterInputs(timeline=fresh))["Budget & timeline"] is None


def test_success_criteria_report_x_of_y_and_leave_out_targets_without_data():
    inputs = QuarterInputs(r2={"current_r2": 0.95, "target_min": 0.95}, budget={"variance_pct": 16.0}, breaches=(issue("P1"),))
    d = next(d for d in assess(inputs).dimensions if d.name == "Success criteria")
    # R² 0.95 is not > 0.95; budget 16% is outside ±15%; no P0 breach; a P1 breach; timeline unknown
    assert d.score == 25.0 and d.rationale.startswith("1/4 met") and "1 without data" in d.rationale


def test_risk_is_100_minus_10_per_high_priority_issue_and_50_at_the_target_of_5():
    def risk(n):
        return scores(QuarterInputs(open_issues=tuple(issue("P1", i) for i in range(n))))["Risk"]
    assert [risk(0), risk(4), risk(5), risk(7), risk(12)] == [100.0, 60.0, 50.0, 30.0, 0.0]


def test_missing_inputs_are_no_data_and_the_overall_is_the_mean_of_what_is_scored():
    a = assess(QuarterInputs(r2={"current_r2": 0.85, "trend": "→", "target_min": 0.95}))
    statuses = {d.name: d.status for d in a.dimensions}
    assert statuses["Technical gaps"] == statuses["Risk"] == statuses["Budget & timeline"] == NO_DATA
    # goal 80 * 0.10 / 0.20 = 40 (0.10 above the floor), success criteria 0/1 -> mean 20
    assert a.overall == 20.0 and a.decision.decision == PAUSE
    nothing = assess(QuarterInputs())
    assert nothing.overall is None and nothing.decision.decision == PAUSE


def test_too_few_scored_dimensions_never_continue_as_planned():
    """Only technical gaps, success criteria and risk (no open issue): a mean over 3 of 7 dimensions is
    no judgement of the plan: Pause & re-evaluate, saying which dimensions lack data."""
    from dataclasses import replace

    few = replace(QuarterInputs(), open_issues=(), breaches=())
    a = assess(few)
    scored = [d.name for d in a.dimensions if d.score is not None]
    assert scored == ["Technical gaps", "Success criteria", "Risk"]
    assert a.overall is not None and a.decision.decision == PAUSE
    assert a.decision.reasons[0].startswith("only 3 of 7 dimensions scored (at least 4 needed")
    assert "Budget & timeline" in a.decision.reasons[0] and "Goal alignment" in a.decision.reasons[0]


# n open P1: technical gaps = 100 - 10n; risk = 100 - 10n (n < 5) or 50 - 10 (n - 5); three dimensions at 100
# n=1: overall (300 + 90 + 90) / 5 = 96, worst dimension 90 (a minor gap: 90 is not > 90) -> adjust
# n=2: 92, worst 80 (minor) -> adjust; n=3: 88 -> adjust; n=4: (300 + 60 + 60) / 5 = 84, worst 60 (moderate) -> pivot
# n=6: (300 + 40 + 40) / 5 = 76, worst 40 (major) -> pause; n=9: 64, worst 10 -> pause
@pytest.mark.parametrize("p1_open, band", [(0, CONTINUE), (1, ADJUST), (2, ADJUST), (3, ADJUST), (4, PIVOT),
                                           (6, PAUSE), (9, PAUSE)])
def test_the_decision_is_the_more_severe_of_the_alignment_band_and_the_worst_gap(p1_open, band):
    a = assess(QuarterInputs(**{**HEALTHY.__dict__, "open_issues": tuple(issue("P1", i) for i in range(p1_open))}))
    assert a.decision.band == band and not a.decision.overrides


@pytest.mark.parametrize("score, expected", [(100, 0), (90.1, 0), (90, 1), (70, 1), (69.9, 2), (50, 2),
                                             (49.9, 3), (0, 3)])
def test_band_edges_50_70_90(score, expected):
    assert level(score) == expected


def test_above_90_with_a_gap_is_not_continue():
    # 7 untriaged P3 issues: technical gaps 100 - 35 = 65 (moderate gap), overall 465 / 5 = 93 -> pivot
    a = assess(QuarterInputs(**{**HEALTHY.__dict__, "open_issues": tuple(issue("P3", i, True) for i in range(7))}))
    assert a.overall == 93.0 and a.decision.band == PIVOT
    assert "worst gap: moderate gap (Technical gaps 65.0)" in a.decision.reasons
    # 2 of them: technical gaps 90 (a minor gap), overall 98 -> adjust
    b = assess(QuarterInputs(**{**HEALTHY.__dict__, "open_issues": tuple(issue("P3", i, True) for i in range(2))}))
    assert b.overall == 98.0 and b.decision.band == ADJUST
    # 1: technical gaps 95, no gap -> continue
    c = assess(QuarterInputs(**{**HEALTHY.__dict__, "open_issues": (issue("P3", 0, True),)}))
    assert c.decision.band == CONTINUE


def test_r2_degrading_three_weeks_in_a_row_overrides_with_accelerate():
    a = assess(QuarterInputs(**{**HEALTHY.__dict__, "r2_trends": ("↑", "↓", "↓", "↓")}))
    assert a.decision.band == CONTINUE and a.decision.decision == ACCELERATE
    two = assess(QuarterInputs(**{**HEALTHY.__dict__, "r2_trends": ("↓", "↓", "→", "↓", "↓")}))
    assert two.decision.decision == CONTINUE


def test_a_budget_overrun_above_25_percent_overrides_with_reduce_scope():
    over = {"variance_pct": 25.1, "band_pct": 15.0}
    a = assess(QuarterInputs(**{**HEALTHY.__dict__, "budget": over}))
    assert a.decision.decision == REDUCE
    at_limit = assess(QuarterInputs(**{**HEALTHY.__dict__, "budget": {**over, "variance_pct": 25.0}}))
    assert REDUCE not in at_limit.decision.overrides
    under = assess(QuarterInputs(**{**HEALTHY.__dict__, "budget": {**over, "variance_pct": -40.0}}))
    assert REDUCE not in under.decision.overrides  # an underrun is no overrun


def test_both_overrides_are_reported_in_the_framework_order():
    a = assess(QuarterInputs(**{**HEALTHY.__dict__, "r2_trends": ("↓",) * 3, "budget": {"variance_pct": 30.0}}))
    assert a.decision.overrides == (ACCELERATE, REDUCE)
    assert a.decision.decision == f"{ACCELERATE} + {REDUCE}"


def test_the_as_of_is_the_last_friday_of_the_quarter_at_9_utc():
    assert read.as_of(dt.datetime(2025, 7, 1, tzinfo=UTC)) == dt.datetime(2025, 9, 26, 9, tzinfo=UTC)
    assert read.as_of(dt.datetime(2026, 1, 1, tzinfo=UTC)) == dt.datetime(2026, 3, 27, 9, tzinfo=UTC)
    assert read.label(dt.datetime(2026, 4, 1, tzinfo=UTC)) == "Q2-2026"


def test_the_report_round_trips_through_rows_escapes_user_text_and_is_deterministic():
    inputs = QuarterInputs(**{**HEALTHY.__dict__, "open_issues": (issue("P0", title="a | b <script>"),)})
    a = assess(inputs)
    start, when = dt.datetime(2026, 4, 1, tzinfo=UTC), dt.datetime(2026, 6, 26, 9, tzinfo=UTC)
    again = from_rows(to_rows(start, when, "Q2-2026", a))
    assert again == a
    text = render("Q2-2026", when, again, read.risks(inputs))
    assert text == render("Q2-2026", when, a, read.risks(inputs))
    assert "a \\| b &lt;script&gt;" in text and "<script>" not in text
    assert f"**Decision: {a.decision.decision}**" in text


def test_a_rationale_never_rounds_a_figure_onto_or_across_the_line_it_is_scored_against():
    """The README's display rule in the 360: R² 0.94996 is below the 0.95 target (scored below target)
    and must not read 0.9500; a budget variance of +15.04% is outside ±15% and must not read +15.0%."""
    r2 = {"current_r2": 0.94996, "trend": "→", "target_min": 0.95, "target_max": 0.99}
    a = assess(QuarterInputs(r2=r2, budget={"variance_pct": 15.04, "band_pct": 15.0}))
    why = {d.name: d.rationale for d in a.dimensions}
    assert "ensemble R² 0.94996 below target 0.95-0.99" in why["Goal alignment"]
    assert "budget +15.04% vs ±15%" in why["Budget & timeline"]


def test_scores_round_half_away_from_zero_as_every_figure():
    """Budget +10% inside ±15% (100) and timeline +37.5% against ±20%: 100 × (40 − 37.5) / 20 = 12.5; the
    mean 56.25 reads 56.3 (Python's round gives 56.2). Overall: goal 100, that 56.3 and success criteria 2/3
    known (66.7): 223.0 / 3 = 74.33 -> 74.3."""
    a = assess(QuarterInputs(r2=HEALTHY.r2, budget={"variance_pct": 10.0, "band_pct": 15.0},
                             timeline={"variance_pct": 37.5, "band_pct": 20.0}))
    got = {d.name: d.score for d in a.dimensions}
    assert got["Budget & timeline"] == 56.3
    assert (got["Goal alignment"], got["Success criteria"], a.overall) == (100.0, 66.7, 74.3)


def test_the_trend_table_shows_what_an_earlier_quarter_said_for_an_unscored_dimension():
    """Q4's final said "manual input required" for Stakeholder alignment: the Q1 trend table says so too,
    not "–" (kept for a dimension that quarter did not have)."""
    from bqx_ops.assessment.evidence import Evidence
    from bqx_ops.assessment.report import trend

    a = assess(HEALTHY)
    history = tuple({"quarter": "Q4-2019", "dimension": d, "score": s, "status": st, "overall": 73.7,
                     "decision": "Pivot strategy"}
                    for d, s, st in (("Goal alignment", 58.6, "scored"),
                                     ("Stakeholder alignment", None, "manual input required")))
    text = "\n".join(trend(a, Evidence(history=history), "Q1-2020"))
    assert "| Goal alignment | 58.6 |" in text
    assert "| Stakeholder alignment | manual input required |" in text
    assert "| Industry trends | – |" in text


def test_the_summary_names_which_variance_is_beyond_the_adjustment_trigger():
    """Budget +13.8% is within ±15% and the timeline +124.6% is not: the summary names the timeline, not a
    bare "beyond ±15%" that reads as the budget; inside the band both are shown."""
    from bqx_ops.assessment.evidence import Evidence

    when = dt.datetime(2026, 3, 27, 9, tzinfo=UTC)

    def line(budget, timeline):
        e = Evidence(budget={"variance_pct": budget}, timeline={"variance_pct": timeline})
        text = render("Q1-2026", when, assess(HEALTHY), [], HEALTHY, e)
        return next(x for x in text.splitlines() if x.startswith("- Budget/timeline:"))

    assert line(13.8, 124.6) == ("- Budget/timeline: timeline +124.6% beyond ±15% → "
                                 "[Adjustment Proposal](Q1-2026-budget-timeline-adjustment.md)")
    assert line(-20.0, 16.0).startswith("- Budget/timeline: budget -20.0% and timeline +16.0% beyond ±15%")
    assert line(13.8, None) == "- Budget/timeline: within ±15% (budget +13.8%)"
    assert line(None, None) == "- Budget/timeline: no data"
