"""The plan update's display rule: one rounding rule (half away from zero on the decimal value), no
figure rounded onto or across the threshold it is compared with, counts that agree with their noun
and missing values that read "<figure>: no data". Expectations are hand arithmetic."""

import datetime as dt

import pandas as pd
import pytest

from bqx_ops.plan_update import writeback
from bqx_ops.plan_update.fmt import integer, money, num, num_vs, pct, signed_money
from bqx_ops.plan_update.report import render_report
from bqx_ops_tests.test_plan_report import empty_week, lines


@pytest.mark.parametrize("value, shown", [
    (-0.5 / 8 * 100, "-6.3%"),  # -6.25: the half goes away from zero
    (-1.45 / 4 * 100, "-36.3%"),  # -36.25, however the float lands
    (6.25, "+6.3%"), (0.05, "+0.1%"), (-0.04, "+0.0%"), (0.0, "+0.0%"),
])
def test_percentages_round_halves_away_from_zero(value, shown):
    assert pct(value) == shown


def test_every_kind_of_figure_uses_the_same_rule():
    assert num(845 / 4, 1) == "211.3"  # a pace of 211.25 days
    assert num(0.12345, 4) == "0.1235" and num(-0.12345, 4) == "-0.1235"
    assert money(2.345) == "$2.35" and signed_money(-2.345) == "-$2.35" and signed_money(-0.004) == "+$0.00"
    assert integer(2.5) == "3" and integer(-2.5) == "-3"


def test_a_trend_just_under_its_edge_is_not_shown_on_the_edge():
    # per-horizon changes +0.0049 and +0.0050: mean 0.00495, below the +0.005 of ↑, so →
    from bqx_ops.plan_update.r2 import r2_trend

    def result(horizon, day, r2):
        return {"record_id": f"r-{horizon}-{day}", "result_id": f"{horizon}-{day}", "model": "Ensemble",
                "horizon": horizon, "evaluated_on": pd.Timestamp(day), "r2": r2}

    results = pd.DataFrame([result("w15", "2025-11-07", 0.9551), result("w15", "2025-12-05", 0.96),
                            result("w30", "2025-11-07", 0.95), result("w30", "2025-12-05", 0.955)])
    trend = r2_trend(results, dt.date(2025, 12, 5))  # the plan's own classification, not an arrow given here
    assert trend["trend"] == "→" and trend["window_start"] == dt.date(2025, 11, 7)
    md = render_report(empty_week(evaluations=pd.DataFrame([{
        "record_id": "r1", "result_id": "x1", "model": "Ensemble", "horizon": "w15",
        "evaluated_on": pd.Timestamp("2025-12-01"), "r2": 0.96, "change": 0.0049}]), r2=trend))
    assert "trend → (+0.00495 since 2025-11-07, 28-day window)" in md and "0.0050 since" not in md
    assert "over 2 horizons" in md


def test_a_drop_just_over_its_threshold_is_not_shown_as_the_threshold():
    assert num_vs(0.05004, (0.05,), 4) == "0.05004"


def test_the_budget_share_is_never_rounded_onto_the_whole_budget():
    out = lines({"realized_cost": 649.74, "spent_cost": 649.74, "variance_pct": 1.0, "budget_spent_pct": 649.74 / 650 * 100})
    assert out[1].endswith("| 99.96% of budget spent")  # 649.74 / 650 = 0.99960: not "100.0%"
    over = lines({"realized_cost": 650.26, "spent_cost": 650.26, "variance_pct": 1.0, "budget_spent_pct": 650.26 / 650 * 100})
    assert over[1].endswith("| 100.04% of budget spent: over budget")


def test_a_variance_next_to_its_band_edge_stays_on_its_side():
    out = lines({"realized_cost": 100.0, "spent_cost": 100.0, "variance_pct": 15.04, "band_pct": 15.0, "budget_spent_pct": 10.0})
    assert "| +15.04% variance |" in out[1]  # +15.0% would read inside the ±15% band


def test_counts_agree_with_their_noun_and_no_text_says_s_in_brackets():
    one = pd.DataFrame([{"record_id": "a", "stage_id": "1.1", "name": "x", "status_before": "Todo",
                         "status_now": "In Progress", "path": "Todo → In Progress", "kind": "forward",
                         "flagged": False}])
    md = render_report(empty_week(transitions=one, budget={"costed_stages": 1, "realized_cost": 5.0, "spent_cost": 5.0,
                                                           "estimated_cost_done": 4.0, "variance_usd": 1.0,
                                                           "variance_pct": 25.0, "budget_spent_pct": 5 / 650 * 100},
                                  r2={"current_r2": 0.96, "horizons": 1}, evaluations=pd.DataFrame([{
                                      "record_id": "r", "result_id": "x", "model": "Ensemble", "horizon": "w15",
                                      "evaluated_on": pd.Timestamp("2025-12-01"), "r2": 0.96, "change": None}])))
    assert "1 change, 0 flagged" in md and "1 Done stage realized $5.00" in md and "over 1 horizon," in md
    assert "trend: no data" in md and "(s)" not in md
    assert "0 changes, 0 flagged" in render_report(empty_week())
    line = writeback.phase_status_line({"done_stages": 2, "stages": 3, "done_without_cost": 1, "costed_stages": 0},
                                       {"status": "In Progress"}, dt.date(2025, 12, 5))
    assert "; 1 Done stage without Realized Cost" in line and "(s)" not in line


def test_write_back_lines_agree_with_their_nouns_and_say_no_data_for_missing_days():
    """A one-stage Todo phase without Estimated Days, a stage without them: '1 stage', 'working days: no
    data', never '1 stages' or 'no data working days'."""
    todo = writeback.phase_status_line({"stages": 1, "estimated_cost": 150.0}, {"status": "Todo"}, dt.date(2023, 1, 6))
    assert todo == "[plan update] Todo: 1 stage, estimate $150.00, working days: no data."
    running = writeback.phase_status_line({"done_stages": 0, "stages": 2}, {"status": "In Progress", "actual_days": 1},
                                          dt.date(2023, 1, 6))
    assert "1 working day vs estimated days: no data so far" in running
    line = writeback.estimate_line({"adjusted_cost": 205.5, "estimated_cost": 205.5, "adjusted_days": None,
                                    "estimated_days": None, "cost_ratio": 1.0, "cost_basis": "plan (1 stage)",
                                    "days_ratio": 1.0, "days_basis": "no history"})
    assert line.startswith("[plan update] Adjusted estimate: $205.50 and working days: no data (estimated $205.50, "
                           "days: no data; cost x1.000 from plan (1 stage),")
    assert "no data working days" not in todo + running + line


def test_missing_dashboard_figures_read_figure_colon_no_data():
    assert lines()[2] == "Timeline: 71-85 days estimated | actual: no data | days ahead/behind: no data"
