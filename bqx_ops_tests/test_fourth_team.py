"""A fourth team's base (bqx_ops_tests/fourth_base.py, variant "bare") through the demo, up to its first
year end: a Sunday start, every table, key field and status renamed, three plans with one followed, its
own SLAs, a ``trunk`` docs branch, no stage ever Done, NO SageMaker, Cost Explorer or CloudWatch file and
GitHub holding pull requests only. Expectations come from the landing JSON and the base's constants.

One module fixture (~20 s): the only end-to-end proof of this team; each fix it found has its own
pure test (test_plan_maths, test_team_sla, test_assessment_horizons, test_docs_repo)."""

import datetime as dt
import json
import subprocess

import numpy as np
import pytest

from bqx_ops.landing import Landing, read_json
from bqx_ops_tests import fourth_base as kgl
from bqx_ops_tests.test_other_team import SAMPLE_WORDS, fridays, names_in_outputs, reviews, run_demo

LAST = dt.date(2020, 1, 7)  # past the year end and the Q4-2019 final (Friday 2019-12-27)


@pytest.fixture(scope="module")
def kgl_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kestrel")
    rules = kgl.write(tmp / "data", "bare")
    done = run_demo(tmp, "--to", LAST.isoformat(), BQX_OPS_OUTBOX_HORIZON_DAYS="100000",
                    BQX_OPS_TRIAGE_RULES=str(rules))
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp / "data", done


def docs(data):
    return data / kgl.DOCS_DIR / "docs"


def as_of_snapshot(day: dt.date) -> dt.date:
    return max(d for d in kgl.snapshot_days() if d <= day)


def landed(data, day: dt.date, table: str) -> list[dict]:
    return read_json(Landing(data).airtable_table(day, kgl.TABLES.get(table, table)))["records"]


def test_every_period_from_the_sunday_start_is_reported_on_the_teams_branch(kgl_run):
    data, done = kgl_run
    assert sorted(p.name for p in (docs(data) / "plan-updates").iterdir()) == \
        [f"{d}.md" for d in fridays(kgl.START, LAST)]
    assert sorted(p.name for p in (docs(data) / "reviews").glob("*.md")) == \
        [f"{d}-issue-review.md" for d in reviews(kgl.START, LAST)]
    assert (docs(data) / "assessments" / "Q4-2019.md").exists()
    origin = str(data / f"{kgl.DOCS_DIR}.git")
    git = lambda *a: subprocess.run(["git", "-C", origin, *a], capture_output=True, text=True, check=True).stdout  # noqa: E731
    assert git("for-each-ref", "--format=%(refname:short)", "refs/heads").split() == ["trunk"]
    assert git("log", "--reverse", "--format=%cs", "trunk").split()[0] == kgl.START.isoformat()
    # the sync and dashboard week from Monday 11-18 holds the first snapshot (Tuesday 11-19): replayed
    first = kgl.snapshot_days()[0]
    monday = first - dt.timedelta(days=first.weekday())
    subjects = git("log", "--format=%s", "trunk").splitlines()
    assert f"Success metrics dashboard as of {monday + dt.timedelta(weeks=1)} 09:00 UTC" in subjects
    changelog = (data / kgl.DOCS_DIR / "CHANGELOG.md").read_text()
    assert f"_Week {monday} – {monday + dt.timedelta(weeks=1)} · Airtable snapshot " in changelog


@pytest.mark.parametrize("friday", [dt.date(2019, 11, 22), dt.date(2019, 12, 27), dt.date(2020, 1, 3)])
def test_a_plan_with_nothing_done_is_every_working_day_behind(kgl_run, friday):
    data, _ = kgl_run
    stages = landed(data, as_of_snapshot(friday), "Stages")
    ours = [s["fields"] for s in stages if not s["fields"]["Ticket"].startswith("PIL")]
    assert ours and not [s for s in ours if s["Status"] == "Shipped"]  # the base's word for Done
    elapsed = int(np.busday_count(kgl.START, friday + dt.timedelta(days=1)))  # from the Sunday start
    planned = sum(s["Est Days"] for s in ours)
    text = (docs(data) / "plan-updates" / f"{friday}.md").read_text()
    assert f"Timeline: {kgl.DAYS_MIN}-{kgl.DAYS_MAX} days estimated | {elapsed} actual | {elapsed} " \
           f"{'day' if elapsed == 1 else 'days'} behind" in text
    assert f"{elapsed} working days elapsed against 0 earned ({planned} planned in all)" in text
    assert f"Budget: ${kgl.BUDGET:,} estimated | realized: no data |" in text


def test_absent_sources_read_no_data_and_landed_pull_requests_zero_issues(kgl_run):
    data, _ = kgl_run
    landing = Landing(data)
    assert not landing.sagemaker_jobs.exists() and not list((data / "landing" / "aws").rglob("*.json"))
    assert all("pull_request" in i for i in read_json(landing.github_issues))
    review = (docs(data) / "reviews" / "2020-01-01-issue-review.md").read_text()
    assert "| github | 0 | 0 | 0 | 0 |" in review
    assert "| cloudwatch | no data |" in review and "| sagemaker | no data |" in review
    dashboard = (docs(data) / "dashboard.md").read_text()
    assert f"| **Cost/Month** | &lt; ${kgl.COST_CEILING:,} | no data |" in dashboard
    week_end = dt.date(2020, 1, 3)  # the latest plan week by the dashboard of Monday 2020-01-06
    behind = int(np.busday_count(kgl.START, week_end + dt.timedelta(days=1)))
    assert f"| **Timeline Variance** | ±20% | nothing earned yet: {behind} working days behind ❌ |" in dashboard
    assert "- Dependency uptime: no data." in (docs(data) / "assessments" / "Q4-2019.md").read_text()


def test_the_teams_slas_are_the_ones_counted_and_named(kgl_run):
    data, _ = kgl_run
    dashboard = (docs(data) / "dashboard.md").read_text()
    assert "| **P0 Issues** | 0 older than 8h |" in dashboard and "| **P1 Issues** | 0 older than 3 days |" in dashboard
    assert kgl.SLA_HOURS["P0"] == 8 and kgl.SLA_HOURS["P1"] == 72
    q4 = (docs(data) / "assessments" / "Q4-2019.md").read_text()
    assert "| no P0 &gt; 8h |" in q4 and "| no P1 &gt; 3 days |" in q4


def test_the_360_horizons_are_the_plan_weeks_and_average_to_its_r2(kgl_run):
    data, _ = kgl_run
    week_end = dt.date(2019, 12, 20)  # the last plan week closed by the final of Friday 2019-12-27 09:00
    results = [r["fields"] for r in landed(data, as_of_snapshot(week_end), "Model Results")]
    latest = {}
    for r in sorted(results, key=lambda r: (r["Evaluated On"], r["Result ID"])):
        if r["Model"] == "Stack" and dt.date.fromisoformat(r["Evaluated On"]) <= week_end:
            latest[r["Horizon"]] = r
    q4 = (docs(data) / "assessments" / "Q4-2019.md").read_text()
    for horizon, r in latest.items():
        assert f"| {horizon} | {r['R2']:.4f} | {r['Evaluated On']} | no |" in q4
    mean = sum(r["R2"] for r in latest.values()) / len(latest)
    assert "| 1 | Goal alignment | " in q4 and f"ensemble R² {mean:.4f} below target" in q4


def test_no_output_names_the_sample_or_the_other_plans(kgl_run):
    data, done = kgl_run
    words = (*SAMPLE_WORDS, "KGL-SOLAR", "KGL-PILOT", "PIL-1", "Feeder survey", "Kestrel Solar", "$4,444", "$7,777")
    assert not names_in_outputs(data, kgl.DOCS_DIR, done.stdout, words)
    sent = [json.loads(line)["request"] for line in (data / "sinks" / "slack.jsonl").read_text().splitlines()]
    assert sent and {s["channel"] for s in sent} == {kgl.CHANNEL}
