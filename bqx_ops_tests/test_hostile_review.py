"""Hostile GitHub issues, SageMaker jobs and CloudWatch day files in one issue review: every bad
item is a data problem with its reason (never a crash, never silently skipped), the genuine
items are all counted, and the report, its JSON twin and the Slack text stay valid."""

import datetime as dt
import json
import re

import duckdb
import pandas as pd
import pytest

from bqx_ops import markdown, slack_text
from bqx_ops.docs_sync.models import jobs_by_name
from bqx_ops.issue_review.actions import slack_intent
from bqx_ops.issue_review.airtable_issues import quarantine_issues
from bqx_ops.issue_review.collect import SourceData, review
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.report import render_json, render_markdown
from bqx_ops.issue_review.rules import load_rules
from bqx_ops_tests import hostile_corpus as hc

PERIOD = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
NOW = dt.datetime(2026, 3, 20, 12)
BAD = re.compile(hc.CONTROL_OR_SURROGATE)
LOG_DAY = dt.date(2026, 3, 12)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-review")
    day_file = root / f"{LOG_DAY.isoformat()}.json"
    day_file.write_text(hc.cloudwatch_day_text(LOG_DAY), encoding="utf-8")
    object_file = root / "object" / f"{LOG_DAY.isoformat()}.json"
    object_file.parent.mkdir()
    object_file.write_text(hc.cloudwatch_object_day_text(LOG_DAY), encoding="utf-8")
    items = [item for item, _ in hc.GITHUB_CASES]
    jobs = [job for job, _ in hc.SAGEMAKER_CASES]
    logs = [("/host/group", day_file), ("/host/object", object_file)]
    data = SourceData(items, jobs, lambda start, end: (logs, []), now=NOW)
    rules = load_rules(path="")
    with duckdb.connect() as conn:
        out = review(conn, PERIOD, rules, data, None)
    tables = {"inventory": out.inventory, "breaches": out.breaches, "trend": out.trend, "stats": out.stats,
              "actions": out.actions, "meta": out.meta}
    return out, render_markdown(tables, rules), render_json(tables)


def problems(result) -> list[str]:
    return json.loads(result[0].meta.iloc[0]["problems"])


@pytest.mark.parametrize("fragment", [f for _, f in hc.GITHUB_CASES if f])
def test_each_hostile_github_item_is_a_data_problem_with_its_reason(result, fragment):
    assert any(fragment in p for p in problems(result)), fragment


@pytest.mark.parametrize("fragment", [f for _, f in hc.SAGEMAKER_CASES if f])
def test_each_hostile_training_job_is_a_data_problem_with_its_reason(result, fragment):
    assert any(fragment in p for p in problems(result)), fragment


def test_github_items_left_out_are_exactly_the_impossible_ones_and_a_duplicate_counts_once(result):
    refs = set(result[0].inventory.loc[result[0].inventory["source"] == "github", "source_ref"])
    assert refs == {"9001", "9002", "9006", "9011", "9012", "9013", *hc.GITHUB_KEPT_WITH_A_PROBLEM,
                    *hc.GITHUB_KEPT}  # 9006 once
    # 9003/9004/9005 cannot be true, 9017 is no issue number, 9018/9019 cannot be told open or closed: left out
    labels = dict(zip(result[0].inventory["source_ref"], result[0].inventory["labels"]))
    assert not isinstance(labels["9011"], str) or labels["9011"] == ""  # none could be read
    assert labels["9012"] == labels["9020"] == "priority:P2"  # what could be read, and only that
    authors = dict(zip(result[0].inventory["source_ref"], result[0].inventory["author"]))
    assert authors["9015"] == "ghost"
    [title] = result[0].inventory.loc[result[0].inventory["source_ref"] == "9016", "title"]
    assert title == "#9016 (no title)"
    [title] = result[0].inventory.loc[result[0].inventory["source_ref"] == "9006", "title"]
    assert title == "#9006 second copy, newer"  # the latest updated copy
    [title] = result[0].inventory.loc[result[0].inventory["source_ref"] == "9001", "title"]
    assert title == "#9001 Lone \\ud800 surrogate"  # escaped, visible


def test_nan_and_infinite_metrics_invent_no_degradation(result):
    inventory = result[0].inventory
    assert not inventory["title"].str.contains("nan|inf", case=False).any()
    assert (inventory["kind"] == "degradation").sum() == 0
    failures = set(inventory.loc[inventory["kind"] == "training_failure", "source_ref"])
    assert failures == {"host-dup", "host-inject"}  # host-endtime has no usable end time
    [title] = inventory.loc[inventory["source_ref"] == "host-dup", "title"]
    assert "first copy" in title  # the most recently modified copy


def test_a_boolean_or_text_metric_is_never_compared(result):
    """HOSTX w15 has three Completed jobs: '0.99' (text), true, 0.96. Read as numbers they made a drop of
    0.04 to 0.96; only 0.96 is a number, so there is nothing to compare it with."""
    jobs = [j for j, _ in hc.SAGEMAKER_CASES if j.get("HyperParameters") == hc.HOSTX]
    numbers = [j["FinalMetricDataList"][0]["Value"] for j in jobs
               if type(j["FinalMetricDataList"][0]["Value"]) is float]
    assert numbers == [0.96]
    inventory = result[0].inventory
    assert not inventory["detail"].fillna("").str.contains("HOSTX").any()
    assert not inventory["source_ref"].fillna("").str.startswith("host-real-r2").any()  # no degradation of it
    problems = json.loads(result[0].meta["problems"].iloc[0])
    for name, shown in (("host-text-r2", "'0.99'"), ("host-bool-r2", "True")):
        assert any(name in p and f"{shown} is not a finite number" in p for p in problems), (name, problems)


def _source(kind, data_dir):
    from bqx_ops.resources.sagemaker_jobs import EmbeddedSageMakerJobs
    from bqx_ops.resources.github_issues import EmbeddedGitHubIssues

    if kind == "github":
        return EmbeddedGitHubIssues(data_dir=str(data_dir)), "github/issues.json"
    return EmbeddedSageMakerJobs(data_dir=str(data_dir)), "aws/sagemaker/training_jobs.json"


@pytest.mark.parametrize("kind", ["github", "sagemaker"])
@pytest.mark.parametrize("case", [c[0] for c in hc.UNREADABLE_FILE_CASES] + ["no permission"])
def test_an_unreadable_source_file_is_no_data_with_its_reason(tmp_path, monkeypatch, kind, case):
    source, where = _source(kind, tmp_path)
    path = tmp_path / "landing" / where
    hc.write_raw(path, "[]")
    if case == "no permission":
        from bqx_ops_tests.test_hostile_airtable import deny

        deny(monkeypatch, path)
        why = hc.PERMISSION_REASON
    else:
        [(make, why)] = [(m, w) for name, m, w in hc.UNREADABLE_FILE_CASES if name == case]
        make(path)
    items, found = source.read()
    assert items == [] and len(found) == 1
    assert found[0].startswith(f"{kind}: no data: unreadable landing file {where}: ") and why in found[0], found
    assert str(tmp_path) not in found[0]


def test_a_bad_event_never_rejects_its_file_and_misplaced_timestamps_are_reported(result):
    logs = result[0].inventory[result[0].inventory["source"] == "cloudwatch"]
    # independently: the file's events that are in the window with a millisecond timestamp of its day
    events = json.loads(hc.cloudwatch_day_text(LOG_DAY))
    day_ms = int(dt.datetime.combine(LOG_DAY, dt.time(), dt.timezone.utc).timestamp() * 1000)
    genuine = [e for e in events if day_ms <= e["timestamp"] < day_ms + 86_400_000 and isinstance(e.get("message"), str)]
    assert int(logs["event_count"].sum()) == len(genuine) == 5
    assert any("broken \\ud800 text" in d for d in logs["detail"])  # counted, escaped
    found = problems(result)
    assert any("/host/group: 2 event(s) in 2026-03-12.json with a lone surrogate or control character" in p for p in found)
    assert any("/host/group: 2 event(s) in 2026-03-12.json with a timestamp that is missing or not within a day"
               in p for p in found)
    not_text = [e for e in events if not isinstance(e.get("message"), str)]
    assert len(not_text) == hc.CLOUDWATCH_NOT_TEXT
    assert f"cloudwatch: /host/group: {len(not_text)} event(s) in 2026-03-12.json whose message is not text (null, " \
           "missing, a number or an object) not counted" in found
    assert not logs["detail"].str.contains("an object").any()  # {"ERROR": ...} is no error line


def test_a_day_file_holding_an_object_is_unreadable_named_without_its_local_path(result, tmp_path_factory):
    [found] = [p for p in problems(result) if p.startswith("cloudwatch: /host/object")]
    assert found.startswith("cloudwatch: /host/object: unreadable log file 2026-03-12.json: ") and "not a JSON array" in found
    assert str(tmp_path_factory.getbasetemp()) not in found and "/tmp" not in found


def test_labels_as_people_write_them_are_read_and_hundreds_of_labels_are_fine(result):
    inventory = result[0].inventory.set_index("source_ref")
    assert inventory.loc["9022", "priority"] == "P0"  # " p0 "
    assert inventory.loc["9023", "priority"] == "P1"  # "Priority: P1", beside 300 other labels
    assert not any(p.startswith(("#9021", "#9022", "#9023")) for p in problems(result))


def test_injected_markup_stays_inert_in_the_report_and_the_slack_text(result):
    out, md, twin = result
    assert "9021" in set(out.inventory["source_ref"]) and "host-inject" in set(out.inventory["source_ref"])
    assert not hc.LIVE_IN_MARKDOWN.search(md), hc.LIVE_IN_MARKDOWN.search(md)
    _, payload = slack_intent(out.inventory, out.period, "docs/reviews/x.md")
    assert not hc.LIVE_IN_SLACK.search(payload["text"]), hc.LIVE_IN_SLACK.search(payload["text"])


def test_the_report_is_valid_markdown_without_control_characters(result):
    _, md, twin = result
    assert not BAD.search(md) and not BAD.search(twin)
    md.encode("utf-8")  # no lone surrogate: git stores it as text
    lines = md.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            width = len(re.findall(r"(?<!\\)\|", lines[i - 1]))
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert len(re.findall(r"(?<!\\)\|", lines[j])) == width, lines[j][:200]
                j += 1
    assert "## Data problems" in md and "9003" in md.split("## Data problems")[1]
    json.loads(twin)


def test_the_slack_text_is_escaped(result):
    out, _, _ = result
    key, payload = slack_intent(out.inventory, out.period, "docs/reviews/x.md")
    assert not BAD.search(payload["text"])
    assert "#9002 NUL\\x00 and bell\\x07" in payload["text"]


def test_the_one_sanitizer_serves_markdown_and_slack():
    hostile = f"a{hc.NUL}b{hc.SURROGATE}c{hc.ESC}[31m <!channel>"
    assert markdown.cell(hostile) == "a\\\\x00b\\\\ud800c\\\\x1b\\[31m &lt;!channel&gt;"
    assert slack_text.escape(hostile) == "a\\x00b\\ud800c\\x1b[31m &lt;!channel&gt;"


def test_a_table_missing_from_consecutive_snapshots_is_one_data_quality_issue():
    days = [dt.date(2026, 3, 2), dt.date(2026, 3, 6), dt.date(2026, 3, 9)]
    rows = [{"snapshot_date": d, "table_name": "Stages", "record_id": None,
             "reason": f"snapshot problem: Stages is missing from the snapshot; the last good copy, of the "
                       f"{days[0]} snapshot (3 records), is used instead"} for d in days[1:]]
    [issue] = quarantine_issues(pd.DataFrame(rows), days, {"priority": "P2", "category": "Data Quality"})
    assert issue.title.startswith("Stages table: snapshot problem: Stages is missing from the snapshot")
    assert issue.created_at == dt.datetime(2026, 3, 6) and issue.resolved_at is None


def test_the_models_page_uses_the_same_copy_of_a_duplicate_job_as_the_review():
    listing = [{**job, "CreationTime": "2026-03-01T00:00:00Z"} for job, _ in hc.SAGEMAKER_CASES]
    [kept] = [j for j in listing if j["TrainingJobName"] == "host-dup" and j["FailureReason"] == "first copy"]
    assert jobs_by_name(listing, dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc))["host-dup"] is kept


def test_a_file_of_a_log_group_that_is_no_day_file_is_said_not_read(tmp_path):
    from bqx_ops.resources.aws_sources import EmbeddedCloudWatchLogs

    folder = tmp_path / "landing" / "aws" / "cloudwatch" / "__host__group"
    for name in ("2026-03-12.json", "2026-3-12.json", "2026-02-30.json", "notes.txt", ".2026-03-13.json.x.tmp"):
        hc.write_raw(folder / name, "[]")
    (folder / "2026-03-13.json").mkdir()  # a folder under a day file's name
    source = EmbeddedCloudWatchLogs(data_dir=str(tmp_path), log_groups=["/host/group"])
    files, found = source.files(dt.datetime(2026, 3, 12), dt.datetime(2026, 3, 13))
    assert files == [("/host/group", folder / "2026-03-12.json")]
    stray = sorted(p for p in found if "not a day file" in p)
    assert stray == [f"/host/group: aws/cloudwatch/__host__group/{name} is not a day file (YYYY-MM-DD.json); not read"
                     for name in ("2026-02-30.json", "2026-03-13.json", "2026-3-12.json", "notes.txt")]
