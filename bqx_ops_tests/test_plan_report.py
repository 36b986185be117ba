"""The dashboard block, the weekly report's rendering and the write-back notes, as pure functions."""

import datetime as dt

import pandas as pd

from bqx_ops.plan_update import dashboard, writeback
from bqx_ops.plan_update.report import WeekReport, render_report, report_path
from bqx_ops.plan_update.targets import PlanTargets
from bqx_ops_tests.fresh_process import evaluate_elsewhere

UTC = dt.timezone.utc
START, END = dt.datetime(2025, 11, 28, 16, tzinfo=UTC), dt.datetime(2025, 12, 5, 16, tzinfo=UTC)


def lines(budget=None, timeline=None, r2=None, counts=(11, 6, 2, 3)):
    total, done, running, todo = counts
    phases = {"total": total, "complete": done, "in progress": running, "todo": todo}
    targets = PlanTargets(budget=650.0, days_min=71, days_max=85, r2_min=0.95, r2_max=0.99)
    return dashboard.dashboard_lines(phases, targets, budget or {}, timeline or {}, r2 or {})


def test_targets_neither_the_plan_nor_the_configuration_gives_say_no_data():
    out = dashboard.dashboard_lines({"total": 1, "complete": 0, "in progress": 1, "todo": 0}, PlanTargets(), {}, {}, {})
    assert out[1].startswith("Budget: estimated: no data") and out[2].startswith("Timeline: days estimated: no data")
    assert "| Target: no data |" in out[3]


def test_the_dashboard_is_the_seeds_four_lines_with_exact_figures():
    assert lines(
        {"realized_cost": 294.0, "spent_cost": 294.0, "variance_pct": 9 / 285 * 100, "budget_spent_pct": 294 / 650 * 100},
        {"elapsed_days": 80, "schedule_variance_days": 40},
        {"current_r2": 0.88497, "trend": "↑"},
    ) == [
        "Phases: 11 total | 6 complete | 2 in progress | 3 todo",
        "Budget: $650 estimated | $294.00 realized | +3.2% variance | 45.2% of budget spent",
        "Timeline: 71-85 days estimated | 80 actual | 40 days behind",
        "R²: Current 0.88 | Target 0.95-0.99 | Trend ↑",
    ]


def test_ahead_of_schedule_and_a_negative_variance_read_as_such():
    out = lines({"realized_cost": 1234.5, "spent_cost": 1234.5, "variance_pct": -4.04, "budget_spent_pct": 1234.5 / 650 * 100},
                {"elapsed_days": 9, "schedule_variance_days": -2})
    # 1234.5 / 650 = 1.8992...: 189.9% of the budget, over it, while the variance of Done stages is -4.0%
    assert out[1] == "Budget: $650 estimated | $1,234.50 realized | -4.0% variance | 189.9% of budget spent: over budget"
    assert out[2] == "Timeline: 71-85 days estimated | 9 actual | 2 days ahead"


def test_missing_figures_read_no_data_instead_of_zero():
    assert lines(counts=(0, 0, 0, 0)) == [
        "Phases: 0 total | 0 complete | 0 in progress | 0 todo",
        "Budget: $650 estimated | realized: no data | variance: no data | budget spent: no data",
        "Timeline: 71-85 days estimated | actual: no data | days ahead/behind: no data",
        "R²: Current: no data | Target 0.95-0.99 | Trend: no data",
    ]


def empty_week(**overrides) -> WeekReport:
    base = dict(period_start=START, period_end=END, snapshot_date=dt.date(2025, 12, 5),
                previous_snapshot_date=dt.date(2025, 11, 28), targets=PlanTargets(plan_id="MP-BQX_ML-001", budget=650.0, days_min=71,
                                                                          days_max=85, r2_min=0.95, r2_max=0.99),
                dashboard=lines(), budget={}, timeline={}, r2={}, forecast={})
    return WeekReport(**{**base, **overrides})


def test_a_week_without_model_results_or_costs_says_no_data_explicitly():
    md = render_report(empty_week())
    assert md.startswith("# Plan update 2025-12-05\n")
    assert "_no data: the snapshot has no model results_" in md
    assert "_no data: no Done stage has a Realized Cost in this snapshot_" in md
    assert "```mermaid" not in md
    assert "R²: Current: no data | Target 0.95-0.99 | Trend: no data" in md
    assert report_path(dt.date(2025, 12, 5)) == "docs/plan-updates/2025-12-05.md"


def test_a_week_without_any_snapshot_says_so():
    md = render_report(empty_week(snapshot_date=None, previous_snapshot_date=None))
    assert "_no data: no Airtable snapshot was taken on or before 2025-12-05_" in md
    assert "_no data: no Airtable snapshot as of the previous week to compare with_" in md


def three_ensemble_evaluations_report() -> str:
    """The report of a week whose Ensemble w15 was evaluated on three days: 0.91, 0.93, 0.96."""
    evals = pd.DataFrame([
        {"record_id": f"r{i}", "result_id": f"x{i}", "model": "Ensemble", "horizon": "w15",
         "evaluated_on": pd.Timestamp(day), "r2": v, "change": None}
        for i, (day, v) in enumerate([("2025-11-03", 0.91), ("2025-11-17", 0.93), ("2025-12-01", 0.96)])
    ])
    return render_report(empty_week(evaluations=evals, r2={"current_r2": 0.96, "horizons": 1, "trend": "↑",
                                                           "trend_delta": 0.03, "window_start": dt.date(2025, 11, 7)}))


def test_the_r2_section_has_a_mermaid_xychart_github_renders():
    md = three_ensemble_evaluations_report()
    chart = md[md.index("```mermaid"):]
    assert chart.splitlines()[1] == "xychart-beta"
    assert 'x-axis ["2025-11-03", "2025-11-17", "2025-12-01"]' in chart
    assert "line [0.9100, 0.9300, 0.9600]" in chart and "line [0.9500, 0.9500, 0.9500]" in chart
    assert "within the 0.95-0.99 target" in md


def test_user_text_cannot_break_the_report_tables():
    learnings = pd.DataFrame([{"title": "a | b <script>x</script>", "date": pd.Timestamp("2025-12-01"),
                               "what_worked": "line\nbreak", "what_didn_t": "x" * 5000}])
    md = render_report(empty_week(learnings=learnings))
    row = next(line for line in md.splitlines() if line.startswith("| a"))
    assert "<script>" not in md and "a \\| b" in row and len(row) < 600


def test_rendering_is_byte_identical_in_another_process_with_another_hash_seed():
    elsewhere = evaluate_elsewhere(
        "from bqx_ops.plan_update.report import render_report\nfrom bqx_ops_tests.test_plan_report import empty_week",
        "render_report(empty_week())")
    assert render_report(empty_week()) == elsewhere


# --- write-back notes ---------------------------------------------------------------------
def test_our_line_replaces_our_previous_line_and_keeps_what_people_wrote():
    first = writeback.with_plan_line("Blocked: waiting on quota.", "[plan update] Adjusted estimate: $5.00")
    assert first == "Blocked: waiting on quota.\n\n[plan update] Adjusted estimate: $5.00"
    second = writeback.with_plan_line(first, "[plan update 2025-12-05] Adjusted estimate: $6.00")
    assert second == "Blocked: waiting on quota.\n\n[plan update 2025-12-05] Adjusted estimate: $6.00"
    assert writeback.with_plan_line(None, "[plan update] x") == "[plan update] x"


def stage_frames(notes):
    costs = pd.DataFrame([
        {"record_id": "r1", "stage_id": "5.2", "status": "Done", "estimated_cost": 20.0, "realized_cost": 26.8,
         "variance_pct": 34.0},
        {"record_id": "r2", "stage_id": "5.3", "status": "Done", "estimated_cost": 25.0, "realized_cost": None,
         "variance_pct": None},
    ])
    return costs, pd.DataFrame([{"record_id": "r1", "notes": notes}, {"record_id": "r2", "notes": None}])


def test_a_realized_cost_confirmation_is_written_once_and_never_for_a_missing_cost():
    costs, snapshot = stage_frames("Completed 2025-11-14.")
    updates = writeback.realized_confirmations(costs, snapshot)
    assert updates == [{"Stage ID": "5.2", "Notes": "Completed 2025-11-14.\n\n[plan update] Realized cost "
                                                      "confirmed: $26.80 vs $20.00 estimated (+34.0%)."}]
    _, after_delivery = stage_frames(updates[0]["Notes"])
    assert writeback.realized_confirmations(costs, after_delivery) == []  # next week: nothing to write


def test_write_back_payloads_are_upserts_merged_on_our_keys():
    payload = writeback.upsert_payload("Phases", "Phase ID", [{"Phase ID": "P6", "Notes": "x"}])
    assert payload == {"table": "Phases", "merge_on": ["Phase ID"], "records": [{"Phase ID": "P6", "Notes": "x"}]}


def test_a_plan_with_nothing_earned_reports_its_days_behind_not_no_data():
    from bqx_ops.plan_update.dashboard import ahead_behind
    assert ahead_behind(105) == "105 days behind"
    text = render_report(empty_week(timeline={"plan_start": dt.date(2019, 11, 17), "elapsed_days": 105,
                                              "earned_days": None, "planned_days": 67,
                                              "schedule_variance_days": 105, "variance_pct": None}))
    assert "105 working days elapsed against 0 earned (67 planned in all): no Done stage with Estimated Days" \
        " yet, so no percentage and no forecast." in text
