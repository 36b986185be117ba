"""Pure plan maths: transitions, phase and plan timeline, plan costs, R² trend, adjusted estimates.

Hand-written typed rows; every expected value is worked out by hand in the test.
"""

import datetime as dt

import pandas as pd
import pytest

from bqx_ops.plan_update import estimates, r2, timeline, transitions, variance
from bqx_ops.plan_update.targets import PlanTargets, plan_targets

TS = pd.Timestamp


def stages(*rows) -> pd.DataFrame:
    keys = ("record_id", "stage_id", "phase_id", "status", "estimated_cost", "realized_cost", "estimated_days",
            "start_date", "completed_date")
    return pd.DataFrame([dict(zip(keys, row), name=f"stage {row[1]}", owner="ML-001") for row in rows])


def phases(*rows) -> pd.DataFrame:
    keys = ("record_id", "phase_id", "number", "status", "estimated_cost", "estimated_days", "start_date", "end_date")
    return pd.DataFrame([dict(zip(keys, row), name=f"phase {row[1]}", notes="n") for row in rows])


# --- transitions -----------------------------------------------------------
def status_rows(**by_id) -> pd.DataFrame:
    return stages(*[(rid, rid.removeprefix("r"), "recP", status, 1.0, None, 1, None, None)
                    for rid, status in by_id.items()])


def test_forward_moves_are_listed_and_backward_moves_and_skips_are_flagged():
    before = status_rows(r1="Todo", r2="In Progress", r3="Done", r4="Todo", r5="Todo")
    now = status_rows(r1="In Progress", r2="Done", r3="In Progress", r4="Done", r5="Todo")
    t = transitions.stage_transitions(before, now)
    assert t[["stage_id", "kind", "flagged"]].values.tolist() == [
        ["1", "forward", False], ["2", "forward", False], ["3", "backward", True], ["4", "skipped", True]]
    assert t.iloc[3]["path"] == "Todo → Done"


def test_a_mid_week_snapshot_in_progress_makes_todo_to_done_a_forward_move():
    before, now = status_rows(r4="Todo"), status_rows(r4="Done")
    during = [status_rows(r4="In Progress")]
    t = transitions.stage_transitions(before, now, during)
    assert t[["kind", "flagged", "path"]].values.tolist() == [["forward", False, "Todo → In Progress → Done"]]


def test_a_backward_move_inside_the_week_is_flagged_even_if_the_week_ends_where_it_started():
    t = transitions.stage_transitions(status_rows(r1="Done"), status_rows(r1="Done"), [status_rows(r1="In Progress")])
    assert t[["kind", "flagged"]].values.tolist() == [["backward", True]]


def test_added_removed_quarantined_and_restored_stages_are_told_apart():
    before = status_rows(r1="Todo", r2="Todo", r3="In Progress")
    now = status_rows(r1="Todo", r4="Todo", r5="Done")
    t = transitions.stage_transitions(before, now, quarantined_before={"r5"}, quarantined_now={"r3"})
    assert dict(zip(t["record_id"], t["kind"])) == {"r2": "removed", "r3": "quarantined", "r4": "added",
                                                    "r5": "restored"}
    assert not t["flagged"].any()


# --- phase and plan timeline ------------------------------------------------
def test_phase_timeline_counts_working_days_to_the_end_or_so_far():
    p = phases(
        ("P0r", "P0", 0, "Done", 15.0, 3, TS("2025-08-18"), TS("2025-09-02")),  # 12 working days
        ("P1r", "P1", 1, "In Progress", 35.0, 6, TS("2025-08-25"), None),  # to Fri 09-05: 10 days
        ("P2r", "P2", 2, "Todo", 30.0, 5, None, None),
    )
    t = timeline.phase_timeline(stages(), p, dt.date(2025, 9, 5))
    assert t["actual_days"].tolist()[:2] == [12, 10]
    assert t["variance_days"].tolist()[:2] == [9, 4]
    assert t.iloc[0]["variance_pct"] == pytest.approx(300.0)
    assert pd.isna(t.iloc[2]["actual_days"]) and t["complete"].tolist() == [True, False, False]


def test_plan_timeline_is_elapsed_against_earned_working_days():
    s = stages(
        ("a", "0.1", "P0r", "Done", 5.0, 4.0, 1, TS("2025-08-18"), TS("2025-08-19")),
        ("b", "0.2", "P0r", "Done", 6.0, 7.0, 2, TS("2025-08-19"), TS("2025-08-22")),
        ("c", "1.1", "P1r", "In Progress", 9.0, None, 4, TS("2025-08-25"), None),
    )
    targets = PlanTargets(start_date=dt.date(2025, 8, 18))
    t = timeline.plan_timeline(s, phases(), targets, dt.date(2025, 8, 29))
    # 2025-08-18 .. 08-29: 10 working days; earned 1 + 2 = 3; planned 1 + 2 + 4 = 7
    assert (t["elapsed_days"], t["earned_days"], t["planned_days"]) == (10, 3, 7)
    assert t["schedule_variance_days"] == 7
    assert t["variance_pct"] == pytest.approx(700 / 3)
    assert t["forecast_days"] == pytest.approx(round(7 * 10 / 3, 1))
    assert t["within_band"] is False


def test_stages_without_estimated_days_are_named_not_silently_left_out():
    """A Done stage without Estimated Days earns nothing and an In Progress one is never judged overdue:
    both are named beside the figure (in stage order), not left out silently."""
    s = stages(
        ("a", "0.1", "P0r", "Done", 5.0, 4.0, 1, TS("2025-08-18"), TS("2025-08-19")),
        ("b", "0.10", "P0r", "Done", 6.0, 7.0, None, TS("2025-08-19"), TS("2025-08-22")),
        ("c", "0.2", "P1r", "In Progress", 9.0, None, None, TS("2025-08-25"), None),
    )
    t = timeline.plan_timeline(s, phases(), PlanTargets(start_date=dt.date(2025, 8, 18)), dt.date(2025, 8, 29))
    assert (t["earned_days"], t["planned_days"]) == (1, 1)  # only 0.1 has days
    assert t["stages_without_days"] == "0.2 (In Progress), 0.10 (Done)"
    full = stages(("a", "0.1", "P0r", "Done", 5.0, 4.0, 1, TS("2025-08-18"), TS("2025-08-19")))
    assert timeline.plan_timeline(full, phases(), PlanTargets(), dt.date(2025, 8, 29))["stages_without_days"] is None


def test_a_plan_without_done_stages_is_every_elapsed_day_behind_with_no_percentage():
    """Nothing Done earns 0 days: actual - earned = every elapsed day behind (README: "Days ahead/behind"),
    never "no data"; the percentage of 0 earned days (and the forecast) is undefined."""
    s = stages(("a", "0.1", "P0r", "In Progress", 5.0, None, 1, TS("2025-08-18"), None))
    t = timeline.plan_timeline(s, phases(), PlanTargets(start_date=dt.date(2025, 8, 18)), dt.date(2025, 8, 22))
    assert (t["elapsed_days"], t["earned_days"], t["schedule_variance_days"]) == (5, None, 5)
    assert t["variance_pct"] is None and t["forecast_days"] is None and t["within_band"] is None
    # no stage with Estimated Days at all: no schedule to earn against
    bare = stages(("a", "0.1", "P0r", "In Progress", 5.0, None, None, TS("2025-08-18"), None))
    t = timeline.plan_timeline(bare, phases(), PlanTargets(start_date=dt.date(2025, 8, 18)), dt.date(2025, 8, 22))
    assert t["elapsed_days"] == 5 and t["schedule_variance_days"] is None


def test_a_finished_plan_stops_its_clock_at_its_last_completion_when_phases_have_no_end_date():
    """Every phase Done, none with an End Date: the plan ended on the latest Completed Date of its stages
    (a Saturday leap day here), so weeks later it is not slipping behind."""
    s = stages(
        ("a", "0.1", "P0r", "Done", 5.0, 5.0, 3, TS("2020-02-24"), TS("2020-02-26")),
        ("b", "1.1", "P1r", "Done", 6.0, 6.0, 2, TS("2020-02-26"), TS("2020-02-29")),
    )
    p = phases(("P0r", "P0", 0, "Done", 5.0, None, None, None), ("P1r", "P1", 1, "Done", 6.0, None, None, None))
    t = timeline.plan_timeline(s, p, PlanTargets(start_date=dt.date(2020, 2, 24)), dt.date(2020, 4, 10))
    # Mon 2020-02-24 .. Sat 02-29: 5 working days; earned 3 + 2
    assert t["plan_complete"] and (t["elapsed_days"], t["earned_days"], t["schedule_variance_days"]) == (5, 5, 0)
    pt = timeline.phase_timeline(s, p, dt.date(2020, 4, 10))
    assert pt["end_date"].tolist() == [TS("2020-02-26"), TS("2020-02-29")]
    assert pt["actual_days"].tolist() == [3, 3]  # Mon..Wed 02-24..02-26; Wed..Sat 02-26..02-29 (Wed, Thu, Fri)
    # one phase still open: the clock runs to the as-of day
    open_ = phases(("P0r", "P0", 0, "Done", 5.0, None, None, None), ("P1r", "P1", 1, "In Progress", 6.0, None, None, None))
    assert timeline.plan_timeline(s, open_, PlanTargets(start_date=dt.date(2020, 2, 24)), dt.date(2020, 3, 6))[
        "elapsed_days"] == 10


# --- plan costs ----------------------------------------------------------------
def test_budget_totals_compare_completed_work_with_its_estimates_and_skip_missing_costs():
    s = stages(
        ("a", "0.1", "P0r", "Done", 10.0, 12.0, 1, None, None),
        ("b", "0.2", "P0r", "Done", 20.0, 21.0, 1, None, None),
        ("c", "0.3", "P0r", "Done", 30.0, None, 1, None, None),  # no cost: not counted as 0
        ("d", "1.1", "P1r", "Todo", 40.0, None, 1, None, None),
    )
    b = variance.budget_totals(s, PlanTargets())
    assert (b["estimated_cost_done"], b["realized_cost"], b["variance_usd"]) == (30.0, 33.0, 3.0)
    assert b["variance_pct"] == pytest.approx(10.0) and b["within_band"] is True
    assert (b["done_stages"], b["costed_stages"], b["done_without_cost"]) == (3, 2, 1)


def test_a_zero_budget_divides_nothing_and_any_cost_is_over_it():
    from bqx_ops.plan_update.dashboard import budget_spent

    done = stages(("a", "0.1", "P0r", "Done", 10.0, 12.0, 1, None, None))
    b = variance.budget_totals(done, PlanTargets(budget=0.0))
    assert b["budget_spent_pct"] is None and b["over_budget"] is True  # 12 > 0, without 12 / 0
    assert budget_spent(b) == "budget spent: no percentage of a $0 budget: over budget"
    adjusted = estimates.adjusted_estimates(done, phases(("P0r", "0", 0, "Done", 10.0, 1, None, None)))
    forecast = estimates.forecast_at_completion(done, adjusted, PlanTargets(budget=0.0))
    assert forecast["variance_pct"] is None and forecast["variance_usd"] == 12.0  # $12 over, no percentage
    b = variance.budget_totals(stages(("a", "0.1", "P0r", "Todo", 10.0, None, 1, None, None)), PlanTargets(budget=0.0))
    assert b["over_budget"] is None and budget_spent(b) == "budget spent: no data"


def test_no_realized_cost_anywhere_means_no_budget_variance():
    b = variance.budget_totals(stages(("a", "0.1", "P0r", "Done", 10.0, None, 1, None, None)), PlanTargets())
    assert b["realized_cost"] is None and b["variance_pct"] is None and b["within_band"] is None


def test_plan_targets_come_from_the_plan_record_or_the_configuration():
    configured = PlanTargets(budget=1.0, days_min=2, days_max=85, r2_min=0.5, r2_max=0.99, horizons=("w15",))
    assert plan_targets(pd.DataFrame(), configured) == configured
    plans = pd.DataFrame([{"plan_id": "MP-1", "status": "Active", "estimated_budget": 700.0,
                           "estimated_days_min": 60, "estimated_days_max": None, "r2_target_min": 0.9,
                           "r2_target_max": None, "start_date": TS("2025-08-18"), "horizons": "w30,w45"}])
    t = plan_targets(plans, configured)
    assert (t.budget, t.days_min, t.days_max, t.r2_min, t.r2_max) == (700.0, 60, 85, 0.9, 0.99)
    assert t.horizons == ("w30", "w45") and t.from_airtable
    # nothing anywhere: no target, never an invented one
    empty = plan_targets(pd.DataFrame(), PlanTargets())
    assert (empty.budget, empty.days_min, empty.r2_min) == (None, None, None)


def test_the_configured_plan_id_is_followed_before_the_first_active_plan():
    plans = pd.DataFrame([{"plan_id": "A-1", "status": "Active", "estimated_budget": 1.0},
                          {"plan_id": "B-2", "status": "On Hold", "estimated_budget": 2.0}])
    assert plan_targets(plans, PlanTargets(plan_id="B-2")).budget == 2.0
    assert plan_targets(plans, PlanTargets()).budget == 1.0


# --- R² trend -----------------------------------------------------------------
def ensemble(*rows) -> pd.DataFrame:
    return pd.DataFrame([{"record_id": f"r{i}", "result_id": f"E-{h}-{d}", "model": m, "horizon": h,
                          "evaluated_on": TS(d), "r2": v} for i, (m, h, d, v) in enumerate(rows)])


def test_current_ensemble_r2_is_the_mean_of_each_horizons_latest_and_the_trend_uses_28_days():
    df = ensemble(
        ("Ensemble", "w15", "2025-11-03", 0.90), ("Ensemble", "w60", "2025-11-03", 0.86),
        ("Ensemble", "w15", "2025-11-24", 0.92), ("Ensemble", "w90", "2025-11-24", 0.85),
        ("LSTM", "w15", "2025-11-24", 0.50),  # not the ensemble
    )
    t = r2.r2_trend(df, dt.date(2025, 12, 5))
    assert t["current_r2"] == pytest.approx((0.92 + 0.86 + 0.85) / 3)
    assert t["window_start"] == dt.date(2025, 11, 7)
    # common horizons as of 11-07 and 12-05: w15 (0.90 -> 0.92) and w60 (0.86 -> 0.86): mean +0.01
    assert t["trend_delta"] == pytest.approx(0.01) and t["trend"] == "↑"


@pytest.mark.parametrize("later, arrow", [(0.904, "→"), (0.894, "↓"), (0.906, "↑")])
def test_the_trend_is_flat_within_half_a_point(later, arrow):
    df = ensemble(("Ensemble", "w15", "2025-10-01", 0.90), ("Ensemble", "w15", "2025-11-01", later))
    assert r2.r2_trend(df, dt.date(2025, 11, 1))["trend"] == arrow


def test_no_ensemble_history_means_no_current_value_and_no_trend():
    t = r2.r2_trend(ensemble(("LSTM", "w15", "2025-10-01", 0.9)), dt.date(2025, 11, 1))
    assert t["current_r2"] is None and t["trend"] is None


# --- adjusted estimates ---------------------------------------------------------------
def test_a_phase_with_enough_history_uses_its_own_ratio_and_others_the_plan_ratio():
    s = stages(
        # phase A: two done stages, cost 30 -> 45 (x1.5); days 1+1 estimated, 2+4 actual (x3)
        ("a1", "1.1", "A", "Done", 10.0, 15.0, 1, TS("2025-09-01"), TS("2025-09-02")),
        ("a2", "1.2", "A", "Done", 20.0, 30.0, 1, TS("2025-09-01"), TS("2025-09-04")),
        ("a3", "1.3", "A", "Todo", 8.0, None, 2, None, None),
        # phase B: one done stage only (too little history): cost 10 -> 5
        ("b1", "2.1", "B", "Done", 10.0, 5.0, 2, TS("2025-09-01"), TS("2025-09-01")),
        ("b2", "2.2", "B", "In Progress", 4.0, None, 1, TS("2025-09-02"), None),
    )
    adjusted = estimates.adjusted_estimates(s, pd.DataFrame([{"record_id": "A", "phase_id": "PA"},
                                                             {"record_id": "B", "phase_id": "PB"}]))
    assert adjusted["stage_id"].tolist() == ["1.3", "2.2"]
    a3, b2 = adjusted.iloc[0], adjusted.iloc[1]
    assert (a3.cost_ratio, a3.adjusted_cost, a3.cost_basis) == (1.5, 12.0, "phase PA (2 stages)")
    assert (a3.days_ratio, a3.adjusted_days) == (3.0, 6.0)
    # plan-wide: cost (15 + 30 + 5) / (10 + 20 + 10) = 1.25; days (2 + 4 + 1) / (1 + 1 + 2) = 1.75
    assert (b2.cost_ratio, b2.adjusted_cost, b2.cost_basis) == (1.25, 5.0, "plan (3 stages)")
    assert (b2.days_ratio, b2.adjusted_days, b2.days_basis) == (1.75, 1.8, "plan (3 stages)")
    f = estimates.forecast_at_completion(s, adjusted, PlanTargets(budget=100.0))
    assert f["forecast_cost"] == 50.0 + 12.0 + 5.0  # realized + adjusted open stages
    assert f["variance_pct"] == pytest.approx(-33.0) and f["within_band"] is False


def test_without_any_history_estimates_stand_and_a_done_stage_without_cost_is_forecast_not_zero():
    s = stages(("a", "1.1", "A", "Todo", 8.0, None, 2, None, None),
               ("b", "1.2", "A", "Done", 6.0, None, 1, None, None))
    adjusted = estimates.adjusted_estimates(s, pd.DataFrame())
    assert adjusted[["adjusted_cost", "cost_basis"]].values.tolist() == [[8.0, "no history"]]
    f = estimates.forecast_at_completion(s, adjusted, PlanTargets(budget=14.0))
    assert (f["forecast_cost"], f["done_without_cost"], f["done_without_cost_estimate"]) == (14.0, 1, 6.0)
