"""A past review re-run after later source data arrived gives the report it gave at the time.

GitHub's listing and SageMaker's job listing are rewritten by every fetch: they hold issues opened and
jobs started after a past period ended. Such items, and whatever is wrong with them, are not part of
that period's view: its counts per source and its data problems stay as they were, byte for byte.
"""

import copy
import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.issue_review import assets
from bqx_ops.docs_sync.models import jobs_by_name
from bqx_ops.issue_review.github_issues import github_issues
from bqx_ops.issue_review.sagemaker import sagemaker_issues
from bqx_ops.landing import Landing, read_json
from bqx_ops_tests.sample_runs import snapshotted_sample
from bqx_ops_tests.test_review_sources import RULES, gh, job

AS_OF = dt.datetime(2026, 3, 15, 10)


def test_an_issue_opened_after_the_instant_and_its_problems_are_not_part_of_it():
    before = gh(1, "2026-03-01T00:00:00Z", title="bell \x07 early")
    later = gh(2, "2026-03-20T00:00:00Z", title="bell \x07 later", labels=[{"name": ""}])
    undated = gh(3, "not a date")
    found, problems = github_issues([before, later, undated], as_of=AS_OF)
    assert [f.source_ref for f in found] == ["1"]
    assert any(p.startswith("#1:") for p in problems) and not any(p.startswith("#2:") for p in problems)
    assert any(p.startswith("#3:") for p in problems)  # cannot be placed in time: always reported
    # without an instant, everything the listing holds (what the live listing test reads)
    found, problems = github_issues([before, later, undated])
    assert [f.source_ref for f in found] == ["1", "2"] and any(p.startswith("#2:") for p in problems)


def test_a_duplicate_of_a_later_issue_is_reported_only_once_it_exists():
    items = [gh(5, "2026-03-20T00:00:00Z", updated_at="2026-03-21T00:00:00Z"), gh(5, "2026-03-20T00:00:00Z")]
    assert github_issues(items, as_of=AS_OF) == ([], [])
    assert any("duplicate issue number #5" in p for p in github_issues(items, as_of=AS_OF + dt.timedelta(days=7))[1])


def test_a_training_job_created_after_the_instant_is_not_reported():
    bad = {**job("x-later", "Crashed", "2026-03-20T02:00:00Z"), "CreationTime": "2026-03-20T01:00:00Z"}
    early = {**job("x-early", "Crashed", "2026-03-02T02:00:00Z"), "CreationTime": "2026-03-02T01:00:00Z"}
    _, problems = sagemaker_issues([bad, early], AS_OF, RULES.sagemaker)
    assert len(problems) == 1 and "x-early" in problems[0]
    _, problems = sagemaker_issues([bad, early], AS_OF + dt.timedelta(days=7), RULES.sagemaker)
    assert len(problems) == 2


def test_models_page_shows_a_job_as_it_stood_at_the_week_s_instant():
    """The listing holds a job's latest state: one that completed (or failed) after the instant was still
    in progress then, with no model artifact yet."""
    utc = dt.timezone.utc
    done = {"TrainingJobName": "j", "TrainingJobStatus": "Completed", "CreationTime": "2026-03-10T01:00:00Z",
            "TrainingEndTime": "2026-03-16T02:00:00Z", "ModelArtifacts": {"S3ModelArtifacts": "s3://b/j/model.tar.gz"}}
    then = jobs_by_name([done], AS_OF.replace(tzinfo=utc))["j"]
    assert then["TrainingJobStatus"] == "InProgress" and not then.get("ModelArtifacts")
    after = jobs_by_name([done], dt.datetime(2026, 3, 16, 9, tzinfo=utc))["j"]
    assert after == done


KEY, END = "2025-09-01", dt.datetime(2025, 9, 15, 10)  # the review period 09-01 -> 09-15 10:00 UTC


def _review(data, resources) -> tuple[tuple, bytes]:
    result = dg.materialize(dg.load_assets_from_modules([assets]), resources=resources, partition_key=KEY)
    assert result.success
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        row = conn.execute("SELECT * FROM review.review_periods WHERE period_end = ?", [END]).fetchone()
    return row, (data / "bqx-ml" / "docs" / "reviews" / f"{END.date()}-issue-review.md").read_bytes()


@pytest.fixture(scope="module")
def reviewed_then_later_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("later") / "data"
    resources = snapshotted_sample(data, dt.date(2025, 9, 16), "2025-08-18", "2025-09-15")
    first = _review(data, resources)
    landing = Landing(data)
    issues = read_json(landing.github_issues)
    # a later fetch: an issue opened after the period, with a broken title and label, and a job started
    # after it, in a status SageMaker does not have
    late = copy.deepcopy(issues[-1])
    late.update(number=max(i["number"] for i in issues) + 1, title="late \x07 <!channel>", labels=[{"name": " "}],
                created_at="2025-09-20T07:00:00Z", updated_at="2025-09-20T07:00:00Z", state="open", closed_at=None)
    landing.github_issues.write_text(json.dumps([*issues, late]), encoding="utf-8")
    jobs = read_json(landing.sagemaker_jobs)
    crashed = {**copy.deepcopy(jobs[-1]), "TrainingJobName": "late-crashed-job", "TrainingJobStatus": "Crashed",
               "CreationTime": "2025-09-20T01:00:00Z", "LastModifiedTime": "2025-09-20T02:00:00Z"}
    landing.sagemaker_jobs.write_text(json.dumps([*jobs, crashed]), encoding="utf-8")
    return first, _review(data, resources), late["number"]


def test_a_past_review_rerun_after_later_issues_and_jobs_is_byte_identical(reviewed_then_later_data):
    (row, report), (row_again, report_again), late = reviewed_then_later_data
    assert row_again == row and report_again == report
    assert f"#{late}" not in report.decode() and "late-crashed-job" not in report.decode()
