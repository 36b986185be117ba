"""The review's sources for a set of instants: GitHub issues and SageMaker jobs refreshed and
read, and the CloudWatch day files of each instant's log window landed (live; embedded: already
there). One way for the review, the escalations and the dashboard, which all collect issues."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import dagster as dg
import duckdb

from bqx_ops.calendar import UTC, naive_utc
from bqx_ops.issue_review import cloudwatch
from bqx_ops.issue_review.collect import AirtableHistory, SourceData, inventory_at, log_windows
from bqx_ops.lazy import pd
from bqx_ops.issue_review.rules import RulesError, TriageRules, load_rules
from bqx_ops.resources.aws_sources import CloudWatchLogsSource
from bqx_ops.resources.sagemaker_jobs import SageMakerJobsSource
from bqx_ops.resources.github_issues import GitHubIssuesSource


def rules_or_failure() -> TriageRules:
    """The triage rules; rules that do not load fail the run with the reason (the review and the
    escalations cannot triage without them; the 360 and the dashboard say "no data" instead)."""
    try:
        return load_rules()
    except RulesError as exc:
        raise dg.Failure(description=str(exc)) from None


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
                   cloudwatch_logs: CloudWatchLogsSource, rules: TriageRules, instants: list,
                   now: dt.datetime) -> tuple[SourceData, dict]:
    """The sources as of ``now`` for looks at ``instants`` (naive UTC; a review's ``ReviewPeriod``: its whole
    period's logs), and what landing did per source."""
    landed = {"github": _refreshed("github", github_issues, now), "sagemaker": _refreshed("sagemaker", sagemaker_jobs, now),
              "cloudwatch": []}
    for start, end in log_windows(instants, rules):
        landed["cloudwatch"].append(cloudwatch_logs.land(
            start, end, rules.cloudwatch.get("filter_pattern", ""), rules.cloudwatch.get("match", "ERROR|WARN"), now))
    items, github_problems = github_issues.read()
    jobs, job_problems = sagemaker_jobs.read()
    fetch_problems = [p for stats in [landed["github"], landed["sagemaker"], *landed["cloudwatch"]]
                      for p in (stats or {}).get("problems", [])]
    # read() answers nothing and a problem only when the landed file is missing or unreadable: no data
    without_data = frozenset(name for name, found, problems in (("github", items, github_problems),
                                                                ("sagemaker", jobs, job_problems)) if problems and not found)
    return SourceData(items, jobs, _listed_once(cloudwatch_logs.files), github_problems + job_problems + fetch_problems,
                      now, without_data), landed


def _listed_once(files: Callable) -> Callable:
    """``files(start, end)`` remembered for the sources' life: landing is over before any look, and a replay's
    looks ask for the same windows again (each listing lstat's every part of every day file's path)."""
    listed: dict[tuple, tuple[list, list]] = {}

    def once(start: dt.datetime, end: dt.datetime) -> tuple[list, list]:
        if (start, end) not in listed:
            listed[(start, end)] = files(start, end)
        found, missing = listed[(start, end)]
        return list(found), list(missing)
    return once


def inventories_at(conn: duckdb.DuckDBPyConnection, rules: TriageRules, instants: list[dt.datetime],
                   github_issues: GitHubIssuesSource, sagemaker_jobs: SageMakerJobsSource,
                   cloudwatch_logs: CloudWatchLogsSource) -> Callable[[dt.datetime], pd.DataFrame | None]:
    """A function giving the inventory at one of ``instants``: the review's own collection and triage
    run at that instant (only what existed then), so an issue closed since the last review is no
    longer open and one opened since is. The sources are landed and read once for all the instants,
    the Airtable history read once up to the latest (the dashboard's weeks, the 360's versions).
    None: no source had data at the instant (no GitHub or SageMaker landing, no CloudWatch day file
    in its window, no Airtable snapshot by then): "no data", never "no issue"."""
    looks = sorted({naive_utc(i) for i in instants})
    data, _ = landed_sources(github_issues, sagemaker_jobs, cloudwatch_logs, rules, looks, dt.datetime.now(UTC))
    history = AirtableHistory(conn, looks[-1].date()) if looks else None
    seen: dict[dt.datetime, pd.DataFrame | None] = {}  # a look asked again (a version's scores and report)

    def known(instant: dt.datetime) -> bool:
        if not {"github", "sagemaker"} <= data.without_data:
            return True
        if data.log_files(*cloudwatch.window(instant, int(rules.cloudwatch.get("window_days", 14))))[0]:
            return True
        return history is not None and history.snapshot(instant) is not None

    def at(instant: dt.datetime) -> pd.DataFrame | None:
        key = naive_utc(instant)
        if key not in seen:
            seen[key] = inventory_at(conn, key, rules, data, history)[1] if known(key) else None
        return None if seen[key] is None else seen[key].copy()
    return at
