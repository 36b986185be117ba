"""Round 7 hostile input (bqx_ops_tests/hostile_corpus_round7.py), through the real assets: a Cost Explorer
amount without a Unit is counted as USD and said (left out, said, beside another currency); days Cost
Explorer marked Estimated are said on the dashboard's Cost/Month line, the figure unchanged; service names
differing only by Unicode form or invisible characters are one service; groups of several keys are summed
per service and said; a GitHub issue labelled with two priorities is triaged on the most severe, said."""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.dashboard.assets import daily_costs, success_metrics
from bqx_ops.issue_review.collect import SourceData, review
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.landing import Landing
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests import hostile_corpus as hc
from bqx_ops_tests import hostile_corpus_round7 as r7

WEEK = "2026-03-09"  # its dashboard is read as of 2026-03-16 09:00: March's days 1 .. 15 have ended


@pytest.fixture(scope="module")
def cost_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("round7-costs")
    for name, doc in r7.COST_MONTHS.items():
        hc.write_raw(Landing(data).costs_dir / name, json.dumps(doc))
    resources = build_resources("local", data)
    assert dg.materialize([daily_costs, success_metrics], resources=resources, partition_key=WEEK).success
    return data


def plan_week_of(base: dict, data_dir) -> dict:
    """``base`` as the snapshots of 2025-08-22 and 29, and the plan week ending 2025-08-29 run over them."""
    from bqx_ops_tests.base_builder import write_snapshot
    from bqx_ops_tests.sample_runs import span, take_snapshots
    from bqx_ops_tests.test_plan_schedule import PLAN

    for day in (dt.date(2025, 8, 22), dt.date(2025, 8, 29)):
        write_snapshot(data_dir, day, base)
    resources = build_resources("local", data_dir)
    take_snapshots(resources, "2025-08-22", "2025-08-29")
    assert dg.materialize(PLAN, resources=resources, tags=span("2025-08-22", "2025-08-22")).success
    return resources


def query(data, sql: str):
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_costs_are_counted_once_per_service_as_people_mean_it_and_in_usd_only(cost_data):
    got = {(d.date() if isinstance(d, dt.datetime) else d, s): a
           for d, s, a in query(cost_data, "SELECT day, service, amount_usd FROM aws.daily_costs")}
    assert got == pytest.approx(r7.EXPECTED_COSTS)


@pytest.mark.parametrize("problem", r7.COST_PROBLEMS, ids=range(len(r7.COST_PROBLEMS)))
def test_each_cost_case_is_said(cost_data, problem):
    assert query(cost_data, "SELECT problem FROM aws.cost_problems").count((problem,)) == 1


def test_the_month_to_date_says_it_rests_on_estimates_and_keeps_its_figure(cost_data):
    [(current, value)] = query(cost_data, "SELECT current, value FROM dashboard.success_metrics "
                                          "WHERE metric = 'Cost/Month'")
    assert value == pytest.approx(r7.MARCH_TO_DATE)
    assert f"(15 days, {r7.MARCH_ESTIMATED} of them Cost Explorer estimates, not final)" in current, current


def test_estimates_are_read_as_known_at_the_week_and_gone_once_final(tmp_path):
    data = tmp_path / "data"
    for name, doc in r7.COST_MONTHS.items():
        hc.write_raw(Landing(data).costs_dir / name, json.dumps(doc))
    resources = build_resources("local", data)
    assert dg.materialize([daily_costs], resources=resources).success
    final = {**r7.COST_MONTHS["2026-03.json"], "ResultsByTime": [
        {k: v for k, v in day.items() if k != "Estimated"} for day in r7.COST_MONTHS["2026-03.json"]["ResultsByTime"]]}
    hc.write_raw(Landing(data).costs_dir / "2026-03.json", json.dumps(final))  # a later fetch: AWS finalized them
    later = {"bqx_ops/now": "2026-03-20T00:00:00+00:00"}  # that fetch is seen on 03-20
    assert dg.materialize([daily_costs], resources=resources, tags=later).success
    for week, said in (("2026-03-09", True), ("2026-03-16", False)):  # read as of 03-16 09:00 and 03-23 09:00
        assert dg.materialize([daily_costs, success_metrics], selection=[success_metrics.key], resources=resources,
                              partition_key=week).success
        [(current,)] = query(data, f"SELECT current FROM dashboard.success_metrics WHERE metric = 'Cost/Month' "
                                   f"AND period_start = '{week} 09:00:00'")
        assert ("2 of them Cost Explorer estimates" in current) is said, (week, current)


def test_an_issue_labelled_with_two_priorities_is_triaged_on_the_most_severe_and_said():
    period = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
    data = SourceData(r7.TWO_PRIORITIES + r7.HIDDEN_P0, [], lambda start, end: ([], []), now=dt.datetime(2026, 3, 20, 12))
    with duckdb.connect() as conn:
        out = review(conn, period, load_rules(path=""), data, None)
    priorities = dict(zip(out.inventory["source_ref"], out.inventory["priority"]))
    assert priorities == {"41": "P0", "42": "P1", "43": "P3", "44": "P0", "45": "P0"}
    github = [p for p in json.loads(out.meta.iloc[0]["problems"]) if p.startswith("github:")]
    assert github == [r7.TWO_PRIORITIES_PROBLEM]


def test_a_plan_start_after_the_week_with_work_done_is_no_data_never_all_days_ahead(tmp_path):
    from bqx_ops_tests.base_builder import edit, minimal_base

    # a year typo (2062 for 2025): minimal_base has stage 0.1 Done and 1.1 In Progress
    base = edit(minimal_base(), "Plans", "recPLAN0000000001", Start_Date="2062-08-18")
    resources = plan_week_of(base, tmp_path)
    report = resources["docs_repo"].read("docs/plan-updates/2025-08-29.md")
    assert ("_no data: the plan's Start Date 2062-08-18 is after 2025-08-29, yet 2 stages are Done or In Progress: "
            "the elapsed days cannot be counted_") in report
    assert "| actual: no data | days ahead/behind: no data" in report  # the dashboard block: never days ahead
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT elapsed_days, schedule_variance_days, variance_pct FROM plan.plan_timeline"
                            ).fetchall() == [(None, None, None)]


def test_an_ensemble_result_for_a_horizon_the_plan_does_not_list_is_left_out_of_the_mean_and_said(tmp_path):
    from bqx_ops_tests.base_builder import minimal_base, record

    base = minimal_base()  # its plan lists Horizons w15, w30; Ensemble w15 is 0.81
    base["Model Results"] += [
        record("recMODL0000000002", {"Result ID": "Ensemble-w30-2025-08-18", "Model": "Ensemble", "Horizon": "w30",
                                     "Evaluated On": "2025-08-18", "R2": 0.90}),
        record("recMODL0000000003", {"Result ID": "Ensemble-w51-2025-08-18", "Model": "Ensemble", "Horizon": "w51",
                                     "Evaluated On": "2025-08-18", "R2": 0.10})]  # w15 mistyped
    resources = plan_week_of(base, tmp_path)
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        [(current, horizons, others)] = conn.execute(
            "SELECT current_r2, horizons, other_horizons FROM plan.r2_trend").fetchall()
    assert (current, horizons, others) == (pytest.approx((0.81 + 0.90) / 2), 2, "w51")  # never (.81+.9+.1)/3
    report = resources["docs_repo"].read("docs/plan-updates/2025-08-29.md")
    assert "Current ensemble R² 0.8550 over 2 horizons" in report
    assert "Ensemble results for horizons the plan does not list (w51) are left out of the mean." in report
    assert "| w51 (not a plan horizon: left out of the mean) | 0.1000 |" in report


def test_keys_with_superscript_or_circled_digits_sort_as_text_and_never_crash_a_report(tmp_path):
    from bqx_ops_tests.base_builder import edit, minimal_base, record, write_snapshot
    from bqx_ops_tests.sample_runs import span, take_snapshots
    from bqx_ops_tests.test_docs_sync import sync
    from bqx_ops_tests.test_plan_schedule import PLAN

    odd = r7.NOT_DECIMAL_DIGITS
    base = edit(minimal_base(), "Stages", "recSTAGE000000002", Stage_ID=odd["stage_id"])
    base = edit(base, "Stages", "recSTAGE000000003", Stage_ID=odd["stage_id_circled"])
    base["Model Results"].append(record("recMODL0000000002", {
        "Result ID": "XGB-odd", "Model": "XGBoost", "Horizon": odd["horizon"], "Evaluated On": "2025-08-18",
        "R2": 0.7, "Training Job": "bqx-xgb-odd"}))
    for day in (dt.date(2025, 8, 18), dt.date(2025, 8, 22), dt.date(2025, 8, 29)):
        write_snapshot(tmp_path, day, base)
    resources = build_resources("local", tmp_path)
    take_snapshots(resources, "2025-08-18", "2025-08-29")
    assert dg.materialize(PLAN, resources=resources, tags=span("2025-08-22", "2025-08-22")).success
    assert sync(tmp_path, "2025-08-18").success
    report = resources["docs_repo"].read("docs/plan-updates/2025-08-29.md")
    # numbers first (0.1), then the odd ids by their text
    assert report.index("| 0.1 |") < report.index(f"| {odd['stage_id']} |") < report.index(f"| {odd['stage_id_circled']} |")
    assert f"| XGBoost | {odd['horizon']} |" in resources["docs_repo"].read("docs/models.md")


def test_a_final_metric_named_in_another_case_is_read_and_two_spellings_with_two_values_are_never_compared():
    period = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
    data = SourceData([], r7.METRIC_CASE_JOBS, lambda start, end: ([], []), now=dt.datetime(2026, 3, 20, 12))
    with duckdb.connect() as conn:
        out = review(conn, period, load_rules(path=""), data, None)
    jobs = out.inventory[out.inventory["source"] == "sagemaker"]
    # job 2 degraded 0.95 -> 0.80 (0.15 > the 0.05 P1 drop); job 3 is never compared, so it resolves nothing
    assert len(jobs) == 1 and jobs.iloc[0]["priority"] == "P1" and jobs.iloc[0]["state"] == "open", jobs.to_dict("records")
    problems = [p for p in json.loads(out.meta.iloc[0]["problems"]) if p.startswith("sagemaker:")]
    assert problems == [r7.METRIC_CASE_PROBLEM]



def test_a_log_group_listed_twice_or_sharing_a_landing_folder_is_refused(tmp_path):
    from bqx_ops import config

    path = tmp_path / "team.yaml"
    path.write_text("aws: {log_groups: [/bqx/app, /bqx/jobs, /bqx/app]}\n", encoding="utf-8")
    with pytest.raises(config.ConfigError) as refused:
        config.load_config(path)
    assert "aws.log_groups: Value error, /bqx/app listed more than once" in str(refused.value), refused.value
    path.write_text("aws: {log_groups: [/bqx/a_/b, /bqx/a/_b]}\n", encoding="utf-8")  # both land in __bqx__a___b
    with pytest.raises(config.ConfigError) as refused:
        config.load_config(path)
    assert ("aws.log_groups: Value error, /bqx/a_/b and /bqx/a/_b would be landed in one folder "
            "(aws/cloudwatch/__bqx__a___b)") in str(refused.value), refused.value
    path.write_text("aws: {log_groups: [/bqx/app, /bqx/jobs]}\n", encoding="utf-8")
    assert config.load_config(path).aws.log_groups == ["/bqx/app", "/bqx/jobs"]


@pytest.mark.parametrize("written, said", [("mp-bqx_ml-001 ", False), ("MP-OTHER-002", True)],
                         ids=["the configured id in another case", "another plan's id"])
def test_a_plan_id_is_matched_as_people_mean_it_and_a_configured_plan_not_in_the_base_is_said(tmp_path, written, said):
    from bqx_ops_tests.base_builder import edit, minimal_base

    # the configuration (the sample's) follows MP-BQX_ML-001; a second, Active plan comes first by Plan ID
    base = edit(minimal_base(), "Plans", "recPLAN0000000001", Plan_ID=written)
    base["Plans"].append({"id": "recPLAN0000000000", "createdTime": "2025-08-18T08:00:00.000Z", "fields": {
        "Plan ID": "AAA-OTHER-TEAM", "Name": "Other", "Estimated Budget": 99, "Status": "Active"}})
    resources = plan_week_of(base, tmp_path)
    report = resources["docs_repo"].read("docs/plan-updates/2025-08-29.md")
    followed = "AAA-OTHER-TEAM" if said else written.strip()
    assert report.splitlines()[2].startswith(f"_{followed.replace('_', chr(92) + '_')} · week"), report.splitlines()[2]
    note = ("**Data problem:** the configuration follows plan MP-BQX_ML-001, which no Plans record of the snapshot "
            "has: AAA-OTHER-TEAM (the first Active plan) is reported instead.")
    assert (note.replace("_", "\\_") in report) is said, report[:600]


def test_a_recurring_stage_id_written_with_a_zero_width_space_is_still_recurring_never_overdue(tmp_path, monkeypatch):
    from bqx_ops_tests.base_builder import edit, minimal_base

    config = tmp_path / "team.yaml"
    config.write_text("project: {name: Team, plan_id: MP-BQX_ML-001}\nstart_date: 2025-08-18\n"
                      "recurring_stages: {stage_ids: ['1.1']}\n", encoding="utf-8")
    monkeypatch.setenv("BQX_OPS_CONFIG", str(config))
    # In Progress since 08-18 with 1 estimated day: 10 working days by 08-29, overdue unless it recurs; stage
    # 1.2 is the control (the same dates, not recurring)
    base = edit(minimal_base(), "Stages", "recSTAGE000000002", Stage_ID="1.1\u200b", Start_Date="2025-08-18",
                Estimated_Days=1)
    base = edit(base, "Stages", "recSTAGE000000003", Status="In Progress", Start_Date="2025-08-18", Estimated_Days=1)
    data = tmp_path / "data"
    plan_week_of(base, data)
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        overdue = conn.execute("SELECT stage_id FROM plan.overdue_stages").fetchall()
    assert overdue == [("1.2",)]


@pytest.mark.parametrize("text, why", [
    ("priorities: {P0: {sla_hours: 1.0e+300}}",  # a review overflowed a date: the run failed
     "priorities.P0.sla_hours: expected a whole number ≥ 0 and ≤ 87,600, got float '1e+300'"),
    ("priorities: {P0: {sla_hours: 0.5}}",  # int() read it as 0: every P0 breached the moment it was found
     "priorities.P0.sla_hours: expected a whole number ≥ 0 and ≤ 87,600, got float '0.5'"),
    ("cloudwatch: {window_days: 100000000}", "cloudwatch.window_days: expected a whole number ≥ 1 and ≤ 3,650"),
    ("cloudwatch: {window_days: 1.5}", "cloudwatch.window_days: expected a whole number ≥ 1 and ≤ 3,650, got float"),
    ("cloudwatch: {episode_lookback_days: soon}", "cloudwatch.episode_lookback_days: expected a whole number ≥ 1"),
], ids=["huge SLA", "half-hour SLA", "huge window", "fractional window", "lookback as text"])
def test_triage_rules_with_an_sla_or_window_no_review_can_use_are_refused_naming_the_key(tmp_path, text, why):
    from bqx_ops.issue_review.rules import RulesError

    path = tmp_path / "rules.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(RulesError) as refused:
        load_rules(path=str(path))
    assert why in str(refused.value), refused.value


def test_stages_all_estimated_at_zero_days_are_said_as_such_never_as_without_estimated_days(tmp_path):
    from bqx_ops_tests.base_builder import edit, minimal_base

    base = minimal_base()
    for rid in ("recSTAGE000000001", "recSTAGE000000002", "recSTAGE000000003"):  # every stage: 0 days
        base = edit(base, "Stages", rid, Estimated_Days=0)
    resources = plan_week_of(base, tmp_path)
    report = resources["docs_repo"].read("docs/plan-updates/2025-08-29.md")
    assert "_no data: no stage has Estimated Days above 0, so no schedule to earn against_" in report
    assert "Stages without Estimated Days" not in report  # each has them: 0


def test_a_last_modified_after_its_snapshot_is_quarantined_with_its_reason(tmp_path):
    from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
    from bqx_ops_tests.test_snapshot_assets import materialize, query as snapshot_query

    base, mon, tue = minimal_base(), dt.date(2025, 8, 18), dt.date(2025, 8, 19)
    write_snapshot(tmp_path, mon, base)
    # Airtable sets Last Modified: one in 2099 cannot be true (a Done task's would resolve its issue in 2099)
    write_snapshot(tmp_path, tue, edit(base, "Tasks", "recTASK0000000001", Last_Modified="2099-01-01T00:00:00.000Z"))
    assert materialize(tmp_path, mon, tue).success
    [(reason,)] = snapshot_query(tmp_path, f"SELECT reason FROM airtable.quarantine WHERE snapshot_date = '{tue}'")
    assert reason == ("'Last Modified' 2099-01-01 is after the snapshot's day 2025-08-19 (by more than 7 days: it "
                      "records something done, which cannot be in the future)")


def test_a_stage_excluded_by_the_triage_rules_is_excluded_however_its_id_is_written(tmp_path):
    from bqx_ops.issue_review.collect import airtable_found
    from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
    from bqx_ops_tests.test_docs_sync import land

    # 1.1 started 2025-08-01 with 3 working days: late by 08-18; the base writes its id "1.1 " (kept as written)
    base = edit(minimal_base(), "Stages", "recSTAGE000000002", Stage_ID="1.1 ", Start_Date="2025-08-01",
                Estimated_Days=3)
    write_snapshot(tmp_path, dt.date(2025, 8, 18), base)
    land(tmp_path, dt.date(2025, 8, 18))
    rules = tmp_path / "rules.yaml"
    rules.write_text("derived: {timeline: {exclude_stage_ids: ['1.1']}}\n", encoding="utf-8")
    period = ReviewPeriod.of(dt.datetime(2025, 8, 15, 10), dt.datetime(2025, 8, 19, 10))
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb")) as conn:
        everything, _, _ = airtable_found(conn, period, load_rules(path=""))
        excluded, _, _ = airtable_found(conn, period, load_rules(path=str(rules)))
    assert [f.stage_record_id for f in everything if f.kind == "timeline_delay"] == ["recSTAGE000000002"]
    assert [f for f in excluded if f.kind == "timeline_delay"] == []


def test_a_cost_file_under_another_name_is_said_under_its_month_never_silently_skipped(tmp_path):
    data = tmp_path / "data"
    march = json.dumps(r7.COST_MONTHS["2026-03.json"])
    hc.write_raw(Landing(data).costs_dir / "2026-03.JSON", march)  # the month landed under another name
    hc.write_raw(Landing(data).costs_dir / "notes.txt", "kept by hand")
    assert dg.materialize([daily_costs, success_metrics], resources=build_resources("local", data),
                          partition_key=WEEK).success
    assert query(data, "SELECT month, problem FROM aws.cost_problems ORDER BY problem") == [
        ("2026-03", "2026-03.JSON: not a month file (YYYY-MM.json); not read"),
        (None, "notes.txt: not a month file (YYYY-MM.json); not read")]
    [(current,)] = query(data, "SELECT current FROM dashboard.success_metrics WHERE metric = 'Cost/Month'")
    assert current.endswith("(data problem: 2026-03.JSON: not a month file (YYYY-MM.json); not read)"), current
