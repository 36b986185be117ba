"""Published text says what the figures are (issue #10 items 4 and 12): no rounding across a threshold,
singular/plural counts, captions that count what they show, untriaged lists of open issues only,
learnings joined into clean sentences. Expectations are literal or plain arithmetic."""

import datetime as dt

import duckdb
import pytest

from bqx_ops.dashboard.indicators import Facts, indicators
from bqx_ops.docs_sync.changelog import weekly_entry
from bqx_ops.docs_sync.snapshot import Snapshot
from bqx_ops.issue_review.collect import SourceData, review
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.report import render_markdown
from bqx_ops.issue_review.rules import load_rules
from bqx_ops_tests.test_plan_report import empty_week, lines, three_ensemble_evaluations_report
from bqx_ops.plan_update.report import render_report


def shown_r2(line: str) -> str:
    return line.split("Current ")[1].split(" |")[0]


@pytest.mark.parametrize("r2", [0.9469, 0.94996, 0.9895, 0.98999, 0.95, 0.9612])
def test_the_plan_dashboard_never_rounds_r2_across_a_target_edge(r2):
    shown = shown_r2(lines(r2={"current_r2": r2, "trend": "↑"})[3])
    for edge in (0.95, 0.99):  # the side of each edge is the same for the shown text and the value
        assert (float(shown) > edge) == (r2 > edge) and (float(shown) < edge) == (r2 < edge), (shown, edge)
    assert len(shown.split(".")[1]) >= 2


def test_the_sample_value_of_2026_03_27_reads_below_target():
    assert lines(r2={"current_r2": 0.9469, "trend": "↑"})[3] == "R²: Current 0.947 | Target 0.95-0.99 | Trend ↑"
    assert lines(r2={"current_r2": 0.9612, "trend": "↑"})[3] == "R²: Current 0.96 | Target 0.95-0.99 | Trend ↑"


def test_the_success_metrics_r2_never_rounds_up_to_the_target():
    row = next(i for i in indicators(Facts(as_of=dt.datetime(2026, 6, 29, 9), r2=0.949996,
                                                  r2_target=0.95)) if i.metric.startswith("R²"))
    assert float(row.current) < 0.95 and row.status != "✅"


def test_one_day_is_singular():
    assert lines(timeline={"elapsed_days": 1, "schedule_variance_days": 1})[2] == \
        "Timeline: 71-85 days estimated | 1 actual | 1 day behind"
    md = render_report(empty_week(timeline={"plan_start": dt.date(2025, 12, 4), "elapsed_days": 1, "earned_days": 1,
                                            "planned_days": 80, "schedule_variance_days": 0, "variance_pct": 0.0,
                                            "within_band": True, "band_pct": 20, "forecast_days": 80.0,
                                            "days_min": 71, "days_max": 85}))
    assert "1 working day elapsed" in md and "1 working days" not in md


def test_the_chart_caption_counts_the_points_it_shows():
    md = three_ensemble_evaluations_report()
    assert "_Chart: the latest 3 Ensemble evaluation days;" in md and "26 evaluation days" not in md


def test_a_learning_ending_with_a_full_stop_joins_the_changelog_sentence_cleanly():
    d1, d2 = dt.date(2026, 3, 16), dt.date(2026, 3, 23)
    learning = {"record_id": "recL", "title": "Weekly retraining is enough",
                "what_worked": "R2 stayed within 0.005 week to week.", "what_didn_t": "Daily retraining doubled cost."}
    entry = weekly_entry(d1, d2, Snapshot(d1, {}), Snapshot(d2, {"learnings": [learning]}))
    assert ("- **Weekly retraining is enough**: worked: R2 stayed within 0.005 week to week; didn't: "
            "Daily retraining doubled cost") in entry
    assert ".;" not in entry


def gh(number, title, closed_at=None):
    return {"number": number, "title": title, "created_at": "2026-03-03T08:00:00Z", "closed_at": closed_at,
            "state": "closed" if closed_at else "open", "labels": [],
            "html_url": f"https://github.com/o/r/issues/{number}"}


def test_untriaged_lists_only_open_issues():
    period = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
    issues = [gh(1, "still open, no labels"), gh(2, "closed, no labels", "2026-03-10T08:00:00Z")]
    data = SourceData(issues, [], lambda start, end: ([], []))
    rules = load_rules(path="")
    with duckdb.connect() as conn:
        result = review(conn, period, rules, data, None)
    tables = {"inventory": result.inventory, "breaches": result.breaches, "trend": result.trend,
              "stats": result.stats, "actions": result.actions, "meta": result.meta}
    md = render_markdown(tables, rules)
    section = md[md.index("## Untriaged issues"):md.index("## Open issues")]
    assert "still open, no labels" in section and "closed, no labels" not in section
    assert "**1 untriaged issue**" in md


@pytest.mark.parametrize("snapshot, stale", [(dt.datetime(2026, 2, 10), True), (dt.datetime(2026, 3, 9), False)])
def test_a_review_without_a_snapshot_in_its_period_says_its_data_is_stale(snapshot, stale):
    """A snapshot gap: the review's Airtable-based issues rest on a snapshot older than its period
    (2026-02-10 is 33 days before 03-15); one taken during the period is current."""
    period = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
    rules = load_rules(path="")
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA airtable")
        conn.execute("CREATE TABLE airtable.raw_records AS SELECT ?::TIMESTAMP AS snapshot_date", [snapshot])
        result = review(conn, period, rules, SourceData([], [], lambda start, end: ([], [])), None)
    md = render_markdown({"inventory": result.inventory, "breaches": result.breaches, "trend": result.trend,
                          "stats": result.stats, "actions": result.actions, "meta": result.meta}, rules)
    line = ("**Stale data: no Airtable snapshot was taken during this period.** Blockers, quarantine episodes and "
            "plan-derived issues are as of the snapshot of 2026-02-10, 33 days before 2026-03-15.")
    assert (line in md) == stale and ("Stale data" in md) == stale
