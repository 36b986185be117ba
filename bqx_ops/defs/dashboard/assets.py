"""The seed's Success Metrics Dashboard: AWS daily costs, the weekly indicators, docs/dashboard.md.

``dashboard/success_metrics`` is partitioned like the docs sync (WEEKLY_SYNC_PARTITIONS, open week
included) and reads every source as of the week's as-of instant (min(end, now)); a single-run
backfill walks every week of the run. Rules: bqx_ops.dashboard.indicators.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import config as project_config
from bqx_ops.calendar import UTC, naive_utc
from bqx_ops.dashboard import revisions
from bqx_ops.dashboard.costs import CostProblem, day_sources, file_month, merge, one_source_per_day, parse_month
from bqx_ops.dashboard.indicators import indicators, week_trend
from bqx_ops.dashboard.read import facts, past_sla
from bqx_ops.dashboard.render import PATH, TIME_OF_DAY, as_of_line, render, rendered_as_of
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.defs.cadence.partitions import WEEKLY_SYNC_PARTITIONS
from bqx_ops.defs.docs_sync.weeks import Week, run_now, week, weeks
from bqx_ops.defs.issue_review.assets import AIRTABLE_DEPS
from bqx_ops.defs.issue_review.sources import inventories_at
from bqx_ops.docs_sync.queue import Publication, publish_or_queue
from bqx_ops.frames import frame
from bqx_ops.issue_review.rules import SEED_SLA_HOURS, RulesError, load_rules
from bqx_ops.landing import read_json, why_unreadable
from bqx_ops.sanitize import visible
from bqx_ops.lazy import pd
from bqx_ops.resources.aws_sources import CloudWatchLogsSource
from bqx_ops.resources.sagemaker_jobs import SageMakerJobsSource
from bqx_ops.resources.costs import CostsSource, MonthsNotFetched
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.resources.github_issues import GitHubIssuesSource

GROUP = "dashboard"
OWNERS = ["team:COORD-001"]
TS = "datetime64[us]"
COST_COLUMNS = {"day": TS, "service": "string", "amount_usd": "float64"}
PROBLEM_COLUMNS = {"month": "string", "problem": "string", "no_data": "boolean"}
METRIC_COLUMNS = {"period_start": TS, "period_end": TS, "as_of": TS, "section": "string", "position": "Int64",
                  "metric": "string", "target": "string", "current": "string", "value": "float64",
                  "status": "string", "trend": "string"}
METRICS_KEY = dg.AssetKey(["dashboard", "success_metrics"])
SOURCES = [dg.AssetKey(k) for k in (["aws", "api_latency"], ["docs", "repo_sync"], ["plan", "dashboard"], ["plan", "r2_trend"],
                                    ["plan", "r2_drops"], ["plan", "budget_variance"], ["plan", "plan_timeline"],
                                    ["assessment", "quarterly_scores"], ["airtable", "decisions"])] + AIRTABLE_DEPS
WEEKLY = dict(partitions_def=WEEKLY_SYNC_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb",
              group_name=GROUP, owners=OWNERS)


@dg.asset(key=["aws", "daily_costs"], group_name=GROUP, owners=OWNERS, kinds={"aws", "duckdb"}, pool="duckdb")
def daily_costs(context: dg.AssetExecutionContext, aws_costs: CostsSource, duckdb: DuckDBResource):
    """AWS cost per day and service from every landed Cost Explorer month (landing/aws/costs/*.json), rebuilt whole."""
    parsed, problems, estimates = [], [], {}
    try:
        fetched = aws_costs.land(dt.datetime.now(UTC).date())  # live: this and last month; embedded: nothing
    except MonthsNotFetched as exc:  # said beside the month's figures, which read its last landed file
        fetched = exc.fetched
        problems += [CostProblem(month, f"{month}: Cost Explorer did not answer ({visible(why)}); the month's "
                                 "last landed file, if any, is used", False) for month, why in exc.failed]
    files = aws_costs.files()
    # a month landed under another name is never read: said under the month its name starts with
    problems += [CostProblem(file_month(path.name[:7] + ".json"), f"{visible(path.name)}: not a month file "
                             "(YYYY-MM.json); not read", False) for path in aws_costs.strays()]
    for path in files:
        month = file_month(path.name)
        try:
            doc = read_json(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            problems.append(CostProblem(month, f"{path.name}: unreadable JSON ({why_unreadable(exc)})", True))
            continue
        found = parse_month(path.name, doc)
        whole = not isinstance(doc, dict) or not isinstance(doc.get("ResultsByTime"), list) \
            or bool(doc.get("NextPageToken"))  # part of a month: none of it counted (parse_response)
        problems += [CostProblem(month, p, whole) for p in found.problems]
        parsed.append((path.name, found.rows))
        estimates[path.name] = found.estimated
    rows, repeated = one_source_per_day(parsed)
    sources = day_sources(parsed)[0]  # a day's estimate flag is its counted file's
    estimated = sorted({d for name, days in estimates.items() for d in days if sources.get(d) == name})
    problems += [CostProblem(p[:7], p, False) for p in repeated]
    merged = merge(rows)
    df = frame([r._asdict() for r in merged], COST_COLUMNS)
    # the problems sit beside the costs, so the dashboard can say "no data" and why (aws.cost_problems)
    problem_rows = frame([p._asdict() for p in problems], PROBLEM_COLUMNS)
    unusable = {p.month or revisions.ANY_MONTH for p in problems if p.no_data}  # their days unknown, not gone
    with duckdb.get_connection() as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS aws")
        conn.register("cost_problem_rows", problem_rows)
        conn.execute("CREATE OR REPLACE TABLE aws.cost_problems AS SELECT * FROM cost_problem_rows")
        conn.unregister("cost_problem_rows")
        # what changed since the last fetch, dated: a past week reads the amounts known then
        revised = revisions.record(conn, merged, run_now(context), unusable)
        # the days Cost Explorer had not finalized, as known at each instant: the dashboard says so
        revisions.record(conn, [(d, revisions.ESTIMATED, 1.0) for d in estimated], run_now(context), unusable,
                         table=revisions.ESTIMATES)
    context.add_output_metadata({
        "dagster/row_count": len(df), "files": len(files), "fetched_months": ", ".join(fetched) or "none",
        "first_day": str(merged[0].day) if merged else "none", "last_day": str(merged[-1].day) if merged else "none",
        "total_usd": round(sum(r.amount_usd for r in merged), 2), "quarantined": len(problems), "revisions": revised,
        "estimated_days": len(estimated),
        "quarantine": dg.MetadataValue.json([p.problem for p in problems][:200])})
    return df


def _previous(w: Week) -> Week:
    """The week before: it closed when ``w`` opened, so it is read as of its end."""
    return week((w.start - dt.timedelta(days=7)).strftime("%Y-%m-%d"), w.start)


def _open_issues_at(context, conn, instants: list[dt.datetime], github_issues: GitHubIssuesSource,
                    sagemaker_jobs: SageMakerJobsSource, cloudwatch_logs: CloudWatchLogsSource):
    """A function giving the (P0, P1) issues past their SLA at an instant, and those SLAs (the triage
    rules'): the review's own collection and triage run at that instant, so an issue closed since the
    last review no longer counts and one opened since does (``inventories_at``, shared with the 360).
    Broken triage rules, or no source with data at the instant: no data (the review run says why)."""
    try:
        rules = load_rules()
    except RulesError as exc:
        context.log.warning(f"P0/P1 Issues: no data, the triage rules do not load: {exc}")
        return lambda instant: None, dict(SEED_SLA_HOURS)
    inventory = inventories_at(conn, rules, instants, github_issues, sagemaker_jobs, cloudwatch_logs)
    sla = {p: rules.sla_hours[p] for p in SEED_SLA_HOURS}
    return lambda instant: None if (found := inventory(instant)) is None else past_sla(found, sla), sla


@dg.asset(key=METRICS_KEY, kinds={"duckdb", "pandas"}, metadata={"partition_expr": "period_start"},
          deps=[daily_costs.key, *SOURCES], **WEEKLY)
def success_metrics(context: dg.AssetExecutionContext, duckdb: DuckDBResource, github_issues: GitHubIssuesSource,
                    sagemaker_jobs: SageMakerJobsSource, cloudwatch_logs: CloudWatchLogsSource):
    """The seed's 13 success metrics of each week as of its as-of instant: current, status and trend."""
    rows, statuses = [], {}
    last_as_of, last_values = None, {}
    config = project_config.current()
    ceiling, start, latency = config.cost_budget_per_month, config.start_date, config.aws.latency is not None
    run_weeks = weeks(context)
    with duckdb.get_connection() as conn:
        issues_at, sla = _open_issues_at(context, conn, [t for w in run_weeks for t in (_previous(w).as_of, w.as_of)],
                                    github_issues, sagemaker_jobs, cloudwatch_logs)
        for w in run_weeks:
            previous_as_of = _previous(w).as_of
            if start is not None and previous_as_of.date() < start:
                # the project's first week: the week before it had no dashboard, so no trend ("-"), never
                # a "→" against figures of a week before the project began
                last_values = {}
            elif previous_as_of != last_as_of:  # not the week just computed in this run: read it
                last_values = {i.metric: i for i in indicators(
                    facts(conn, previous_as_of, ceiling, issues_at(previous_as_of), start, latency, sla))}
            previous = last_values
            current = indicators(facts(conn, w.as_of, ceiling, issues_at(w.as_of), start, latency, sla))
            last_as_of, last_values = w.as_of, {i.metric: i for i in current}
            common = {"period_start": naive_utc(w.start), "period_end": naive_utc(w.end), "as_of": naive_utc(w.as_of)}
            for position, ind in enumerate(current):
                rows.append({**common, "section": ind.section, "position": position, "metric": ind.metric,
                             "target": ind.target, "current": ind.current, "value": ind.value,
                             "status": ind.status,
                             "trend": week_trend(ind, previous.get(ind.metric))})
                statuses.setdefault(w.key, {})[ind.metric] = ind.status
    df = frame(rows, METRIC_COLUMNS)
    ensure_table(duckdb, ["dashboard", "success_metrics"], df)
    context.add_output_metadata({"dagster/row_count": len(df), "weeks": len(statuses),
                                 "statuses": dg.MetadataValue.json(statuses)})
    return df


@dg.asset(key=["dashboard", "report"], kinds={"github", "markdown"}, deps=[METRICS_KEY], **WEEKLY)
def report(context: dg.AssetExecutionContext, duckdb: DuckDBResource, docs_repo: DocsRepo) -> dg.MaterializeResult:
    """docs/dashboard.md: the two seed tables, one version per week of the run, each dated at its as-of instant."""
    run_weeks = weeks(context)
    with duckdb.get_connection() as conn:
        df = conn.execute("SELECT period_start, section, metric, target, current, status, trend "
                          "FROM dashboard.success_metrics WHERE period_start >= ? AND period_start <= ? "
                          "ORDER BY period_start, position",
                          [naive_utc(run_weeks[0].start), naive_utc(run_weeks[-1].start)]).df()
    by_week: dict = {}
    for row in df.astype(object).where(df.notna(), None).to_dict("records"):
        by_week.setdefault(pd.Timestamp(row.pop("period_start")).to_pydatetime(), []).append(row)
    published = rendered_as_of(docs_repo.read(PATH))
    outcomes: dict[str, str] = {}
    # every week in date order, as the Monday runs would have committed it (a replay reads as it happened)
    for w in run_weeks:
        rows = by_week.get(naive_utc(w.start))
        if not rows:
            raise dg.Failure(description=f"dashboard.success_metrics has no row for week {w.key}; materialize it first")
        text = render(w.as_of, w.key, rows)
        stamp = as_of_line(w.as_of).removeprefix("<!-- bqx-ops dashboard as_of: ").removesuffix(" -->")
        if published and published > stamp:  # never roll the page back to an older week
            sha, why = None, f"docs/dashboard.md is already as of {published}, later than {stamp}"
        else:
            sha, why = publish_or_queue(docs_repo, duckdb, context.run.tags, Publication(
                "dashboard", w.key, w.as_of, f"Success metrics dashboard as of {w.as_of:%Y-%m-%d %H:%M} UTC",
                {PATH: text}, volatile=TIME_OF_DAY))
        outcomes[w.key] = why
    return dg.MaterializeResult(metadata={"week": w.key, "as_of": w.as_of.isoformat(), "commit": sha or "none",
                                          "outcome": why, "weeks": dg.MetadataValue.json(outcomes), "path": PATH,
                                          "preview": dg.MetadataValue.md(text)})
