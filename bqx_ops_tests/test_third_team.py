"""A third team's base (bqx_ops_tests/third_base.py) through the whole demo, read as its project manager
would: every figure recomputed here from the landing JSON under the base's own names."""

import calendar
import datetime as dt
import json

import duckdb
import numpy as np
import pytest

from bqx_ops.landing import Landing, read_json
from bqx_ops_tests import third_base as eole
from bqx_ops_tests.test_other_team import SAMPLE_WORDS, fridays, names_in_outputs, run_demo


@pytest.fixture(scope="module")
def eole_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eole")
    rules = eole.write(tmp / "data")
    done = run_demo(tmp, BQX_OPS_OUTBOX_HORIZON_DAYS="100000", BQX_OPS_TRIAGE_RULES=str(rules))
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp / "data", done


def as_of_snapshot(day: dt.date) -> dt.date:
    return max(d for d in eole.snapshot_days() if d <= day)


def followed(data, day: dt.date) -> tuple[dict, list[dict], list[dict]]:
    """The followed Plans record, its phases and their stages, from the landing JSON of ``day``'s snapshot."""
    records = lambda t: read_json(Landing(data).airtable_table(day, eole.TABLES.get(t, t)))["records"]  # noqa: E731
    [plan] = [r for r in records("Plans") if r["fields"]["Plan ID"] == eole.PLAN_ID]
    phases = [r for r in records("Phases") if r["fields"]["Plan"] == [plan["id"]]]
    stages = [r["fields"] for r in records("Stages") if r["fields"]["Phase"][0] in {p["id"] for p in phases}]
    return plan["fields"], [p["fields"] for p in phases], stages


def report(data, friday: dt.date) -> str:
    return (data / eole.DOCS_DIR / "docs" / "plan-updates" / f"{friday}.md").read_text(encoding="utf-8")


def test_every_friday_from_the_wednesday_start_has_its_plan_update(eole_run):
    data, done = eole_run
    names = sorted(p.name for p in (data / eole.DOCS_DIR / "docs" / "plan-updates").iterdir())
    assert names == [f"{d}.md" for d in fridays(eole.START, eole.END)] and names[0] == "2022-11-18.md"
    assessments = {p.name for p in (data / eole.DOCS_DIR / "docs" / "assessments").iterdir()}
    assert {"Q4-2022.md", "Q1-2023.md"} <= assessments  # Q4 ends on a Saturday, Q1 on its last Friday


@pytest.mark.parametrize("friday", [dt.date(2022, 12, 16), dt.date(2023, 2, 10), dt.date(2023, 3, 31)])
def test_the_dashboard_counts_the_followed_plan_only_with_the_targets_of_its_week(eole_run, friday):
    """Another Active plan (listed first, with its own Done phase and stage) is never counted; the budget
    and R² band are those of the week's Plans record (raised and moved mid-project)."""
    data, _ = eole_run
    day = as_of_snapshot(friday)
    plan, phases, stages = followed(data, day)
    done = [s for s in stages if s["Status"] == "Terminé"]  # the base's own option for Done
    realized, estimated = sum(s["Coût réel"] for s in done), sum(s["Estimated Cost"] for s in done)
    complete = sum(1 for p in phases if p["Status"] == "Done")
    actual = int(np.busday_count(eole.START, friday + dt.timedelta(days=1)))
    earned = sum(s.get("Estimated Days", 0) for s in done)
    text = report(data, friday)
    assert f"Phases: {len(phases)} total | {complete} complete |" in text
    budget = plan["Budget €"]
    assert f"Budget: ${budget:,.2f} estimated".replace(".00 ", " ") in text
    assert f"${realized:,.2f} realized | {100 * (realized - estimated) / estimated:+.1f}% variance" in text
    behind = actual - earned
    assert f"{actual} actual | {abs(behind)} {'day' if abs(behind) == 1 else 'days'} " \
           f"{'behind' if behind > 0 else 'ahead'}" in text
    assert f"Target {plan['R2 Target Min']:.2f}-{plan['R2 Target Max']:.2f}" in text
    assert "SOL-1" not in text and "Pose" not in text


def test_the_360_proposes_updates_to_the_followed_plan_never_to_the_other(eole_run):
    data, _ = eole_run
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        keys = conn.execute("SELECT DISTINCT key FROM assessment.proposed_updates WHERE \"table\" = 'Plans'").fetchall()
        stages = {r[0] for r in conn.execute("SELECT key FROM assessment.proposed_updates WHERE \"table\" = 'Stages'")
                  .fetchall()}
    assert keys and {k for (k,) in keys} == {eole.PLAN_ID}
    ours = {s["Code"] for day in eole.snapshot_days() for s in followed(data, day)[2]}
    assert stages and stages <= ours and "S.1" not in stages  # every stage proposed is the followed plan's


def test_no_output_names_the_sample_or_the_other_plans_records(eole_run):
    data, done = eole_run
    words = (*SAMPLE_WORDS, "SOL-1", "S.1 Pose", "Panneaux", "EOLE-SOLAR")
    assert not names_in_outputs(data, eole.DOCS_DIR, done.stdout, words)
    sinks = [json.loads(line) for line in (data / "sinks" / "slack.jsonl").read_text().splitlines()]
    assert {s["request"]["channel"] for s in sinks} == {eole.CHANNEL}


def test_the_week_without_a_snapshot_is_stale_and_stages_without_days_are_named(eole_run):
    data, _ = eole_run
    stale = dt.date(2023, 1, 27)
    snap = as_of_snapshot(stale)
    assert eole.GAP[0] <= stale <= eole.GAP[1] and snap < eole.GAP[0]
    assert f"Every figure below is as of the snapshot of {snap}, {(stale - snap).days} days before {stale}." \
        in report(data, stale)
    friday = dt.date(2023, 3, 31)
    _, _, stages = followed(data, as_of_snapshot(friday))
    status = eole.OPTIONS["Stages"]["Status"]  # the base's words, as its configuration maps them
    missing = sorted((s["Code"], status[s["Status"]]) for s in stages if "Estimated Days" not in s)
    assert missing  # the base leaves some stages without an estimate
    listed = ", ".join(f"{code} ({st})" for code, st in missing)
    assert f"never judged overdue: {listed}." in report(data, friday)


def test_the_changelog_names_the_phase_added_the_phase_and_stage_removed_and_the_stage_id_renamed(eole_run):
    data, _ = eole_run
    changelog = (data / eole.DOCS_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    [(_, ids, *_)] = [s for s in eole.STAGES if len(s[1]) > 1]  # the stage whose Stage ID was renamed
    assert f"- stage renamed: {ids[0][1]} → {ids[1][1]} " in changelog
    deleted = [p for p in eole.PHASES if p[4]]
    assert deleted and all(f"- phase removed from Airtable: Phase {p[1]} – {p[2]} (was " in changelog for p in deleted)
    added = [p for p in eole.PHASES if p[3] > eole.START]
    assert added and all(f"- phase added: Phase {p[1]} – {p[2]}" in changelog for p in added)


def review(data, day: str) -> dict:
    return json.loads((data / eole.DOCS_DIR / "docs" / "reviews" / f"{day}-issue-review.json").read_text())


def test_a_cost_overrun_closes_when_its_phase_is_done_without_an_end_date(eole_run):
    """The base never fills a phase's End Date: a Done phase still closes its stages' overruns."""
    data, _ = eole_run
    end = dt.date(2023, 4, 1)
    records = read_json(Landing(data).airtable_table(as_of_snapshot(end), "Phases"))["records"]
    done = {r["id"] for r in records if r["fields"]["Status"] == "Done" and "End Date" not in r["fields"]}
    _, _, stages = followed(data, as_of_snapshot(end))
    over = [s for s in stages if s["Status"] == "Terminé" and s["Phase"][0] in done
            and s["Coût réel"] > 1.15 * s["Estimated Cost"]]
    assert over  # an overrun in a Done phase
    inventory = review(data, str(end))["inventory"]
    open_overruns = {i["title"].split()[1] for i in inventory if i["kind"] == "cost_overrun" and i["state"] == "open"}
    assert not open_overruns & {s["Code"] for s in over}


def test_the_teams_labels_rank_its_issues_and_a_failing_retry_is_one_failure(eole_run):
    data, _ = eole_run
    inventory = review(data, "2023-04-01")["inventory"]
    by_number = {int(i["source_ref"]): i for i in inventory if i["source"] == "github"}
    for number, title, labels, created, closed in eole.ISSUES:
        if number not in by_number:
            continue
        want_p = [eole.LABELS["priority"][x] for x in labels if x in eole.LABELS["priority"]]
        want_c = [eole.LABELS["category"][x] for x in labels if x in eole.LABELS["category"]]
        assert (by_number[number]["priority"], by_number[number]["category"]) == (
            want_p[0] if want_p else None, want_c[0] if want_c else None), number
    jobs = json.loads((data / "landing" / "aws" / "sagemaker" / "training_jobs.json").read_text())
    failed = [j["TrainingJobName"] for j in jobs if j["TrainingJobStatus"] == "Failed"]
    january = review(data, "2023-01-15")["inventory"]
    failures = [i for i in january if i["source"] == "sagemaker" and i["kind"] == "training_failure"]
    assert len(failed) == 2 and [i["source_ref"] for i in failures] == [failed[0]]
    assert failures[0]["title"].startswith(f"Training job {failed[0]} failed 2 times")


def test_cost_per_month_is_the_landed_services_summed(eole_run):
    data, _ = eole_run
    dashboard = (data / eole.DOCS_DIR / "docs" / "dashboard.md").read_text(encoding="utf-8")
    as_of = dt.date.fromisoformat(dashboard.split("as_of: ")[1][:10])
    def month_total(year, month, before=None):
        body = read_json(Landing(data).costs_month(year, month))
        return sum(float(g["Metrics"]["UnblendedCost"]["Amount"]) for r in body["ResultsByTime"]
                   if before is None or dt.date.fromisoformat(r["TimePeriod"]["Start"]) < before for g in r["Groups"])
    previous = (as_of.replace(day=1) - dt.timedelta(days=1))
    last_month = month_total(previous.year, previous.month)
    to_date = month_total(as_of.year, as_of.month, before=as_of)
    days = (as_of - as_of.replace(day=1)).days
    projected = to_date / days * calendar.monthrange(as_of.year, as_of.month)[1]
    assert f"{previous:%b} ${last_month:,.2f}; {as_of:%b} to date ${to_date:,.2f} ({days} days), " \
           f"projected ${projected:,.2f}" in dashboard
    assert f"| **Cost/Month** | &lt; ${eole.COST_CEILING} |" in dashboard


def test_api_latency_says_the_team_configured_no_metric(eole_run):
    data, _ = eole_run
    assert "latency" not in eole.config()["aws"]
    dashboard = (data / eole.DOCS_DIR / "docs" / "dashboard.md").read_text(encoding="utf-8")
    assert "| **API Latency** | &lt; 100ms p95 | no data (no latency metric configured: aws.latency) |" in dashboard


def test_a_reopened_stage_is_late_from_its_reopening(eole_run):
    """The landing snapshots say when the stage came back from Done to In Progress: its delay opens then
    (at the earliest), never while it was Done."""
    data, _ = eole_run
    [rid] = [s[0] for s in eole.STAGES if [c[1] for c in s[7]].count("Done") > 1]
    statuses = [(d, {r["id"]: r["fields"]["Status"] for r in read_json(Landing(data).airtable_table(d, "Tâches"))
                     ["records"]}.get(rid)) for d in eole.snapshot_days()]
    reopened = next(d for (p, was), (d, now) in zip(statuses, statuses[1:]) if was == "Terminé" and now == "En cours")
    delays = [i for i in review(data, "2023-01-15")["inventory"] if i["source_ref"] == f"timeline/{rid}"]
    assert delays and delays[0]["created_at"][:10] == str(reopened)


def test_issues_found_per_source_are_counted_as_of_each_review(eole_run):
    """The review's 'found per source' counts what existed at its end: GitHub issues (not pull requests)
    created before it, never those the landing file holds from later."""
    data, _ = eole_run
    landed_issues = json.loads((data / "landing" / "github" / "issues.json").read_text())
    for path in sorted((data / eole.DOCS_DIR / "docs" / "reviews").glob("*.json")):
        meta = json.loads(path.read_text())["review"]
        end = dt.datetime.fromisoformat(meta["period_end"])
        created = [i for i in landed_issues if "pull_request" not in i
                   and dt.datetime.fromisoformat(i["created_at"].replace("Z", "")) < end]
        assert meta["found_by_source"].get("github", 0) == len(created), path.name


def test_the_summary_names_a_failing_week_by_its_days(eole_run):
    """'Week <opening Friday>' alone read as the plan update of that Friday, a week before the figures."""
    _, done = eole_run
    [line] = [x for x in done.stdout.splitlines() if "working days elapsed for" in x]
    week = line.split("Week ")[1][:10]
    closing = dt.date.fromisoformat(week) + dt.timedelta(days=7)
    elapsed = int(np.busday_count(eole.START, closing + dt.timedelta(days=1)))
    assert f"Week {week} – {closing}: {elapsed} working days elapsed" in line


def test_the_adjustment_proposal_names_the_late_stages_when_phases_have_no_estimated_days(eole_run):
    data, _ = eole_run
    text = (data / eole.DOCS_DIR / "docs" / "assessments" / "Q1-2023-budget-timeline-adjustment.md").read_text()
    week = dt.date(2023, 3, 24)  # the plan week of the 03-31 09:00 final: the latest closed by then
    _, phases, stages = followed(data, as_of_snapshot(week))
    assert not any("Estimated Days" in p for p in phases)
    late = [(s["Code"], s["Estimated Days"], int(np.busday_count(dt.date.fromisoformat(s["Start Date"]),
                                                                 week + dt.timedelta(days=1))))
            for s in stages if s["Status"] == "En cours" and "Estimated Days" in s and "hebdo" not in s["Name"]]
    late = [(code, est, so_far) for code, est, so_far in late if so_far > est]
    assert late and "_no data: no phase has Estimated Days_" in text
    for code, est, so_far in late:
        assert f"| {code} | " in text and f" | {est} | {so_far} | {so_far - est} |" in text


def test_sns_subjects_are_ascii_for_a_team_with_non_ascii_names(eole_run):
    data, _ = eole_run
    sent = [json.loads(line)["request"] for line in (data / "sinks" / "sns.jsonl").read_text().splitlines()]
    assert sent and all(s["Subject"].isascii() and len(s["Subject"]) <= 100 for s in sent)
    assert any("Lukasz Zolc" in s["Subject"] and eole.LUKASZ in s["Message"] for s in sent)  # the message keeps it


def test_the_360_prints_one_forecast_of_the_working_days(eole_run):
    data, _ = eole_run
    folder = data / eole.DOCS_DIR / "docs" / "assessments"
    report_text, proposal = (folder / "Q1-2023.md").read_text(), (folder / "Q1-2023-budget-timeline-adjustment.md").read_text()
    forecast = proposal.split("- Timeline:")[1].split("(forecast ")[1].split(",")[0]  # "114.5"
    assert f"(forecast {forecast} working days)" in report_text
