"""The review's sources for a set of instants: GitHub issues and SageMaker jobs refreshed and
read, and the CloudWatch day files of each instant's log window landed (live; embedded: already
there). One way for the review, the escalations and the dashboard, which all collect issues."""

from __future__ import annotations

import datetime as dt

from bqx_ops.issue_review import cloudwatch
from bqx_ops.issue_review.collect import SourceData
from bqx_ops.issue_review.rules import TriageRules
from bqx_ops.resources.aws_sources import CloudWatchLogsSource, SageMakerJobsSource
from bqx_ops.resources.github_issues import GitHubIssuesSource


def _refreshed(name: str, source, now: dt.datetime) -> dict:
    """A source's refresh; a live API that fails (a revoked token, an outage past the retries, no IAM
    right) is a data problem of the report, which then reads what was landed before, not a failed run."""
    try:
        return source.refresh(now)
    except Exception as exc:  # the message names the API's answer (status, error code), never a token
        why = " ".join(str(exc).split())[:300]
        return {"problems": [f"{name}: not refreshed ({type(exc).__name__}: {why}); what was landed before is used"],
                "not_refreshed": True}


def landed_sources(github_issues: GitHubIssuesSource, sagemaker_jobs: SageMakerJobsSource,
                   cloudwatch_logs: CloudWatchLogsSource, rules: TriageRules, instants: list[dt.datetime],
                   now: dt.datetime) -> tuple[SourceData, dict]:
    """The sources as of ``now`` for looks at ``instants`` (naive UTC), and what landing did per source."""
    landed = {"github": _refreshed("github", github_issues, now), "sagemaker": _refreshed("sagemaker", sagemaker_jobs, now),
              "cloudwatch": []}
    days = int(rules.cloudwatch.get("window_days", 14))
    for instant in instants:
        start, end = cloudwatch.window(instant, days)
        landed["cloudwatch"].append(cloudwatch_logs.land(
            start, end, rules.cloudwatch.get("filter_pattern", ""), rules.cloudwatch.get("match", "ERROR|WARN"), now))
    items, github_problems = github_issues.read()
    jobs, job_problems = sagemaker_jobs.read()
    fetch_problems = [p for stats in [landed["github"], landed["sagemaker"], *landed["cloudwatch"]]
                      for p in (stats or {}).get("problems", [])]
    # read() answers nothing and a problem only when the landed file is missing or unreadable: no data
    without_data = frozenset(name for name, found, problems in (("github", items, github_problems),
                                                                ("sagemaker", jobs, job_problems)) if problems and not found)
    return SourceData(items, jobs, cloudwatch_logs.files, github_problems + job_problems + fetch_problems, now,
                      without_data), landed
