"""Round 6 hostile input (bqx_ops_tests/hostile_corpus_round6.py): a JSON key given twice with different
values is never read as one of them (the table's last good copy stands in, or the source is no data, or the
log file is unreadable, each said why); a blank CloudWatch day file is said, never read as a quiet day; a
training job without a visible name is left out and said, never taken for a duplicate of another."""

import datetime as dt
import json

import duckdb
import pytest

from bqx_ops.docs_sync.models import jobs_by_name
from bqx_ops.issue_review.collect import SourceData, review
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.landing import Landing, read_json
from bqx_ops.resources.aws_sources import EmbeddedCloudWatchLogs
from bqx_ops.resources.github_issues import EmbeddedGitHubIssues
from bqx_ops.resources.sagemaker_jobs import EmbeddedSageMakerJobs
from bqx_ops_tests import hostile_corpus as hc
from bqx_ops_tests import hostile_corpus_round6 as r6
from bqx_ops_tests.base_builder import minimal_base, write_snapshot
from bqx_ops_tests.test_snapshot_assets import materialize, query

MON, TUE = dt.date(2025, 8, 18), dt.date(2025, 8, 19)
PERIOD = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
NOW = dt.datetime(2026, 3, 20, 12)
LOG_DAY = dt.date(2026, 3, 12)


def run_review(items=(), jobs=(), logs=()):
    data = SourceData(list(items), list(jobs), lambda start, end: (list(logs), []), now=NOW)
    with duckdb.connect() as conn:
        out = review(conn, PERIOD, load_rules(path=""), data, None)
    return out.inventory, json.loads(out.meta.iloc[0]["problems"])


def test_a_table_file_giving_a_key_twice_is_a_snapshot_problem_and_the_last_good_copy_stands_in(tmp_path):
    data_dir = tmp_path / "data"
    base = minimal_base()
    write_snapshot(data_dir, MON, base)
    write_snapshot(data_dir, TUE, base)
    text, why = r6.stages_with_cost_twice()
    hc.write_raw(Landing(data_dir).airtable_table(TUE, "Stages"), text)
    assert materialize(data_dir, MON, TUE).success
    [(reason,)] = query(data_dir, f"SELECT reason FROM airtable.quarantine WHERE snapshot_date = '{TUE}'")
    assert reason.startswith(f"snapshot problem: Stages could not be read (unreadable landing file "
                             f"airtable/{TUE}/Stages.json: ") and why in reason, reason
    # Monday's copy stands in: the first stage's cost is Monday's 25, never the 25000 given second
    [first] = [r for r in base["Stages"] if r["id"] == "recSTAGE000000001"]
    assert query(data_dir, f"SELECT realized_cost FROM airtable.stages WHERE snapshot_date = '{TUE}' "
                           "AND record_id = 'recSTAGE000000001'") == [(first["fields"]["Realized Cost"],)]


def test_a_key_given_twice_with_the_same_value_is_read_as_written(tmp_path):
    path = tmp_path / "landing" / "airtable" / TUE.isoformat() / "Stages.json"
    hc.write_raw(path, r6.stages_with_same_value_twice())
    assert read_json(path) == {"records": minimal_base()["Stages"]}


@pytest.mark.parametrize("source, where, text, why", r6.SOURCE_FILES_WITH_A_KEY_TWICE,
                         ids=[c[0] for c in r6.SOURCE_FILES_WITH_A_KEY_TWICE])
def test_a_source_file_giving_a_key_twice_is_no_data_with_its_reason(tmp_path, source, where, text, why):
    reader = {"github": EmbeddedGitHubIssues, "sagemaker": EmbeddedSageMakerJobs}[source](data_dir=str(tmp_path))
    hc.write_raw(tmp_path / "landing" / where, text)
    items, found = reader.read()
    assert items == [] and len(found) == 1 and why in found[0], found


def test_a_log_event_giving_its_message_twice_is_never_counted_and_its_file_is_said_unreadable(tmp_path):
    noon = int(dt.datetime.combine(LOG_DAY, dt.time(12), dt.timezone.utc).timestamp() * 1000)
    text, why = r6.cloudwatch_event_with_message_twice(noon)
    path = tmp_path / f"{LOG_DAY.isoformat()}.json"
    hc.write_raw(path, text)
    inventory, problems = run_review(logs=[("/host/group", path)])
    assert (inventory["source"] == "cloudwatch").sum() == 0
    [found] = [p for p in problems if p.startswith("cloudwatch: /host/group: unreadable log file")]
    assert why in found, found


@pytest.mark.parametrize("blank", r6.BLANK_DAY_TEXTS, ids=["empty", "white space", "byte order mark"])
def test_a_blank_cloudwatch_day_file_is_said_and_never_read_as_a_quiet_day(tmp_path, blank):
    folder = tmp_path / "landing" / "aws" / "cloudwatch" / "__host__group"
    hc.write_raw(folder / "2026-03-12.json", blank)
    hc.write_raw(folder / "2026-03-13.json", "[]\n")  # a day landed without events: read
    source = EmbeddedCloudWatchLogs(data_dir=str(tmp_path), log_groups=["/host/group"])
    files, found = source.files(dt.datetime(2026, 3, 12), dt.datetime(2026, 3, 14))
    assert files == [("/host/group", folder / "2026-03-13.json")]
    assert found == [f"/host/group: aws/cloudwatch/__host__group/2026-03-12.json: {r6.BLANK_DAY_REASON}"]


def test_training_jobs_without_a_visible_name_are_left_out_and_said_never_one_duplicate():
    jobs = [dict(hc.job(name, "Failed", FailureReason=f"reason {i}"), CreationTime="2026-03-09T00:00:00Z")
            for i, name in enumerate(r6.BLANK_JOB_NAMES)]
    inventory, problems = run_review(jobs=jobs)
    assert (inventory["source"] == "sagemaker").sum() == 0
    assert [p for p in problems if p.startswith("sagemaker:")] == [
        f"sagemaker: training job {i} has no TrainingJobName; left out" for i in range(len(jobs))]
    assert not any("duplicate job name" in p for p in problems)
    assert jobs_by_name(jobs, dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc)) == {}
