"""The dashboard's pure parts: Cost Explorer parsing, each indicator's status rule, rendering."""

import datetime as dt

import pytest

from bqx_ops.dashboard import indicators as ind
from bqx_ops.dashboard.costs import CostRow, merge, month_to_date, parse_response
from bqx_ops.dashboard.render import render, rendered_as_of
from bqx_ops_tests.fresh_process import evaluate_elsewhere

AS_OF = dt.datetime(2026, 6, 29, 9)


def day(start: str, groups: list) -> dict:
    return {"TimePeriod": {"Start": start, "End": start}, "Total": {}, "Groups": groups, "Estimated": False}


def group(service, amount) -> dict:
    return {"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}


def test_cost_rows_are_parsed_and_a_malformed_row_is_reported_not_fatal():
    doc = {"ResultsByTime": [
        day("2026-06-01", [group("AWS Lambda", "0.5000"), group("Amazon S3", "not-a-number")]),
        day("2026-06-02", [group("AWS Lambda", "1.25"), {"Keys": []}]),
        {"TimePeriod": {"Start": "June 3rd"}, "Groups": []},
    ]}
    rows, problems = parse_response("2026-06.json", doc)
    assert rows == [CostRow(dt.date(2026, 6, 1), "AWS Lambda", 0.5), CostRow(dt.date(2026, 6, 2), "AWS Lambda", 1.25)]
    assert len(problems) == 3
    assert any("Groups[1] (2026-06-01)" in p for p in problems)
    assert any("ResultsByTime[2]" in p and "time period" in p for p in problems)


@pytest.mark.parametrize("doc", [None, [], {"ResultsByTime": "x"}, {"nothing": 1}])
def test_a_response_of_the_wrong_shape_is_one_problem(doc):
    rows, problems = parse_response("bad.json", doc)
    assert rows == [] and len(problems) == 1 and problems[0].startswith("bad.json")


def test_duplicate_day_service_rows_are_summed_and_sorted():
    rows = [CostRow(dt.date(2026, 6, 2), "B", 1.1), CostRow(dt.date(2026, 6, 1), "B", 2.0),
            CostRow(dt.date(2026, 6, 2), "B", 2.2), CostRow(dt.date(2026, 6, 1), "A", 0.1)]
    assert merge(rows) == [CostRow(dt.date(2026, 6, 1), "A", 0.1), CostRow(dt.date(2026, 6, 1), "B", 2.0),
                           CostRow(dt.date(2026, 6, 2), "B", 3.3)]


def test_a_group_repeating_its_keys_on_a_day_is_reported_and_counted_once_while_other_keys_add_up():
    def group(keys, amount):
        return {"Keys": keys, "Metrics": {"UnblendedCost": {"Amount": str(amount), "Unit": "USD"}}}

    day = {"TimePeriod": {"Start": "2026-03-10", "End": "2026-03-11"},
           "Groups": [group(["Amazon SageMaker"], "0.598"), group(["Amazon SageMaker"], "0.599"),
                      group(["Amazon S3", "111"], "1.5"), group(["Amazon S3", "222"], "2.5")]}
    rows, problems = parse_response("2026-03.json", {"ResultsByTime": [day]})
    assert merge(rows) == [CostRow(dt.date(2026, 3, 10), "Amazon S3", 4.0),
                           CostRow(dt.date(2026, 3, 10), "Amazon SageMaker", 0.598)]
    assert problems == ["2026-03.json: ResultsByTime[0].Groups[1] (2026-03-10): repeats the Keys ['Amazon SageMaker'] "
                        "of Groups[0]; counted once, from the first",
                        # the two S3 groups carry two keys each (no GroupDefinitions says so): said, summed
                        "2026-03.json: 2 group(s) carry up to 2 keys (grouped by several dimensions): key 1 is read "
                        "as the service, its amounts summed over the others"]


def test_month_to_date_counts_only_the_month_days_ended_by_as_of():
    rows = [CostRow(dt.date(2026, 5, 31), "A", 100.0), CostRow(dt.date(2026, 6, 1), "A", 1.0),
            CostRow(dt.date(2026, 6, 28), "A", 2.0), CostRow(dt.date(2026, 6, 29), "A", 40.0)]
    assert month_to_date(rows, AS_OF) == pytest.approx(3.0)
    assert month_to_date([], AS_OF) is None
    # a month without cost data is no data, not $0.00, even when earlier months have data
    assert month_to_date([CostRow(dt.date(2026, 5, 31), "A", 100.0)], AS_OF) is None
    assert month_to_date([CostRow(dt.date(2026, 6, 3), "A", 0.0)], AS_OF) == 0.0  # a real zero stays zero


def test_recency_rule_for_weekly_activities():
    assert [ind.recency(d, 7, 14) for d in (0, 7, 7.5, 14, 15, None)] == ["✅", "✅", "⚠️", "⚠️", "❌", "❌"]


def test_zero_tolerance_counts():
    assert [ind.zero_count(c) for c in (0, 1, 5, None)] == ["✅", "❌", "❌", "no data"]


def test_at_least_rule_for_alignment_and_r2():
    assert [ind.at_least(v, 0.95, 0.90) for v in (0.96, 0.95, 0.90, 0.89, None)] == ["✅", "⚠️", "⚠️", "❌",
                                                                                        "no data"]


def test_variance_band_is_symmetric():
    assert [ind.within_band(v, 15, 20) for v in (-15, 15, 16, -19.9, 21, None)] == ["✅", "✅", "⚠️", "⚠️", "❌",
                                                                                     "no data"]


def test_cost_below_limit_warns_from_80_percent():
    assert [ind.below(v, 500, 400) for v in (0, 399.99, 400, 499.99, 500, None)] == ["✅", "✅", "⚠️", "⚠️", "❌",
                                                                                      "no data"]


def test_assessments_compare_with_those_due_so_far():
    assert [ind.assessments_status(d, due) for d, due in ((2, 2), (1, 2), (0, 2), (None, 2), (0, 0))] == [
        "✅", "⚠️", "❌", "no data", "✅"]


def test_the_first_week_of_a_year_compares_the_360_count_with_zero_not_last_years_total():
    """Monday 2027-01-04: last week (2026-12-28) counted 2026's four finals; 2027's count starts at 0, which
    is no fall (→); a week inside the year compares with last week as every indicator does (no baseline)."""
    def row(as_of):
        rows = {i.metric: i for i in ind.indicators(ind.Facts(as_of=as_of, assessments=0, assessments_due=0))}
        return rows["360 Assessments"]
    first = row(dt.datetime(2027, 1, 4, 9))
    assert first.baseline == (0.0,) and ind.trend(first.value, first.baseline[0]) == "→"
    assert row(dt.datetime(2027, 1, 11, 9)).baseline is None


def test_a_figure_shown_the_same_both_weeks_is_flat_whatever_its_hidden_decimals():
    """Budget Variance +13.14% then +13.08%: both weeks show +13.1%, so → (↑/↓ beside two equal figures read
    as a change nobody can see); +13.1% then +13.2% is ↑; no last week: no trend."""
    def budget(pct):
        return {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF, budget_variance_pct=pct))}[
            "Budget Variance"]
    assert budget(13.14).current == budget(13.08).current == "+13.1%"
    assert ind.week_trend(budget(13.14), budget(13.08)) == "→"
    assert ind.week_trend(budget(13.2), budget(13.1)) == "↑"
    assert ind.week_trend(budget(13.2), None) == "-"


def test_trend_against_last_week():
    assert [ind.trend(a, b) for a, b in ((2, 1), (1, 2), (1, 1.00001), (None, 1), (1, None))] == ["↑", "↓", "→",
                                                                                                  "-", "-"]


def test_without_any_source_every_indicator_says_no_data_or_failed_and_latency_is_never_invented():
    rows = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF))}
    assert len(rows) == 13
    assert rows["API Latency"].status == "no data" and rows["API Latency"].value is None
    assert rows["Plan Alignment"].current == "no data (no final 360 assessment yet)"
    assert rows["Repository Sync"].status == "❌" and rows["Cost/Month"].status == "no data"


def test_api_latency_without_a_configured_metric_says_so_not_that_points_are_missing():
    """A team that configures no latency metric is told that, not sent looking for missing data points."""
    configured = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF))}["API Latency"]
    bare = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF, latency_configured=False))}["API Latency"]
    assert configured.current == "no data (no latency points this week)"
    assert bare.current == "no data (no latency metric configured: aws.latency)"
    assert bare.status == "no data" and bare.value is None


def test_facts_give_the_expected_statuses():
    facts = ind.Facts(as_of=AS_OF, last_sync_end=AS_OF, last_plan_end=AS_OF - dt.timedelta(days=10), old_p0=0,
                      old_p1=2, alignment=91.0, assessments=1, assessments_due=2, r2=0.97, drops=0,
                      budget_variance_pct=-16.0, timeline_variance_pct=30.0, cost_month=123.456,
                      r2_target=0.95, cost_ceiling=500.0)
    got = {i.metric: (i.current, i.status) for i in ind.indicators(facts)}
    assert got["Repository Sync"] == ("2026-06-29 (0.0 days ago)", "✅")
    assert got["Airtable Updates"][1] == "⚠️"
    assert got["Documentation Drift"] == ("0.0 days", "✅")
    assert got["P1 Issues"] == ("2", "❌")
    assert got["360 Assessments"] == ("1/4 (2 due so far)", "⚠️")
    assert got["Budget Variance"] == ("-16.0%", "⚠️") and got["Timeline Variance"] == ("+30.0%", "❌")
    assert got["Cost/Month"] == ("$123.46", "✅")
    targets = {i.metric: i.target for i in ind.indicators(facts)}
    assert (targets["R² (Ensemble)"], targets["Cost/Month"]) == ("> 0.95", "< $500")


def test_targets_come_from_the_plan_and_the_configuration_and_none_is_no_target():
    facts = ind.Facts(as_of=AS_OF, r2=0.83, cost_month=250.0, r2_target=0.8, cost_ceiling=300.0)
    got = {i.metric: (i.target, i.status) for i in ind.indicators(facts)}
    # 0.83 > 0.80 met; $250 is past 80% of $300 (⚠️) and under it
    assert got["R² (Ensemble)"] == ("> 0.80", "✅") and got["Cost/Month"] == ("< $300", "⚠️")
    bare = {i.metric: (i.target, i.status) for i in ind.indicators(ind.Facts(as_of=AS_OF, r2=0.9, cost_month=1.0))}
    assert bare["R² (Ensemble)"] == ("no target", "no data") and bare["Cost/Month"] == ("no target", "no data")


def _rows(current="1"):
    return [{"section": i.section, "metric": i.metric, "target": i.target, "current": current,
             "status": i.status, "trend": "→"} for i in ind.indicators(ind.Facts(as_of=AS_OF, cost_ceiling=500.0))]


def test_rendering_escapes_text_and_is_deterministic():
    text = render(AS_OF, "2026-06-22", _rows("a | <b> *c*\nd"))
    assert text == evaluate_elsewhere(  # the same bytes in another process, another hash seed
        "from bqx_ops.dashboard.render import render\n"
        "from bqx_ops_tests.test_dashboard_pure import AS_OF, _rows",
        'render(AS_OF, "2026-06-22", _rows("a | <b> *c*\\nd"))')
    assert "a \\| &lt;b&gt; \\*c\\* d" in text and "<b>" not in text
    assert "| **Repository Sync** | Weekly |" in text and "| **Cost/Month** | < $500 |".replace("<", "&lt;") in text
    assert "## Operational Health Indicators" in text and "## Project Health Indicators" in text
    assert "As of 2026-06-29 09:00 UTC" in text and rendered_as_of(text) == "2026-06-29T09:00"


def test_cost_per_month_shows_last_month_and_month_to_date_with_a_projection_and_a_like_days_trend():
    from bqx_ops.dashboard.costs import CostRow, month_figures

    # May: $10/day (31 days, $310); June 1..28: $12/day; as of Monday 06-29 09:00 -> 28 days ended
    rows = [CostRow(dt.date(2026, 5, d), "EC2", 10.0) for d in range(1, 32)]
    rows += [CostRow(dt.date(2026, 6, d), "EC2", 12.0) for d in range(1, 30)]
    c = month_figures(rows, AS_OF)
    assert (c["days"], c["month_to_date"], c["previous_month"], c["like_days"]) == (28, 336.0, 310.0, 280.0)
    assert c["projected"] == pytest.approx(336 / 28 * 30)  # 360.0
    row = ind.cost_indicator(ind.Facts(as_of=AS_OF, cost=c, cost_ceiling=500.0))
    assert row.current == "May $310.00; Jun to date $336.00 (28 days), projected $360.00"
    assert row.status == "✅" and row.value == 336.0 and row.baseline == (280.0,)
    # the projection over $400 warns though the month to date is lower
    hot = month_figures([CostRow(dt.date(2026, 6, d), "EC2", 15.0) for d in range(1, 30)], AS_OF)
    assert hot["projected"] == pytest.approx(450.0) and hot["previous_month"] is None and hot["like_days"] is None
    assert ind.cost_indicator(ind.Facts(as_of=AS_OF, cost=hot, cost_ceiling=500.0)).status == "⚠️"
    # on the 1st nothing of the month has ended (no data, not $0.00): judged on the whole previous month
    first = month_figures(rows, dt.datetime(2026, 6, 1, 9))
    assert (first["days"], first["month_to_date"], first["projected"], first["like_days"]) == (0, None, None, None)
    on_first = ind.cost_indicator(ind.Facts(as_of=dt.datetime(2026, 6, 1, 9), cost=first, cost_ceiling=500.0))
    assert on_first.status == "✅" and on_first.current == "May $310.00; Jun to date no day ended yet"
    # later in a month without any cost data (a team whose Cost Explorer export stopped): no data, not May's ✅
    silent = month_figures(rows[:31], AS_OF)
    assert (silent["days"], silent["month_to_date"], silent["previous_month"]) == (28, None, 310.0)
    row = ind.cost_indicator(ind.Facts(as_of=AS_OF, cost=silent, cost_ceiling=500.0))
    assert row.status == "no data" and row.current == "May $310.00; Jun to date no data (28 days)"


def test_every_shown_figure_keeps_its_side_of_the_line_it_is_judged_against_and_rounds_as_the_plan_update():
    """The README's display rule on the dashboard: 81.40 / 592.00 = +13.75% reads +13.8% as in the plan update
    (half away from zero, not the float's +13.7%); a figure just past a status line never reads as on it."""
    hours = dt.timedelta(hours=1)
    facts = ind.Facts(as_of=AS_OF, last_sync_end=AS_OF - 7 * 24 * hours - hours,  # 7.04 days: ⚠️, not "7.0"
                      last_plan_end=AS_OF - 7 * 24 * hours + hours,  # 6.96 days: ✅ (≤ 7)
                      alignment=90.04, budget_variance_pct=81.40 / 592.00 * 100,
                      timeline_variance_pct=-20.04, latency=(89.96, dt.date(2026, 6, 25), 7),
                      cost_month=399.996, r2_target=0.95, cost_ceiling=500.0)
    got = {i.metric: (i.current, i.status) for i in ind.indicators(facts)}
    assert got["Budget Variance"] == ("+13.8%", "✅")
    assert got["Timeline Variance"] == ("-20.04%", "⚠️")
    assert got["Repository Sync"][1] == "⚠️" and "(7.04 days ago)" in got["Repository Sync"][0]
    assert got["Documentation Drift"] == ("7.04 days", "⚠️")
    assert got["Airtable Updates"][1] == "✅" and "(6.96 days ago)" in got["Airtable Updates"][0]
    assert got["Plan Alignment"][1] == "✅" and got["Plan Alignment"][0].startswith("90.04% ")
    assert got["API Latency"][1] == "✅" and got["API Latency"][0].startswith("89.96 ms ")
    assert got["Cost/Month"] == ("$399.996", "✅")  # under 80% of $500 ($400)
