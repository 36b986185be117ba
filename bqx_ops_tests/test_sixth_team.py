"""A sixth team's base (bqx_ops_tests/sixth_base.py) through the demo, read as its manager would: a Wednesday
mid-month start three weeks before the quarter's last Friday, the weekday leap day, two phases without
stages, stages without estimates, and hostile names everywhere. Expectations come from the landing JSON,
the calendar and the base's constants, never from bqx_ops.

One module fixture (one demo run, ~15 s); each defect it found also has a pure test here."""

import calendar
import datetime as dt
import json
import re
import subprocess

import duckdb
import numpy as np
import pandas as pd
import pytest

from bqx_ops.assessment.versions import due, versions
from bqx_ops.config_sections import DocsRepoSection
from bqx_ops.issue_review.actions import slack_intent
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.landing import Landing, read_json
from bqx_ops.plan_update.targets import PlanTargets
from bqx_ops.plan_update.timeline import plan_timeline
from bqx_ops.plan_update.variance import budget_totals
from bqx_ops_tests import sixth_base as omega
from bqx_ops_tests.test_other_team import SAMPLE_WORDS, fridays, names_in_outputs, run_demo

LAST = dt.date(2024, 3, 4)  # the Monday after the leap day: its dashboard closes February
DOCS_DIR = "mega_nowcast-ops-co-channel"  # derived from the project name (no dir_name configured)
HOSTILE_NAMES = (omega.BO, omega.CY, omega.DEE, omega.NAME, omega.PLAN_ID, omega.BLOCKER)
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def omega_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("omega")
    omega.write(tmp / "data")
    done = run_demo(tmp, "--to", LAST.isoformat(), BQX_OPS_OUTBOX_HORIZON_DAYS="100000")
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp / "data", done


def docs(data):
    return data / DOCS_DIR / "docs"


def stages_on(data, day: dt.date) -> list[dict]:
    return [r["fields"] for r in read_json(Landing(data).airtable_table(day, omega.TABLES["Stages"]))["records"]]


def as_of_snapshot(day: dt.date) -> dt.date:
    return max(d for d in omega.snapshot_days() if d <= day)


def git(data, *args) -> str:
    return subprocess.run(["git", "-C", str(data / f"{DOCS_DIR}.git"), *args], capture_output=True, text=True,
                          check=True).stdout


def last_friday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def test_no_360_version_is_dated_before_the_plan_began(omega_run):
    """Q4-2023's final is Friday 12-29; its draft (three weeks before, 12-08) falls before the Wednesday
    12-13 start: it was scored from no snapshot at all and committed before the docs repo's first commit."""
    data, _ = omega_run
    final = last_friday(2023, 12)
    draft = final - dt.timedelta(weeks=3)
    assert draft < omega.START <= draft + dt.timedelta(weeks=1)
    history = [line.split(" ", 1) for line in git(data, "log", "--reverse", "--format=%cs %s").splitlines()]
    days = [d for d, _ in history]
    assert days == sorted(days) and min(days) == omega.START.isoformat()
    q4 = [s for _, s in history if s.startswith("360 plan assessment Q4-2023")]
    assert [re.search(r"\((\w+) (\d)/4\)", s).groups() for s in q4] == [("refresh", "2"), ("refresh", "3"),
                                                                          ("final", "4")]


def test_the_due_versions_start_at_the_plans_first_day():
    final = dt.datetime(2023, 12, 29, 9, tzinfo=UTC)
    now = final + dt.timedelta(days=1)
    assert [v.number for v in due(final, now)] == [1, 2, 3, 4]
    assert [v.number for v in due(final, now, dt.date(2023, 12, 13))] == [2, 3, 4]
    assert [v.number for v in due(final, now, dt.date(2023, 12, 8))] == [1, 2, 3, 4]  # the draft's own day
    assert due(final, now, dt.date(2023, 12, 30)) == [] and len(versions(final)) == 4


@pytest.mark.parametrize("friday", [dt.date(2024, 1, 12), dt.date(2024, 3, 1)])
def test_realized_and_spent_count_a_done_stage_without_estimate(omega_run, friday):
    """Stage 1.2 is Done with a Realized Cost and no Estimated Cost: its money is spent (realized, % of the
    budget), while the variance compares only the Done stages that have both."""
    data, _ = omega_run
    done = [s for s in stages_on(data, as_of_snapshot(friday)) if s["Status"] == "✅ shipped"]
    paid = sum(s["Spent $"] for s in done)
    paired = [s for s in done if "Estimated Cost" in s]
    realized, estimated = sum(s["Spent $"] for s in paired), sum(s["Estimated Cost"] for s in paired)
    assert len(paired) < len(done)
    line = f"Budget: ${omega.BUDGET:,.2f} estimated | ${paid:,.2f} realized | " \
           f"{100 * (realized - estimated) / estimated:+.1f}% variance | {100 * paid / omega.BUDGET:.1f}% of budget spent"
    text = (docs(data) / "plan-updates" / f"{friday}.md").read_text(encoding="utf-8")
    assert line in text
    assert f"without Estimated Cost realized ${paid - realized:,.2f}, outside the variance" in text


def test_budget_totals_keep_an_unestimated_stages_cost_in_the_spend():
    stages = pd.DataFrame([
        {"record_id": "a", "stage_id": "1", "status": "Done", "estimated_cost": 100.0, "realized_cost": 110.0},
        {"record_id": "b", "stage_id": "2", "status": "Done", "estimated_cost": None, "realized_cost": 40.0},
        {"record_id": "c", "stage_id": "3", "status": "In Progress", "estimated_cost": 50.0, "realized_cost": 5.0}])
    totals = budget_totals(stages, PlanTargets(budget=200.0))
    assert totals["spent_cost"] == 150.0 and totals["budget_spent_pct"] == 75.0
    assert totals["realized_cost"] == 110.0 and totals["variance_pct"] == pytest.approx(10.0)
    assert totals["done_without_estimate"] == 1 and totals["over_budget"] is False


def test_the_leap_week_is_timed_and_costed_from_the_landing_zone(omega_run):
    data, _ = omega_run
    friday = dt.date(2024, 3, 1)
    stages = stages_on(data, as_of_snapshot(friday))
    earned = sum(s.get("Est. days", 0) for s in stages if s["Status"] == "✅ shipped")
    elapsed = int(np.busday_count(omega.START, friday + dt.timedelta(days=1)))  # the leap Thursday counts
    text = (docs(data) / "plan-updates" / f"{friday}.md").read_text(encoding="utf-8")
    assert f"Timeline: {omega.DAYS_MIN}-{omega.DAYS_MAX} days estimated | {elapsed} actual | {elapsed - earned} days behind" in text
    assert "| 2.1 | Baseline \\`lgbm\\` &amp; &lt;tuning&gt; | In Progress | Done |" in text  # shipped on the leap day
    feb = read_json(Landing(data).costs_month(2024, 2))["ResultsByTime"]
    amounts = [float(r["Groups"][0]["Metrics"]["UnblendedCost"]["Amount"]) for r in feb]
    assert len(amounts) == 29
    board = git(data, "show", f"{git(data, 'log', '--format=%H', '--grep=dashboard as of 2024-02-26').strip()}:docs/dashboard.md")
    to_date = sum(amounts[:25])
    assert f"Feb to date ${to_date:,.2f} (25 days), projected ${to_date / 25 * 29:,.2f} ❌" in board
    assert f"Feb ${sum(amounts):,.2f}; Mar to date" in (docs(data) / "dashboard.md").read_text(encoding="utf-8")


def test_phases_without_stages_are_counted_and_shown_empty(omega_run):
    data, _ = omega_run
    phases = [r["fields"] for r in read_json(Landing(data).airtable_table(LAST, omega.TABLES["Phases"]))["records"]]
    counts = {s: sum(p["Status"] == s for p in phases) for s in ("Done", "In Progress", "Todo")}
    readme = (data / DOCS_DIR / "README.md").read_text(encoding="utf-8")
    assert f"- Phases: {len(phases)} total \\| {counts['Done']} complete \\| {counts['In Progress']} in progress " \
           f"\\| {counts['Todo']} todo" in readme
    assert "| E3 | Ideas 💡 \\_someday\\_ | Todo | Ana Løvberg 🌟 | 0/0 |" in readme


def test_no_slack_text_carries_a_raw_name_link_or_entity(omega_run):
    data, _ = omega_run
    texts = [json.loads(line)["request"]["text"] for line in (data / "sinks" / "slack.jsonl").read_text().splitlines()]
    reviews = [t for t in texts if t.startswith("*Issue review ")]
    assert reviews and any("owner Bo_\u200bb &lt;bo@example.com&gt;" in t for t in reviews)
    links = re.compile(r"<https://github\.com/[^<>|\s]+>")  # the issue links we make, the only markup allowed
    for text in texts:
        plain = links.sub("", text)
        assert "<" not in plain and not re.search(r"&(?!amp;|lt;|gt;)", plain), text
        assert not [n for n in HOSTILE_NAMES if n in text], text


def test_the_review_slack_escapes_the_owner():
    period = ReviewPeriod(dt.datetime(2024, 2, 15, 10), dt.datetime(2024, 3, 1, 10))
    inventory = pd.DataFrame([{"state": "open", "priority": "P0", "breached": True, "title": "#2 down",
                               "owner": "Bo_b <!channel> & <bo@example.com>", "sla_due_at": pd.Timestamp("2024-01-04 08:00")}])
    _, payload = slack_intent(inventory, period, "docs/reviews/2024-03-01-issue-review.md")
    assert "(owner Bo_\u200bb &lt;!channel&gt; &amp; &lt;bo@example.com&gt;, due 2024-01-04 08:00 UTC" in payload["text"]


def test_markdown_prose_never_carries_a_raw_hostile_name(omega_run):
    data, _ = omega_run
    pages = [p for p in (data / DOCS_DIR).rglob("*.md") if ".git" not in p.parts]
    found = [(p.name, n) for p in pages for n in HOSTILE_NAMES if n in p.read_text(encoding="utf-8")]
    assert pages and not found
    review = (docs(data) / "reviews" / "2024-03-01-issue-review.md").read_text(encoding="utf-8")
    assert "owner Bo\\_b &lt;bo@example.com&gt;." in review
    q4 = (docs(data) / "assessments" / "Q4-2023.md").read_text(encoding="utf-8")
    assert "(owner Cy \\*Kim\\*, approval Dee \\| Ops &amp; Co)" in q4


def test_every_period_is_reported_and_nothing_names_the_sample(omega_run):
    data, done = omega_run
    assert sorted(p.name for p in (docs(data) / "plan-updates").iterdir()) == \
        [f"{d}.md" for d in fridays(omega.START, LAST)]
    assert not names_in_outputs(data, DOCS_DIR, done.stdout, SAMPLE_WORDS)


def test_a_finished_plan_with_a_stageless_milestone_stops_counting_days():
    """Every phase Done, one of them a milestone with no stage and no End Date (the sixth base's E4
    "Kick-off"): the plan ended with its last stage's Completed Date, not 'today'."""
    start, finished, later = dt.date(2024, 1, 1), dt.date(2024, 1, 5), dt.date(2024, 3, 1)
    stages = pd.DataFrame([{"record_id": "s1", "stage_id": "1.1", "phase_id": "recE1", "status": "Done",
                            "estimated_days": 5, "start_date": start, "completed_date": finished}])
    phases = pd.DataFrame([{"record_id": "recE1", "phase_id": "E1", "status": "Done"},
                           {"record_id": "recE4", "phase_id": "E4", "status": "Done"}])
    out = plan_timeline(stages, phases, PlanTargets(start_date=start), later)
    worked = int(np.busday_count(start, finished + dt.timedelta(days=1)))
    assert out["plan_complete"] and out["elapsed_days"] == worked and out["schedule_variance_days"] == worked - 5
    unfinished = stages.assign(completed_date=None)  # a Done phase with work but no known end: still counting
    assert not plan_timeline(unfinished, phases, PlanTargets(start_date=start), later)["plan_complete"]


@pytest.mark.parametrize("name, folder", [("Landing", "landing-docs"), ("Sinks", "sinks-docs"),
                                          ("bqx_ops.duckdb", "bqx_ops.duckdb-docs"), ("Radar.git", "radar"),
                                          (omega.NAME, DOCS_DIR), ("ab " * 150, ("ab-" * 32)[:95])])
def test_the_derived_docs_folder_never_takes_a_data_dir_name_or_exceeds_the_limit(name, folder):
    """A project named 'Landing' had its docs working copy in the landing zone (the demo failed, telling the
    team to move its landing zone away); 'Sinks' in the outbox's sinks; a 300-character name a folder name
    the file system refuses (255 bytes)."""
    from bqx_ops.config import ProjectConfig

    derived = ProjectConfig(project={"name": name}).docs_dir()
    assert derived == folder.rstrip("-") and len(derived) <= 100
    assert DocsRepoSection(dir_name=derived).dir_name == derived  # what a configured dir_name may be


def test_cloudwatch_names_derived_from_a_long_project_name_fit_cloudwatchs_limits(tmp_path, monkeypatch):
    """A 300-character project name gave a dashboard, alarms and a namespace CloudWatch refuses (255)."""
    from bqx_ops import settings
    from bqx_ops.dashboard.cloudwatch import ALARMS

    path = tmp_path / "team.yaml"
    path.write_text(f"project: {{name: \"{'Nowcast ' * 40}\"}}\n", encoding="utf-8")
    monkeypatch.setenv("BQX_OPS_CONFIG", str(path))
    names = settings.cloudwatch_names()
    assert names["dashboard"].startswith("nowcast-nowcast-") and names["namespace"].startswith("Nowcast Nowcast ")
    longest = max(len(f"{names['dashboard']}-{a.suffix}") for a in ALARMS)
    assert longest <= 255 and len(names["namespace"]) <= 255


def test_the_forecast_says_which_open_stages_it_cannot_count(omega_run):
    """On 2023-12-29 stage 1.2 is In Progress without an Estimated Cost: the forecast at completion adds
    nothing for it, and says so beside its total (it was only a 'no data' cell in the table below)."""
    data, _ = omega_run
    friday = dt.date(2023, 12, 29)
    unestimated = [s for s in stages_on(data, as_of_snapshot(friday))
                   if s["Status"] != "✅ shipped" and "Estimated Cost" not in s]
    assert len(unestimated) == 1
    text = (docs(data) / "plan-updates" / f"{friday}.md").read_text(encoding="utf-8")
    assert "Done stages without cost $0.00); 1 open stage without Estimated Cost not in it." in text
    proposal = (docs(data) / "assessments" / "Q4-2023-budget-timeline-adjustment.md").read_text(encoding="utf-8")
    assert "the adjusted estimates of the open stages; 1 open stage without Estimated Cost not in it)." in proposal
    ours = omega.OPTIONS["Stages"]["Status"]  # the base's status words -> ours, as the report names them
    week_end = friday - dt.timedelta(weeks=1)  # the final reads the plan week closed by its instant
    without_days = [f"{s['Story #']} ({ours[s['Status']]})" for s in sorted(
        stages_on(data, as_of_snapshot(week_end)), key=lambda s: s["Story #"]) if "Est. days" not in s]
    assert f"working days (stages without Estimated Days, not in it: {', '.join(without_days)})." in proposal
    q4 = (docs(data) / "assessments" / "Q4-2023.md").read_text(encoding="utf-8")
    assert re.search(r"- Forecast at completion: \$[0-9,.]+ against \$[0-9,.]+ \([-+][0-9.]+%; 1 open stage without "
                     r"Estimated Cost not in it\)\.", q4)


def test_a_360_before_the_first_plan_week_does_not_say_the_plan_has_no_r2_target(omega_run):
    """The first version (Friday 12-15 09:00) comes before the first plan week closes (16:00): its R²
    question has no data because no week has closed, not because the plan lacks a target (it has one)."""
    data, _ = omega_run
    instant = dt.datetime.combine(last_friday(2023, 12) - dt.timedelta(weeks=2), dt.time(9))
    assert instant < dt.datetime.combine(fridays(omega.START, LAST)[0], dt.time(16))
    [plan] = read_json(Landing(data).airtable_table(as_of_snapshot(instant.date()), omega.TABLES["Plans"]))["records"]
    assert plan["fields"]["R2 Target Min"] == omega.R2_MIN
    sha = git(data, "log", "--format=%H", "--grep=Q4-2023 (refresh 2/4)").strip()
    text = git(data, "show", f"{sha}:docs/assessments/Q4-2023.md")
    assert f"As of {instant:%Y-%m-%d %H:%M} UTC" in text and "no R² target in the plan" not in text
    assert "- Is R² progression on track (target)? no data (no plan week of the quarter has closed yet)." in text


@pytest.mark.parametrize("start, instant, shown", [
    (dt.date(2024, 2, 29), dt.datetime(2024, 3, 4, 9, tzinfo=UTC), ("0/4 (0 due so far)", "✅")),
    (dt.date(2023, 12, 13), dt.datetime(2024, 3, 4, 9, tzinfo=UTC), ("0/4 (0 due so far)", "✅")),
    (dt.date(2024, 2, 29), dt.datetime(2024, 4, 1, 9, tzinfo=UTC), ("no data", "no data"))])
def test_a_project_before_its_first_360_is_not_behind_on_assessments(start, instant, shown):
    """No 360 has run (no table). On Monday 2024-03-04 no quarter of 2024 is due (Q1's final is Friday 03-29):
    none can have been made, 0 of 0, not "no data" failing operational_health_is_green every week before a
    new project's first draft. On 04-01 Q1 is due and, with nothing read, how many were made is unknown."""
    from bqx_ops.dashboard.indicators import indicators
    from bqx_ops.dashboard.read import facts

    due = [f for f in (last_friday(2024, 3),) if f < instant.date() and f >= start]
    assert bool(due) == (shown[0] == "no data")
    with duckdb.connect() as conn:
        got = {i.metric: i for i in indicators(facts(conn, instant, start=start))}
    assert (got["360 Assessments"].current, got["360 Assessments"].status) == shown
    assert got["Plan Alignment"].status == "no data"


def test_the_approval_request_names_only_documents_that_were_written(omega_run):
    """Q4-2023's final has no gap stage, so no gap remediation plan: the Decisions record asking for approval
    named one all the same (a file the approver could not find)."""
    data, _ = omega_run
    requests = [json.loads(line)["request"] for line in (data / "sinks" / "airtable.jsonl").read_text().splitlines()
                if json.loads(line)["key"] == "assessment/Q4-2023/approval-request/decision"]
    [rationale] = [r["records"][0]["fields"]["Rationale"] for r in requests]
    named = re.findall(r"docs/assessments/[^,. ]+\.md", rationale)
    written = sorted(p.name for p in (docs(data) / "assessments").glob("Q4-2023*.md"))
    assert sorted(n.rsplit("/", 1)[1] for n in named) == written
    assert "Q4-2023-gap-remediation-plan.md" not in written


def test_a_release_body_mentions_nobody_a_phase_name_names(omega_run):
    """Phase E4 'Kick-off @here' is Done from the start: its GitHub release body must not @-mention the
    GitHub account 'here' (a release notifies whom its notes mention); the name reads the same."""
    data, _ = omega_run
    [release] = [json.loads(line)["request"] for line in (data / "sinks" / "github.jsonl").read_text().splitlines()]
    [e4] = [p for p in omega.PHASES if p[3] == "Done"]
    assert release["tag"] == f"phase-{e4[1]}-done" and release["name"] == f"Phase {e4[1]} – {e4[2]}: Done"
    assert not re.search(r"@[A-Za-z0-9]", release["body"]) and "Kick-off @\u2060here" in release["body"]
