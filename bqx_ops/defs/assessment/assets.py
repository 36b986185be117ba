"""Stage 10.8, the quarterly 360 plan assessment: scores per dimension, and the report in the docs repo.

Partitioned by calendar quarter (keyed by its first day; the open quarter exists too,
end_offset=1, because the assessment happens before the quarter closes). A quarter has four
versions (bqx_ops.assessment.versions): a draft at the 3-week reminder, two weekly refreshes
and the final on its last Friday 09:00 UTC; a run does every version whose instant has come.
A backfill of many quarters runs as one run and walks every quarter of the run.
Maths: bqx_ops.assessment.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.assessment import documents, proposals, read
from bqx_ops.assessment.evidence import read_evidence
from bqx_ops.assessment.findings import gaps, needs_adjustment, needs_gap_plan
from bqx_ops.assessment.report import adjustment_path, gap_plan_path, published_version, render, report_path
from bqx_ops.assessment.rows import SCORE_COLUMNS, to_rows
from bqx_ops.assessment.score import assess
from bqx_ops.assessment.versions import FINAL, due
from bqx_ops.calendar import UTC, quarter_start
from bqx_ops.config import project_start
from bqx_ops.db import table_exists
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.defs.issue_review.sources import inventories_at
from bqx_ops.docs_sync.queue import Publication, is_deferred, publish_or_queue
from bqx_ops.frames import frame
from bqx_ops.issue_review.rules import RulesError, load_rules
from bqx_ops.resources.aws_sources import CloudWatchLogsSource
from bqx_ops.resources.sagemaker_jobs import SageMakerJobsSource
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.resources.github_issues import GitHubIssuesSource

GROUP = "assessment"
OWNERS = ["team:ARCH-001"]
SCORES_KEY = dg.AssetKey(["assessment", "quarterly_scores"])
PROPOSALS_KEY = dg.AssetKey(["assessment", "proposed_updates"])
REPORT_KEY = dg.AssetKey(["assessment", "report"])
ASSESSMENT_PARTITIONS = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *", start=dt.datetime.combine(quarter_start(project_start()), dt.time()), timezone="UTC", fmt="%Y-%m-%d",
    end_offset=1,
)
INPUTS = [dg.AssetKey(["plan", t]) for t in ("r2_trend", "budget_variance", "plan_timeline")] + [
    dg.AssetKey(["review", t]) for t in ("review_periods", "issue_inventory", "sla_breaches")] + [
    dg.AssetKey(["airtable", t]) for t in ("assessment_inputs", "tasks", "decisions")]
EVIDENCE = [dg.AssetKey(["plan", t]) for t in (
    "phase_cost_variance", "phase_timeline_variance", "stage_cost_variance", "overdue_stages", "adjusted_estimates",
    "forecast_at_completion")] + [dg.AssetKey(["review", "action_items"])] + [
    dg.AssetKey(["airtable", t]) for t in ("model_results", "stages", "plans")]
COMMON = dict(partitions_def=ASSESSMENT_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(),
              pool="duckdb", group_name=GROUP, owners=OWNERS)


def quarters_of(context: dg.AssetExecutionContext) -> list[dt.datetime]:
    """The first instant (UTC) of every quarter of the run, in order."""
    return [ASSESSMENT_PARTITIONS.time_window_for_partition_key(k).start for k in sorted(context.partition_keys)]


def require_inputs(conn, start: dt.datetime, when: dt.datetime) -> None:
    """Fail, naming them, when the plan week or review the assessment reads as of ``when`` has not run:
    an assessment is a function of its quarter's data, never of which job happened to run first."""
    missing = read.unrun_inputs(conn, start, when, project_start())
    if missing:
        raise dg.Failure(
            description=f"{read.label(start)} as of {when:%Y-%m-%d %H:%M} UTC reads {' and '.join(missing)}, which "
                        "has not run: run plan_update_job / issue_review_job for it, then this assessment (scored "
                        "now, it would publish 'no data' for figures that exist)")


def versions_of(start: dt.datetime, now: dt.datetime | None = None):
    """The versions of the quarter opened at ``start`` whose instant has come (wall clock), from the
    plan's start on."""
    return due(read.as_of(start), now or dt.datetime.now(UTC), project_start())


def issues_at(context, conn, looks: list[dt.datetime], github_issues: GitHubIssuesSource,
              sagemaker_jobs: SageMakerJobsSource, cloudwatch_logs: CloudWatchLogsSource,
              history: bool = True) -> read.IssuesAt:
    """The inventory at each version's instant (``looks``) and, with ``history``, at every earlier
    quarter's latest version (the trend table's rows): the review's collection and triage run at it,
    the sources read once for the whole run. Broken triage rules: no data (the review run says why)."""
    try:
        rules = load_rules()
    except RulesError as exc:
        context.log.warning(f"360 open issues: no data, the triage rules do not load: {exc}")
        return lambda instant: None
    earlier = []
    if history and looks and table_exists(conn, "assessment", "quarterly_scores"):
        earlier = [a for (a,) in conn.execute("SELECT DISTINCT as_of FROM assessment.quarterly_scores "
                                              "WHERE quarter_start < ? AND as_of IS NOT NULL",
                                              [max(looks).replace(tzinfo=None)]).fetchall()]
    return inventories_at(conn, rules, [*looks, *earlier], github_issues, sagemaker_jobs, cloudwatch_logs)


@dg.asset(key=SCORES_KEY, kinds={"duckdb", "pandas"}, metadata={"partition_expr": "quarter_start"},
          deps=INPUTS, **COMMON)
def quarterly_scores(context: dg.AssetExecutionContext, duckdb: DuckDBResource, github_issues: GitHubIssuesSource,
                     sagemaker_jobs: SageMakerJobsSource, cloudwatch_logs: CloudWatchLogsSource):
    """The seven 360 dimensions of each quarter's latest version, scored 0-100 (or manual / no data)."""
    rows, decisions = [], {}
    latest = {start: done[-1] for start in quarters_of(context) if (done := versions_of(start))}
    with duckdb.get_connection() as conn:
        for start, version in latest.items():
            require_inputs(conn, start, version.instant)
        at = issues_at(context, conn, [v.instant for v in latest.values()], github_issues, sagemaker_jobs,
                       cloudwatch_logs, history=False)  # the scores read no earlier quarter
        for start, version in latest.items():  # a quarter before its 3-week reminder: nothing to assess yet
            assessment = assess(read.read_inputs(conn, start, version.instant, at))
            rows += [dict(r, version=version.kind) for r in
                     to_rows(start, version.instant, read.label(start), assessment)]
            decisions[read.label(start)] = f"{assessment.decision.decision} ({version.kind})"
    df = frame(rows, {**SCORE_COLUMNS, "version": "string"})
    ensure_table(duckdb, ["assessment", "quarterly_scores"], df)
    context.add_output_metadata({"dagster/row_count": len(df), "quarters": len(decisions),
                                 "decisions": dg.MetadataValue.json(decisions)})
    return df


@dg.asset(key=PROPOSALS_KEY, kinds={"duckdb", "pandas"}, metadata={"partition_expr": "quarter_start"},
          deps=[SCORES_KEY, *INPUTS, *EVIDENCE], **COMMON)
def proposed_updates(context: dg.AssetExecutionContext, duckdb: DuckDBResource, github_issues: GitHubIssuesSource,
                     sagemaker_jobs: SageMakerJobsSource, cloudwatch_logs: CloudWatchLogsSource):
    """The Airtable updates each final assessment proposes (budget/timeline re-baseline), applied on approval."""
    rows = []
    finals = {start: done[-1].instant for start in quarters_of(context)
              if (done := versions_of(start)) and done[-1].kind == FINAL}
    with duckdb.get_connection() as conn:
        for start, when in finals.items():
            require_inputs(conn, start, when)
        at = issues_at(context, conn, list(finals.values()), github_issues, sagemaker_jobs, cloudwatch_logs)
        for start, when in finals.items():
            updates = proposals.proposed_updates(read_evidence(conn, start, when, at))
            rows += [dict(r, quarter_start=start.replace(tzinfo=None))
                     for r in proposals.to_rows(read.label(start), updates)]
    df = frame(rows, {"quarter_start": "datetime64[us]", **proposals.PROPOSAL_COLUMNS})
    ensure_table(duckdb, ["assessment", "proposed_updates"], df)
    context.add_output_metadata({"dagster/row_count": len(df)})
    return df


def _documents(conn, start: dt.datetime, version, known: dict, at: read.IssuesAt) -> dict[str, str]:
    """Every file of one version: the report, and for the final the gap plan and adjustment proposal.
    ``known``: earlier quarters' metrics, shared by the run's versions (``read_evidence``); ``at``: the
    inventory at an instant (``issues_at``)."""
    quarter, when = read.label(start), version.instant
    with read.shared_reads():  # the inputs, evidence and metrics of one instant read the same rows
        inputs = read.read_inputs(conn, start, when, at)
        evidence = read_evidence(conn, start, when, at, known=known)
    a = assess(inputs)
    files = {report_path(quarter): render(quarter, when, a, read.risks(inputs), inputs, evidence, version)}
    if version.kind == FINAL:
        found = gaps(evidence)
        if needs_gap_plan(evidence, found):
            files[gap_plan_path(quarter)] = documents.gap_plan(quarter, when, evidence, found)
        if needs_adjustment(evidence):
            files[adjustment_path(quarter)] = documents.adjustment(
                quarter, when, evidence, proposals.proposed_updates(evidence))
    return files


@dg.asset(key=REPORT_KEY, kinds={"github", "markdown"}, deps=[SCORES_KEY, PROPOSALS_KEY, *INPUTS, *EVIDENCE],
          **COMMON)
def report(context: dg.AssetExecutionContext, duckdb: DuckDBResource, docs_repo: DocsRepo,
           github_issues: GitHubIssuesSource, sagemaker_jobs: SageMakerJobsSource,
           cloudwatch_logs: CloudWatchLogsSource) -> dg.MaterializeResult:
    """docs/assessments/Q{n}-{year}.md per version (draft, weekly refreshes, final), plus the final's gap plan and
    adjustment proposal, each committed dated at its instant."""
    rendered, known = [], {}
    runs = [(start, version) for start in quarters_of(context) for version in versions_of(start)]
    with duckdb.get_connection() as conn:
        for start, version in runs:
            require_inputs(conn, start, version.instant)
        at = issues_at(context, conn, [v.instant for _, v in runs], github_issues, sagemaker_jobs, cloudwatch_logs)
        for start, version in runs:
            rendered.append((read.label(start), version, _documents(conn, start, version, known, at)))
    published, unchanged, queued = [], [], []
    # a deferred run (a replay) commits nothing here, it queues: the reports as they stand, in one sync
    standing = docs_repo.read_tree(*{report_path(q) for q, _, _ in rendered}) \
        if rendered and is_deferred(context.run.tags) else None
    for quarter, version, files in rendered:  # DuckDB closed: publishing may take a while
        path = report_path(quarter)
        if version.number < published_version(standing.get(path) if standing is not None else docs_repo.read(path)):
            unchanged.append(f"{quarter} {version.kind} {version.number}")
            continue  # a later version is out: never go back to a draft on a re-run
        title = files[report_path(quarter)].split("**Decision: ", 1)[-1].split("**", 1)[0]
        sha, outcome = publish_or_queue(docs_repo, duckdb, context.run.tags, Publication(
            "assessment", f"{quarter}/{version.number}", version.instant,
            f"360 plan assessment {quarter} ({version.kind} {version.number}/4): {title}", files))
        (queued if outcome == "queued" else published if sha else unchanged).append(
            f"{quarter} {version.kind} {version.number}")
    return dg.MaterializeResult(metadata={
        "published": dg.MetadataValue.md("\n".join(f"- {p}" for p in published) or "_none_"),
        "unchanged": len(unchanged), "versions": len(rendered), "queued_for_ordered_publication": len(queued),
    })
