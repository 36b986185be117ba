"""A live source that cannot be refreshed (a revoked GitHub token) is a data problem of the review, which
reads the issues landed before; it used to fail the review, the dashboard and the escalations alike."""

import datetime as dt

from bqx_ops.defs.issue_review.sources import landed_sources
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.landing import Landing, write_json
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.aws_sources import LiveCloudWatchLogs
from bqx_ops.resources.sagemaker_jobs import LiveSageMakerJobs
from bqx_ops.resources.github_issues import LiveGitHubIssues

NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
ISSUE = {"number": 4, "title": "Scorer times out", "state": "open", "created_at": "2026-02-20T10:00:00Z",
         "updated_at": "2026-02-20T10:00:00Z", "labels": [{"name": "P1"}]}


def test_a_revoked_github_token_is_a_data_problem_and_the_landed_issues_are_read(github_server, moto_server, tmp_path):
    github_server.add_repo("wren/rain", [ISSUE])
    write_json(Landing(tmp_path).github_issues, [ISSUE])  # what an earlier run landed
    revoked = "ghp_REVOKED000000000000000000000000000000"
    aws = AwsClients(region_name="us-east-1", endpoint_url=moto_server)
    data, landed = landed_sources(
        LiveGitHubIssues(data_dir=str(tmp_path), token=revoked, repo="wren/rain", base_url=github_server.url,
                         seconds_between_requests=None),
        LiveSageMakerJobs(data_dir=str(tmp_path), aws=aws),
        LiveCloudWatchLogs(data_dir=str(tmp_path), aws=aws, log_groups=[]),
        load_rules(path=""), [NOW.replace(tzinfo=None)], NOW)
    [problem] = [p for p in data.problems if p.startswith("github")]
    assert problem.startswith("github: not refreshed (BadCredentialsException: 401") and revoked not in problem
    assert problem.endswith("what was landed before is used")
    assert [i["number"] for i in data.github_items] == [4] and "github" not in data.without_data
    assert landed["sagemaker"]["fetched"] == 0  # the other sources were refreshed all the same


def test_the_escalation_fails_naming_a_stale_listing_instead_of_alerting_from_it(github_server, moto_server, tmp_path):
    """Issue #4 was closed on GitHub after the last landing: escalating it from the stale listing would
    page someone for a resolved issue."""
    from dagster_duckdb import DuckDBResource

    from bqx_ops.defs.issue_review.escalations import unresolved_issue_job

    github_server.add_repo("wren/rain", [{**ISSUE, "state": "closed", "closed_at": "2026-02-21T10:00:00Z"}])
    write_json(Landing(tmp_path).github_issues, [ISSUE])  # open when last landed, 9 days before NOW
    aws = AwsClients(region_name="us-east-1", endpoint_url=moto_server)
    result = unresolved_issue_job.execute_in_process(
        resources={"duckdb": DuckDBResource(database=str(tmp_path / "w.duckdb")),
                   "github_issues": LiveGitHubIssues(data_dir=str(tmp_path), token="ghp_REVOKED", repo="wren/rain",
                                                     base_url=github_server.url, seconds_between_requests=None),
                   "sagemaker_jobs": LiveSageMakerJobs(data_dir=str(tmp_path), aws=aws),
                   "cloudwatch_logs": LiveCloudWatchLogs(data_dir=str(tmp_path), aws=aws, log_groups=[])},
        run_config={"ops": {"escalate_unresolved_issues": {"config": {"as_of": [NOW.isoformat()]}}}},
        raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "github: not refreshed (BadCredentialsException: 401" in str(failure.step_failure_data.error.message)
