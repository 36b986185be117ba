"""Stakeholder alignment and Industry trends from people's input, against hand-computed figures."""

from bqx_ops.assessment.people import PeopleInputs
from bqx_ops.assessment.score import MANUAL, SCORED, QuarterInputs, assess


def dim(people: PeopleInputs, name: str):
    return next(d for d in assess(QuarterInputs(people=people)).dimensions if d.name == name)


def rec(kind: str, score=None, key="k") -> dict:
    return {"input_key": key, "kind": kind, "score": score, "summary": key}


def test_stakeholder_alignment_is_the_mean_of_satisfaction_utilization_and_uptime():
    # satisfaction mean (7 + 9) / 2 = 8 -> 100 * 8 / 8 = 100
    # utilization mean(50, 90, 70) = 70 -> inside 60-80 -> 100
    # uptime: 2 failure days of 100 -> 98% -> 100 - 10 * (99 - 98) = 90
    p = PeopleInputs(records=(rec("User Satisfaction", 7), rec("User Satisfaction", 9), rec("Stakeholder Interview")),
                     utilization={"A": 50.0, "B": 90.0, "C": 70.0}, failure_days=2, days=100)
    d = dim(p, "Stakeholder alignment")
    assert d.status == SCORED and d.score == round((100 + 100 + 90) / 3, 1)
    assert "1 interview" in d.rationale and "interview(s)" not in d.rationale and "dependency uptime 98.0%" in d.rationale


def test_utilization_outside_the_band_costs_2_5_per_point_and_satisfaction_is_linear():
    # satisfaction 6 -> 75; utilization 90 -> 10 points over -> 75; no uptime data
    p = PeopleInputs(records=(rec("User Satisfaction", 6),), utilization={"A": 90.0})
    assert dim(p, "Stakeholder alignment").score == 75.0
    # utilization 20 -> 40 points under -> 0; uptime 99.5% -> 100 ; satisfaction 10 -> 100 (clamped)
    q = PeopleInputs(records=(rec("User Satisfaction", 10),), utilization={"A": 20.0}, failure_days=1, days=200)
    assert dim(q, "Stakeholder alignment").score == round(200 / 3, 1)


def test_without_a_survey_stakeholder_alignment_stays_manual_but_shows_what_was_computed():
    d = dim(PeopleInputs(utilization={"A": 70.0}, failure_days=0, days=90), "Stakeholder alignment")
    assert d.status == MANUAL and d.score is None
    assert "agent utilization 70.0%" in d.rationale and "uptime 100.0%" in d.rationale


def test_industry_trends_from_techniques_competitive_and_market_positions():
    # 1 recorded technique + 1 "Adopt ..." decision = 2 -> 100; competitive 6 -> 100 * 6 / 7.5 = 80;
    # market 8.8 -> clamped 100 -> mean (100 + 80 + 100) / 3
    p = PeopleInputs(records=(rec("Technique Adopted", key="TFT"), rec("Competitive Position", 6),
                              rec("Market Alignment", 8.8)), adopted=("Adopt a stacking ensemble",))
    d = dim(p, "Industry trends")
    assert d.status == SCORED and d.score == round(280 / 3, 1) and "2 techniques adopted" in d.rationale
    # three techniques: 50; no technique: 0; market 4 -> 50
    three = PeopleInputs(records=(rec("Technique Adopted"),) * 3 + (rec("Market Alignment", 4),))
    assert dim(three, "Industry trends").score == 50.0
    none = PeopleInputs(records=(rec("Market Alignment", 4),))
    assert dim(none, "Industry trends").score == 25.0


def test_without_a_position_score_industry_trends_stays_manual():
    d = dim(PeopleInputs(records=(rec("Technique Adopted"),)), "Industry trends")
    assert d.status == MANUAL and "1 technique adopted" in d.rationale


def test_the_overall_takes_the_people_dimensions_when_scored():
    people = PeopleInputs(records=(rec("User Satisfaction", 4), rec("Market Alignment", 8)))  # 50 and mean(0, 100)
    base = QuarterInputs(r2={"current_r2": 0.97, "trend": "→", "target_min": 0.95, "target_max": 0.99}, people=people)
    a = assess(base)
    scored = [d.score for d in a.dimensions if d.score is not None]
    assert a.overall == round(sum(scored) / len(scored), 1) and len(scored) == 4  # goal, criteria, two people


def test_people_figures_keep_their_side_of_the_targets():
    """(8 + 7.99) / 2 = 7.995 is under > 8/10 (not "8.00"); 2 failure days of 199 = 98.99497% uptime is under
    99% (not "99.0%"); utilization 59.96% is outside 60-80% (not "60.0%"); competitive 7.46 reads 7.46
    against 7.5; market 7.96 reads 7.96 against 8."""
    p = PeopleInputs(records=(rec("User Satisfaction", 8), rec("User Satisfaction", 7.99),
                              rec("Competitive Position", 7.46), rec("Market Alignment", 7.96)),
                     utilization={"A": 59.96}, failure_days=2, days=199)
    stake, industry = dim(p, "Stakeholder alignment").rationale, dim(p, "Industry trends").rationale
    assert "user satisfaction 7.995/10" in stake and "agent utilization 59.96%" in stake
    assert "dependency uptime 98.99%" in stake
    assert "competitive position 7.46/10" in industry and "market alignment 7.96/10" in industry
