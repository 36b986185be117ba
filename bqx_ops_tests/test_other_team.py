"""Another team's base through the whole demo: every period from its start, its own names and targets,
figures computed here from the landing JSON, and nothing of the bundled sample in any output."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bqx_ops.landing import Landing, read_json
from bqx_ops_tests import other_base as acme
from bqx_ops_tests.base_builder import minimal_base, write_snapshot
from bqx_ops_tests.test_cli_demo import REPO

# What would betray the sample in another team's outputs: its names, and its figures in the forms the
# reports, checks and dashboard would print them (a bare "$650" can be another plan's honest arithmetic).
SAMPLE_WORDS = ("BQX", "bqx-ml", "MP-BQX_ML-001", "bqx-labs", "$650 estimated", "$650 budget", "Budget $650",
                "71-85", "0.95-0.99", "> 0.95", "&gt; 0.95", "< $500", "&lt; $500", "#bqx-ml-operations",
                "2025-08-18")


def names_in_outputs(data, docs_dir: str, stdout: str, words) -> list[tuple[str, str]]:
    """(output, word) for each of ``words`` found in the team's docs repo files, the sinks and the demo's
    stdout (our variables' BQX_OPS_ prefix aside)."""
    outputs = [p for p in (data / docs_dir).rglob("*") if p.is_file() and ".git" not in p.parts]
    outputs += list((data / "sinks").glob("*.jsonl"))
    texts = {str(p.relative_to(data)): p.read_text(encoding="utf-8") for p in outputs}
    texts["stdout"] = stdout
    texts = {name: text.replace("BQX_OPS_", "") for name, text in texts.items()}
    return sorted({(name, word) for name, text in texts.items() for word in words if word in text})


def fridays(first: dt.date, last: dt.date) -> list[dt.date]:
    day = first + dt.timedelta(days=(4 - first.weekday()) % 7)
    return [day + dt.timedelta(weeks=i) for i in range((last - day).days // 7 + 1)]


def reviews(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every 1st and 15th after the start day began, up to the last day: each closes a review period."""
    days = [first + dt.timedelta(days=i) for i in range(1, (last - first).days + 1)]
    return [d for d in days if d.day in (1, 15)]


def run_demo(tmp_path, *args, **env):
    """``bqx-ops demo [args]`` in a subprocess on tmp_path/data (a whole replay: minutes on a busy machine)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    environ = {**os.environ, "DAGSTER_HOME": str(home), **env}
    environ.pop("BQX_OPS_MODE", None)
    environ.pop("BQX_OPS_CONFIG", None)
    cmd = [str(Path(sys.executable).with_name("bqx-ops")), "demo", "--data-dir", str(tmp_path / "data"), *args]
    return subprocess.run(cmd, env=environ, capture_output=True, text=True, timeout=3600)


def git(*args) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def acme_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("acme")
    acme.write(tmp / "data")
    # deliver the history to the sinks too, to read what would have been sent
    return tmp / "data", run_demo(tmp, BQX_OPS_OUTBOX_HORIZON_DAYS="100000")


@pytest.mark.slow
def test_another_teams_base_runs_through_the_whole_demo_from_its_start(acme_run):
    data, done = acme_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"bqx-ops demo: {acme.START} .. {acme.END}" in done.stdout
    docs = data / acme.DOCS_DIR / "docs"
    plan_updates = sorted(p.name for p in (docs / "plan-updates").iterdir())
    assert plan_updates == [f"{d}.md" for d in fridays(acme.START, acme.END)]  # the first Friday included
    assert plan_updates[0] == "2024-10-11.md"
    md_reviews = sorted(p.name for p in (docs / "reviews").glob("*.md"))
    assert md_reviews == [f"{d}-issue-review.md" for d in reviews(acme.START, acme.END)]
    assert md_reviews[0] == "2024-10-15-issue-review.md"
    assessments = sorted(p.name for p in (docs / "assessments").iterdir())
    # beside each report, a final's gap remediation plan / adjustment proposal when its figures call for one
    assert [n for n in assessments if not n.endswith(("-gap-remediation-plan.md", "-budget-timeline-adjustment.md"))
            ] == ["Q1-2025.md", "Q4-2024.md"]
    assert all(n.split("-")[0] + "-" + n.split("-")[1][:4] + ".md" in assessments for n in assessments)
    # the docs repo starts on the plan's first day, with the team's own title and goal
    first_commit = git("-C", str(data / f"{acme.DOCS_DIR}.git"), "log", "--reverse", "--format=%cs", "main").split()[0]
    assert first_commit == acme.START.isoformat()
    readme = (data / acme.DOCS_DIR / "README.md").read_text()
    assert readme.startswith(f"# {acme.DOCS_DIR}\n\n{acme.NAME}: weekly demand at 15 and 30 days.")
    assert f"Weekly progress of {acme.NAME}" in (data / acme.DOCS_DIR / "CHANGELOG.md").read_text()


def test_the_teams_replayed_history_reads_in_date_order(acme_run):
    data, done = acme_run
    assert done.returncode == 0, done.stdout + done.stderr
    log = git("-C", str(data / f"{acme.DOCS_DIR}.git"), "log", "--format=%cI", "main").split()
    dates = [dt.datetime.fromisoformat(d) for d in log]
    assert len(dates) > 10 and dates == sorted(dates, reverse=True)

@pytest.mark.slow
def test_the_figures_match_the_landing_json_under_the_teams_own_names(acme_run):
    data, done = acme_run
    assert done.returncode == 0
    friday = fridays(acme.START, acme.END)[-1]
    as_of = max(d for d in acme.snapshot_days() if d <= friday)  # the latest snapshot by the report's end
    landing = Landing(data)
    items = read_json(landing.airtable_table(as_of, "Work Items"))["records"]  # the base's own table name
    milestones = read_json(landing.airtable_table(as_of, "Milestones"))["records"]
    done_items = [r["fields"] for r in items if r["fields"]["Status"] == "Done"]
    realized = sum(f["Actual Cost"] for f in done_items)  # the base's own field name
    complete = sum(1 for m in milestones if m["fields"]["Status"] == "Done")
    report = (data / acme.DOCS_DIR / "docs" / "plan-updates" / f"{friday}.md").read_text()
    assert f"Phases: {len(milestones)} total | {complete} complete |" in report and len(milestones) == acme.PHASES
    assert f"Budget: ${acme.BUDGET:,} estimated | ${realized:,.2f} realized |" in report
    assert f"Timeline: {acme.DAYS_MIN}-{acme.DAYS_MAX} days estimated |" in report
    assert f"| Target {acme.R2_MIN:.2f}-{acme.R2_MAX:.2f} |" in report
    # the dashboard judges against the team's targets; 2025 has no cost data: "no data", not $0.00
    dashboard = (data / acme.DOCS_DIR / "docs" / "dashboard.md").read_text()
    assert f"| **Cost/Month** | &lt; ${acme.COST_CEILING} | no data |" in dashboard
    assert f"| **R² (Ensemble)** | &gt; {acme.R2_MIN:.2f} |" in dashboard
    assert "never" not in dashboard


@pytest.mark.slow
def test_the_teams_sources_rules_and_channel_are_used(acme_run):
    data, done = acme_run
    assert done.returncode == 0
    reviews_dir = data / acme.DOCS_DIR / "docs" / "reviews"
    inventories = {p.name[:10]: json.loads(p.read_text())["inventory"] for p in reviews_dir.glob("*.json")}
    everything = [i for inv in inventories.values() for i in inv]
    # the recurring operations stage is never a timeline delay, however long it stays In Progress
    assert not [i for i in everything if i["kind"] == "timeline_delay" and acme.RECURRING_NAME in i["title"]]
    # the failed job is resolved by its retry, which has another name
    [failure] = [i for i in inventories["2024-11-15"] if i["source_ref"] == acme.FAILED_JOB]
    assert failure["state"] == "resolved" and failure["resolved_at"].startswith("2024-11-05")
    # the team's log group is read in replay
    assert any(i["source"] == "cloudwatch" and acme.LOG_GROUP in json.dumps(i) for i in everything)
    sinks = [json.loads(line) for line in (data / "sinks" / "slack.jsonl").read_text().splitlines()]
    assert {s["request"]["channel"] for s in sinks} == {acme.CHANNEL}


@pytest.mark.slow
def test_no_output_names_the_sample(acme_run):
    data, done = acme_run
    assert done.returncode == 0
    assert not names_in_outputs(data, acme.DOCS_DIR, done.stdout, SAMPLE_WORDS)


@pytest.mark.slow
def test_a_brand_new_project_gets_its_first_plan_update_and_a_dashboard_without_never(tmp_path):
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=14)
    base = minimal_base()
    base["Plans"][0]["fields"].update({"Plan ID": "NEW-1", "Name": "Newco", "Start Date": start.isoformat()})
    for day in (start, today):
        write_snapshot(tmp_path / "data", day, base)
    (tmp_path / "data" / "bqx_ops.yaml").write_text(yaml.safe_dump({
        "project": {"name": "Newco"}, "start_date": start.isoformat(), "cost_budget_per_month": 100}))
    done = run_demo(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    docs = tmp_path / "data" / "newco" / "docs"
    expected = [f"{d}.md" for d in fridays(start, today)]
    assert expected and sorted(p.name for p in (docs / "plan-updates").iterdir()) == expected
    dashboard = (docs / "dashboard.md").read_text()
    assert "Airtable Updates" in dashboard and "never" not in dashboard
