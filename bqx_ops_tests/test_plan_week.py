"""One chosen week of the sample, materialized, against figures computed here from the snapshot JSON.

Week 2025-11-14 16:00 -> 2025-11-21 16:00 UTC (partition "2025-11-14", report 2025-11-21): stage 5.2
is Done without a Realized Cost (recorded late, on 2025-12-05) and phase P6 has lost its Notes, so
both ERROR checks fail; the expected numbers below come from plain arithmetic over the landing JSON.
"""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.plan_update import assets, checks, outputs
from bqx_ops.landing import Landing
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import write_sample
from bqx_ops_tests.sample_runs import span, take_snapshots

AS_OF, PREVIOUS, MID_WEEK = dt.date(2025, 11, 21), dt.date(2025, 11, 14), dt.date(2025, 11, 17)
KEY = "2025-11-14"
PLAN_ASSETS = [*dg.load_assets_from_modules([assets, outputs])]
PLAN_CHECKS = [*dg.load_asset_checks_from_modules([checks])]
pytestmark = pytest.mark.slow  # the module fixture materializes a sample week (~4 s)


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("plan_week")
    write_sample(data_dir, dt.date(2025, 11, 10), AS_OF)
    resources = build_resources("local", data_dir)
    take_snapshots(resources, "2025-11-10", AS_OF.isoformat())
    result = dg.materialize([*PLAN_ASSETS, *PLAN_CHECKS], resources=resources, tags=span(KEY, KEY))
    return data_dir, result


def fields(data_dir, day: dt.date, table: str) -> list[dict]:
    path = Landing(data_dir).airtable_table(day, table)
    return [{"id": r["id"], **r["fields"]} for r in json.loads(path.read_text(encoding="utf-8"))["records"]]


def sql(data_dir, query: str):
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute(query).fetchall()


def dashboard(data_dir) -> list[str]:
    return sql(data_dir, "SELECT block FROM plan.dashboard")[0][0].splitlines()


def test_phase_counts_match_the_snapshot(week):
    data_dir, _ = week
    statuses = [p["Status"] for p in fields(data_dir, AS_OF, "Phases")]
    expected = (f"Phases: {len(statuses)} total | {statuses.count('Done')} complete | "
                f"{statuses.count('In Progress')} in progress | {statuses.count('Todo')} todo")
    assert dashboard(data_dir)[0] == expected == "Phases: 11 total | 5 complete | 2 in progress | 4 todo"


def test_budget_figures_match_done_stages_with_a_realized_cost(week):
    data_dir, _ = week
    done = [s for s in fields(data_dir, AS_OF, "Stages") if s["Status"] == "Done"]
    costed = [s for s in done if "Realized Cost" in s]
    realized = sum(s["Realized Cost"] for s in costed)
    estimated = sum(s["Estimated Cost"] for s in costed)
    variance = (realized - estimated) / estimated * 100
    spent = realized / 650 * 100  # the share of the whole budget, beside the variance of Done stages
    assert dashboard(data_dir)[1] == (f"Budget: $650 estimated | ${realized:,.2f} realized | {variance:+.1f}% variance"
                                      f" | {spent:.1f}% of budget spent")
    row = sql(data_dir, "SELECT realized_cost, estimated_cost_done, done_without_cost, within_band"
                        " FROM plan.budget_variance")[0]
    assert row == (pytest.approx(realized), pytest.approx(estimated), 1, abs(variance) <= 15)


def test_done_stages_without_realized_cost_are_listed_and_fail_the_check(week):
    data_dir, result = week
    missing = sorted(s["Stage ID"] for s in fields(data_dir, AS_OF, "Stages")
                     if s["Status"] == "Done" and "Realized Cost" not in s)
    assert missing == ["5.2"]
    assert sql(data_dir, "SELECT stage_id FROM plan.stage_cost_variance WHERE status = 'Done'"
                         " AND realized_cost IS NULL AND variance_usd IS NULL") == [("5.2",)]
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["completed_stages_have_realized_cost"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR and "5.2" in check.description


def test_a_phase_without_notes_fails_the_notes_check(week):
    data_dir, result = week
    without = [p["Phase ID"] for p in fields(data_dir, AS_OF, "Phases") if not p.get("Notes")]
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["every_phase_has_notes"]
    assert without == ["P6"] and not check.passed and "P6" in check.description


def working_days(first: dt.date, last: dt.date) -> int:
    days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return sum(1 for d in days if d.weekday() < 5)


def test_timeline_is_elapsed_working_days_against_the_estimates_of_done_stages(week):
    data_dir, result = week
    start = dt.date.fromisoformat(fields(data_dir, AS_OF, "Plans")[0]["Start Date"])
    elapsed = working_days(start, AS_OF)
    earned = sum(s["Estimated Days"] for s in fields(data_dir, AS_OF, "Stages") if s["Status"] == "Done")
    expected = f"Timeline: 71-85 days estimated | {elapsed} actual | {elapsed - earned} days behind"
    assert dashboard(data_dir)[2] == expected
    check = {e.check_name: e for e in result.get_asset_check_evaluations()}["timeline_variance_within_band"]
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.passed == (abs((elapsed - earned) / earned * 100) <= 20)


def latest_ensemble(results: list[dict], on: dt.date) -> dict[str, float]:
    latest = {}
    for r in sorted(results, key=lambda r: (r["Evaluated On"], r["Result ID"])):
        if r["Model"] == "Ensemble" and dt.date.fromisoformat(r["Evaluated On"]) <= on:
            latest[r["Horizon"]] = r["R2"]
    return latest


def test_r2_is_the_mean_of_each_horizons_latest_ensemble_result_with_a_28_day_trend(week):
    data_dir, _ = week
    results = fields(data_dir, AS_OF, "Model Results")
    now, then = latest_ensemble(results, AS_OF), latest_ensemble(results, AS_OF - dt.timedelta(days=28))
    delta = sum(now[h] - then[h] for h in set(now) & set(then)) / len(set(now) & set(then))
    arrow = "↑" if delta > 0.005 else "↓" if delta < -0.005 else "→"
    current = sum(now.values()) / len(now)
    assert dashboard(data_dir)[3] == f"R²: Current {current:.2f} | Target 0.95-0.99 | Trend {arrow}"
    assert sql(data_dir, "SELECT count(*) FROM plan.r2_evaluations") == [(len(results),)]


def test_transitions_compare_last_weeks_snapshot_with_this_one(week):
    data_dir, _ = week
    before = {s["id"]: s["Status"] for s in fields(data_dir, PREVIOUS, "Stages")}
    middle = {s["id"]: s["Status"] for s in fields(data_dir, MID_WEEK, "Stages")}
    now = {s["Stage ID"]: (s["id"], s["Status"]) for s in fields(data_dir, AS_OF, "Stages")}
    expected = sorted((sid, before[rid], status) for sid, (rid, status) in now.items() if before[rid] != status)
    got = sql(data_dir, "SELECT stage_id, status_before, status_now, kind, path FROM plan.stage_transitions")
    assert sorted(r[:3] for r in got) == expected and expected
    for sid, was, status, kind, path in got:
        seen_in_progress = middle[now[sid][0]] == "In Progress"
        assert kind == ("skipped" if (was, status) == ("Todo", "Done") and not seen_in_progress else "forward")


def test_the_report_is_written_to_the_docs_repo_dated_by_the_weeks_end(week):
    data_dir, result = week
    docs = build_resources("local", data_dir)["docs_repo"]
    report = docs.read("docs/plan-updates/2025-11-21.md")
    assert report.startswith("# Plan update 2025-11-21\n")
    assert "\n".join(dashboard(data_dir)) in report
    assert "| 5.2 | LSTM Architecture Search | ARCH-001 | $20.00 |" in report  # the Done stage without cost
    assert "```mermaid\nxychart-beta" in report


def test_write_back_enqueues_upserts_keyed_on_our_fields(week):
    data_dir, _ = week
    rows = sql(data_dir, "SELECT key, channel, payload_json FROM ops.outbox ORDER BY key")
    assert [r[0] for r in rows] == ["plan_update/2025-11-21/adjusted_estimates", "plan_update/2025-11-21/phase_notes",
                                    "plan_update/2025-11-21/realized_costs"]
    payloads = {key.rsplit("/", 1)[1]: json.loads(body) for key, channel, body in rows}
    assert payloads["phase_notes"]["merge_on"] == ["Phase ID"] and payloads["phase_notes"]["table"] == "Phases"
    assert len(payloads["phase_notes"]["records"]) == 11
    confirmed = {r["Stage ID"] for r in payloads["realized_costs"]["records"]}
    done_with_cost = {s["Stage ID"] for s in fields(data_dir, AS_OF, "Stages")
                      if s["Status"] == "Done" and "Realized Cost" in s}
    assert confirmed == done_with_cost and "5.2" not in confirmed
    open_stages = {s["Stage ID"] for s in fields(data_dir, AS_OF, "Stages") if s["Status"] != "Done"}
    assert {r["Stage ID"] for r in payloads["adjusted_estimates"]["records"]} == open_stages
    p6 = next(r for r in payloads["phase_notes"]["records"] if r["Phase ID"] == "P6")
    assert p6["Notes"].startswith("[plan update 2025-11-21] In Progress:")


def test_delivering_the_write_back_twice_to_airtable_changes_nothing_the_second_time(week, airtable_server, tmp_path):
    from bqx_ops.base_schema import TABLES_BY_NAME
    from bqx_ops.outbox.delivery import Intent
    from bqx_ops.resources.airtable import LiveAirtable
    from bqx_ops.resources.channels import AirtableUpsertChannel
    from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN

    data_dir, _ = week
    for table in ("Phases", "Stages"):  # the base as of the week, with its declared fields only
        raw = json.loads(Landing(data_dir).airtable_table(AS_OF, table).read_text())["records"]
        airtable_server.set_records("appBQX", table, raw, fields=[f.name for f in TABLES_BY_NAME[table].fields])
    channel = AirtableUpsertChannel(LiveAirtable(data_dir=str(tmp_path), api_key=AIRTABLE_TOKEN, base_id="appBQX",
                                                 endpoint_url=airtable_server.url, requests_per_second=1000))
    intents = [Intent(key, 1, channel_name, json.loads(body), 0) for key, channel_name, body in
               sql(data_dir, "SELECT key, channel, payload_json FROM ops.outbox ORDER BY key")]
    refs = [channel.send(i) for i in intents]
    assert all(ref.startswith("created=0 ") for ref in refs)  # every record matched on Phase ID / Stage ID
    after_first = airtable_server.bases["appBQX"]
    p6 = next(r for r in after_first["Phases"] if r["fields"]["Phase ID"] == "P6")
    p6_stages = [s for s in fields(data_dir, AS_OF, "Stages") if s["Phase"] == [p6["id"]]]
    done = sum(s["Status"] == "Done" for s in p6_stages)
    assert p6["fields"]["Notes"].startswith(f"[plan update 2025-11-21] In Progress: {done}/{len(p6_stages)} stages done")
    s51 = next(r for r in after_first["Stages"] if r["fields"]["Stage ID"] == "5.1")
    real, est = s51["fields"]["Realized Cost"], s51["fields"]["Estimated Cost"]
    line = f"[plan update] Realized cost confirmed: ${real:.2f} vs ${est:.2f} estimated ({(real - est) / est:+.1%})."
    assert s51["fields"]["Notes"].endswith("\n\n" + line)  # appended: the note people wrote is kept
    for i in intents:
        channel.send(i)
    assert airtable_server.bases["appBQX"] == after_first


def test_stages_the_configuration_names_recurring_are_never_overdue(tmp_path):
    """Mid-March 2026 the sample's operational stages (the cadence itself, which never completes) are
    In Progress far past their one-day estimates: the plan update must not list them as overdue, and
    so the 360 never asks to re-plan them; another overdue stage still is."""
    import numpy as np
    import yaml

    as_of, key = dt.date(2026, 3, 20), "2026-03-13"
    write_sample(tmp_path, dt.date(2026, 3, 9), as_of)
    resources = build_resources("local", tmp_path)
    take_snapshots(resources, "2026-03-09", as_of.isoformat())
    assert dg.materialize([assets.plan_transitions], resources=resources, tags=span(key, key)).success
    recurring = set(yaml.safe_load((tmp_path / "bqx_ops.yaml").read_text())["recurring_stages"]["stage_ids"])
    day = max(d for d in Landing(tmp_path).airtable_snapshot_dates() if d <= as_of)
    late = {f["Stage ID"] for f in (r["fields"] for r in json.loads(
        Landing(tmp_path).airtable_table(day, "Stages").read_text())["records"])
        if f.get("Status") == "In Progress" and f.get("Start Date") and f.get("Estimated Days") is not None
        and np.busday_count(f["Start Date"], as_of.isoformat()) > f["Estimated Days"] + 1}
    assert late & recurring and late - recurring  # both kinds are there to be judged
    listed = {sid for (sid,) in sql(tmp_path, "SELECT stage_id FROM plan.overdue_stages")}
    assert not listed & recurring and listed >= late - recurring
