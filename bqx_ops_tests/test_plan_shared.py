"""The three functions the issue review imports: R² drops, stage cost variance, overdue stages.

Inputs are hand-written typed rows (as ``read_as_of`` returns them); expected values
are worked out by hand in each test.
"""

import datetime as dt
import math

import pandas as pd
import pytest

from bqx_ops.plan_update.r2 import r2_drops
from bqx_ops.plan_update.timeline import overdue_stages
from bqx_ops.plan_update.variance import stage_cost_variance


def results(*rows) -> pd.DataFrame:
    return pd.DataFrame([
        {"snapshot_date": pd.Timestamp("2026-01-09"), "record_id": f"rec{i:03d}", "result_id": rid,
         "model": model, "horizon": horizon, "evaluated_on": pd.Timestamp(day), "r2": r2}
        for i, (rid, model, horizon, day, r2) in enumerate(rows)
    ])


def stages(*rows) -> pd.DataFrame:
    keys = ("record_id", "stage_id", "name", "phase_id", "status", "owner", "estimated_cost", "realized_cost",
            "estimated_days", "start_date")
    return pd.DataFrame([dict(zip(keys, row)) for row in rows])


# --- r2_drops --------------------------------------------------------------
def test_a_drop_above_the_threshold_between_consecutive_evaluations_is_reported():
    df = results(
        ("E-w60-1", "Ensemble", "w60", "2025-12-15", 0.91),
        ("E-w60-2", "Ensemble", "w60", "2025-12-29", 0.839),  # 0.071 below the previous one
        ("E-w60-3", "Ensemble", "w60", "2026-01-05", 0.845),
    )
    drops = r2_drops(df)
    assert list(drops.columns) == ["record_id", "result_id", "model", "horizon", "evaluated_on",
                                   "previous_evaluated_on", "r2", "previous_r2", "drop"]
    assert len(drops) == 1
    row = drops.iloc[0]
    assert (row.record_id, row.result_id, row.model, row.horizon) == ("rec001", "E-w60-2", "Ensemble", "w60")
    assert row.evaluated_on == pd.Timestamp("2025-12-29")
    assert row.previous_evaluated_on == pd.Timestamp("2025-12-15")
    assert (row.r2, row.previous_r2) == (0.839, 0.91)
    assert row["drop"] == pytest.approx(0.071)


def test_a_drop_of_exactly_the_threshold_is_not_a_drop_and_the_threshold_is_a_parameter():
    df = results(("a", "LSTM", "w15", "2025-10-01", 0.90), ("b", "LSTM", "w15", "2025-10-08", 0.85))
    assert r2_drops(df).empty  # 0.90 - 0.85 is 0.05 exactly (not 0.05000000000000004)
    assert r2_drops(df, threshold=0.04)["result_id"].tolist() == ["b"]


def test_drops_compare_only_the_same_model_and_horizon_in_date_order_whatever_the_row_order():
    df = results(
        ("x2", "XGBoost", "w30", "2026-03-09", 0.80),
        ("l1", "LSTM", "w30", "2026-03-02", 0.95),  # another model: not a predecessor of x2
        ("x1", "XGBoost", "w30", "2026-03-02", 0.863),
        ("x0", "XGBoost", "w60", "2026-03-01", 0.99),  # another horizon
    )
    drops = r2_drops(df)
    assert drops["result_id"].tolist() == ["x2"]
    assert drops.iloc[0]["drop"] == pytest.approx(0.063)


def test_drops_are_sorted_by_date_then_model_and_horizon():
    df = results(
        ("b1", "LSTM", "w90", "2025-11-01", 0.9), ("b2", "LSTM", "w90", "2025-11-20", 0.8),
        ("a1", "Ensemble", "w15", "2025-11-01", 0.9), ("a2", "Ensemble", "w15", "2025-11-20", 0.8),
        ("c1", "XGBoost", "w15", "2025-10-01", 0.9), ("c2", "XGBoost", "w15", "2025-10-15", 0.7),
    )
    assert r2_drops(df)["result_id"].tolist() == ["c2", "a2", "b2"]


def test_no_results_or_incomplete_rows_give_an_empty_typed_frame():
    empty = r2_drops(results())
    assert empty.empty and "drop" in empty.columns
    df = results(("a", "LSTM", "w15", "2025-10-01", 0.9), ("b", "LSTM", "w15", "2025-10-08", float("nan")))
    assert r2_drops(df).empty


# --- stage_cost_variance ---------------------------------------------------
def test_stage_cost_variance_gives_dollars_percent_and_overrun_per_stage_in_stage_order():
    df = stages(
        ("r10", "10.1", "Online", "recP10", "Done", "ML-001", 22.0, 28.4, 1, None),
        ("r2", "2.1", "Checks", "recP2", "Done", "QA-001", 8.0, 6.0, 1, None),
        ("r9", "9.5", "Cutover", "recP9", "In Progress", "COORD-001", 14.0, None, 1, None),
    )
    v = stage_cost_variance(df)
    assert list(v.columns) == ["record_id", "stage_id", "name", "phase_id", "status", "owner", "estimated_cost",
                               "realized_cost", "variance_usd", "variance_pct", "overrun"]
    assert v["stage_id"].tolist() == ["2.1", "9.5", "10.1"]  # natural order, not text order
    first, last = v.iloc[0], v.iloc[2]
    assert (first.variance_usd, first.variance_pct, first.overrun) == (-2.0, -25.0, False)
    assert last.variance_usd == 6.4  # 28.40 - 22.00, rounded to cents
    assert last.variance_pct == pytest.approx(6.4 / 22 * 100)
    assert bool(last.overrun) is True
    assert math.isnan(v.iloc[1].variance_usd) and not v.iloc[1].overrun


def test_a_done_stage_without_realized_cost_is_listed_with_nan_variance_not_zero():
    v = stage_cost_variance(stages(("r1", "5.2", "Search", "recP5", "Done", "ARCH-001", 20.0, None, 2, None)))
    assert len(v) == 1
    assert v.iloc[0].status == "Done"
    assert math.isnan(v.iloc[0].realized_cost) and math.isnan(v.iloc[0].variance_usd)
    assert math.isnan(v.iloc[0].variance_pct) and not v.iloc[0].overrun


def test_a_zero_estimate_has_dollar_variance_but_no_percentage():
    v = stage_cost_variance(stages(("r1", "1.1", "Free", "recP1", "Done", None, 0.0, 3.0, 1, None)))
    assert v.iloc[0].variance_usd == 3.0 and math.isnan(v.iloc[0].variance_pct) and v.iloc[0].overrun


# --- overdue_stages --------------------------------------------------------
FRIDAY = dt.date(2025, 12, 5)


def test_in_progress_stages_past_their_estimated_working_days_are_overdue():
    df = stages(
        # Mon 2025-12-01 .. Fri 12-05 = 5 working days, 2 estimated -> 3 over
        ("a", "6.3", "LightGBM", "recP6", "In Progress", "ML-001", 10.0, None, 2, pd.Timestamp("2025-12-01")),
        # Fri 11-28 .. Fri 12-05 = 6 working days (the weekend does not count), 1 estimated -> 5 over
        ("b", "7.1", "TFT", "recP7", "In Progress", "ML-001", 20.0, None, 1, pd.Timestamp("2025-11-28")),
        # Thu 12-04 .. Fri 12-05 = 2 working days, 2 estimated: on time
        ("c", "7.2", "Attention", "recP7", "In Progress", "ML-001", 18.0, None, 2, pd.Timestamp("2025-12-04")),
        ("d", "5.5", "Report", "recP5", "Done", "QA-001", 10.0, 9.4, 1, pd.Timestamp("2025-11-01")),
        ("e", "8.1", "Stacking", "recP8", "Todo", "ML-001", 18.0, None, 2, None),
        ("f", "8.2", "Weights", "recP8", "In Progress", "ML-001", 14.0, None, None, pd.Timestamp("2025-11-01")),
    )
    overdue = overdue_stages(df, FRIDAY)
    assert list(overdue.columns) == ["record_id", "stage_id", "name", "owner", "start_date", "estimated_days",
                                     "days_in_progress", "days_over", "carried_from"]
    assert overdue["carried_from"].isna().all()  # no snapshot dates given: nothing is carried
    assert overdue["stage_id"].tolist() == ["7.1", "6.3"]  # most overdue first
    assert overdue["days_in_progress"].tolist() == [6, 5]
    assert overdue["days_over"].tolist() == [5, 3]
    assert overdue.iloc[0].start_date == pd.Timestamp("2025-11-28")


def test_a_stage_started_on_a_weekend_counts_from_the_monday():
    df = stages(("a", "1.1", "x", "recP1", "In Progress", None, 1.0, None, 1, pd.Timestamp("2025-11-29")))
    assert overdue_stages(df, dt.date(2025, 12, 1)).empty  # Sat..Mon = 1 working day
    assert overdue_stages(df, dt.date(2025, 12, 2))["days_over"].tolist() == [1]


def test_no_stages_give_an_empty_typed_frame():
    empty = overdue_stages(stages(), FRIDAY)
    assert empty.empty and list(empty.columns)[-2:] == ["days_over", "carried_from"]
