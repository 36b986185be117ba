"""Stage 10.7, the bi-weekly issue-resolution review, as assets partitioned by its cadence.

A partition is one review period [tick, next tick) reported as of its end. A backfill
runs as one run (single-run policy): each asset walks every period of
``context.partition_time_window`` in order, so each review's trend compares with the
one before. Tables go through dagster-duckdb-pandas (delete-then-insert per window:
re-running is idempotent); the report goes to the docs repository and the side
effects (Airtable Tasks upserts, Slack) to the outbox, both keyed to be idempotent.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox
from bqx_ops.calendar import ISSUE_REVIEW, UTC
from bqx_ops.db import table_exists, transaction
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.defs.cadence.partitions import ISSUE_REVIEW_PARTITIONS
from bqx_ops.defs.issue_review.sources import landed_sources, rules_or_failure
from bqx_ops.docs_sync.queue import Publication, publish_or_queue
from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.outbox import store as outbox_store
from bqx_ops.plan_update.common import records
from bqx_ops.resources.aws_sources import CloudWatchLogsSource
from bqx_ops.resources.sagemaker_jobs import SageMakerJobsSource
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.resources.github_issues import GitHubIssuesSource
from bqx_ops.issue_review import model
from bqx_ops.issue_review.actions import slack_intent, task_intent
from bqx_ops.issue_review.collect import AirtableHistory, Review, review, windows_prepared
from bqx_ops.issue_review.report import render_json, render_markdown, report_paths

GROUP = "issue_review"
OWNERS = ["team:QA-001"]
META = {"partition_expr": "period_start"}
TABLES = {  # output name -> (table, columns, description)
    "inventory": ("issue_inventory", model.INVENTORY_COLUMNS,
                  "Every issue of each review period, triaged: priority, category, owner, age, SLA and breach."),
    "breaches": ("sla_breaches", model.BREACH_COLUMNS, "Open issues past their SLA at the end of each review period."),
    "trend": ("issue_trend", model.TREND_COLUMNS,
              "Each review against the previous one: new, resolved, still open and priority changes."),
    "stats": ("resolution_stats", model.STATS_COLUMNS,
              "Time to close (average, median, 90th percentile) by priority, category and source."),
    "actions": ("action_items", model.ACTION_COLUMNS,
                "Action items of every P0/P1 issue: owner, due date, status (Airtable Tasks keyed on fingerprints)."),
    "meta": ("review_periods", model.PERIOD_COLUMNS,
             "One row per review: its dates, as-of snapshot, issues found per source and data problems."),
}
AIRTABLE_DEPS = [dg.AssetKey(["airtable", t]) for t in ("stages", "phases", "tasks", "model_results", "quarantine")]


def periods_of(context: dg.AssetExecutionContext) -> list[model.ReviewPeriod]:
    """Every review period of the run (one, or all of a single-run backfill), in order."""
    out = []
    for key in sorted(context.partition_keys):
        window = ISSUE_REVIEW_PARTITIONS.time_window_for_partition_key(key)
        out.append(model.ReviewPeriod.of(window.start, window.end))
    return out


def previous_period(period: model.ReviewPeriod) -> model.ReviewPeriod:
    """The period before (for the trend of the first review of a run; it may predate the partitions)."""
    first = period.start.date() - dt.timedelta(days=20)
    tick = ISSUE_REVIEW.ticks(first, period.start.date() - dt.timedelta(days=1))[-1]
    return model.ReviewPeriod.of(tick, period.start)


@dg.multi_asset(
    outs={f"review__{table}": dg.AssetOut(key=["review", table], description=text, group_name=GROUP, owners=OWNERS,
                                          kinds={"duckdb"}, metadata=META) for table, _, text in TABLES.values()},
    deps=AIRTABLE_DEPS,
    partitions_def=ISSUE_REVIEW_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    name="issue_review_tables",
)
def issue_review_tables(context: dg.AssetExecutionContext, duckdb: DuckDBResource, github_issues: GitHubIssuesSource,
                        cloudwatch_logs: CloudWatchLogsSource, sagemaker_jobs: SageMakerJobsSource):
    """Collect, triage and compare the issues of every review period of the run."""
    rules, now = rules_or_failure(), dt.datetime.now(UTC)
    periods = periods_of(context)
    reviewed = [previous_period(periods[0]), *periods]
    data, landed = landed_sources(github_issues, sagemaker_jobs, cloudwatch_logs, rules, reviewed, now)
    # every review of the run, in order, each compared with the one before (computed, never read back,
    # so a review is the same whether it runs alone or inside a backfill)
    reviews: list[Review] = []
    with duckdb.get_connection() as conn:
        history = AirtableHistory(conn, periods[-1].end.date())
        previous = None
        for period in windows_prepared(conn, reviewed, rules, data):
            previous = review(conn, period, rules, data, previous, history)
            reviews.append(previous)
        reviews = reviews[1:]  # the period before the first: reviewed only to compare the first with
    for name, (table, columns, _) in TABLES.items():
        df = pd.concat([getattr(r, name) for r in reviews], ignore_index=True) if reviews else frame([], columns)
        ensure_table(duckdb, ["review", table], df)
        metadata = {"dagster/row_count": len(df), "periods": len(reviews)}
        if name == "inventory":
            last = reviews[-1].inventory
            metadata.update({
                "open_in_last_period": int((last["state"] == model.OPEN).sum()),
                "untriaged_in_last_period": int(last["untriaged"].sum()),
                "rules": dg.MetadataValue.text(", ".join(rules.origin)),
                "landing": dg.MetadataValue.json({k: v for k, v in landed.items() if k != "cloudwatch"}),
            })
        yield dg.Output(df, output_name=f"review__{table}", metadata=metadata)


def load_periods(conn, periods: list[model.ReviewPeriod]) -> "list[dict[str, pd.DataFrame]]":
    """The review tables of each period, re-typed (DuckDB hands back its own dtypes), each table read
    once for all of them (a backfill's report and notifications read 20 periods: 320 queries when each
    period read its own). A period's rows are re-typed from their records, so what the other periods
    hold changes nothing of them."""
    found: dict[str, dict] = {}
    for name, (table, _, _) in TABLES.items():
        if not table_exists(conn, "review", table):
            raise dg.Failure(description=f"review.{table} does not exist: materialize issue_review_tables first.")
        df = conn.execute(f"SELECT * FROM review.{table} WHERE period_start IN (SELECT unnest(?::TIMESTAMP[]))",
                          [[p.start for p in periods]]).df()
        found[name] = {}
        for row in records(df):
            found[name].setdefault(pd.Timestamp(row["period_start"]), []).append(row)
    out = []
    for period in periods:
        start = pd.Timestamp(period.start)
        data = {name: frame(found[name].get(start, []), columns) for name, (_, columns, _) in TABLES.items()}
        if data["meta"].empty:
            raise dg.Failure(description=f"no review tables for the period starting {period.start}: "
                                         "materialize issue_review_tables for it first.")
        out.append(data)
    return out


@dg.asset(
    key=["review", "issue_review_report"],
    deps=[dg.AssetKey(["review", t]) for t, _, _ in TABLES.values()],
    partitions_def=ISSUE_REVIEW_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name=GROUP,
    owners=OWNERS,
    kinds={"markdown", "github"},
)
def issue_review_report(context: dg.AssetExecutionContext, duckdb: DuckDBResource, docs_repo: DocsRepo):
    """The issue-resolution report of each period (markdown + JSON twin) in the docs repository."""
    rules = rules_or_failure()
    published, unchanged, queued = [], [], []
    with duckdb.get_connection() as conn:
        periods = periods_of(context)
        tables = list(zip(periods, load_periods(conn, periods)))
    for period, data in tables:
        md_path, json_path = report_paths(period.report_date)
        sha, outcome = publish_or_queue(docs_repo, duckdb, context.run.tags, Publication(
            "issue_review", period.report_date.isoformat(), period.end.replace(tzinfo=UTC),
            f"Issue resolution review {period.report_date.isoformat()}",
            {md_path: render_markdown(data, rules), json_path: render_json(data)}))
        (queued if outcome == "queued" else published if sha else unchanged).append(md_path)
    return dg.MaterializeResult(metadata={
        "published": dg.MetadataValue.md("\n".join(f"- {p}" for p in published) or "_none_"),
        "unchanged": len(unchanged), "reports": len(tables), "queued_for_ordered_publication": len(queued),
    })


def _needs_upsert(conn, key: str, task_key: str, payload: dict, period: model.ReviewPeriod) -> bool:
    """An upsert is enqueued unless the last one an earlier review enqueued for this Task is the same.

    Earlier reviews only: re-running any review (alone or in a backfill) takes the same
    decision, and the review's own intent, once enqueued, is simply found unchanged."""
    if conn.execute("SELECT count(*) FROM ops.outbox WHERE key = ?", [key]).fetchone()[0]:
        return True
    last = conn.execute(
        "SELECT payload_json FROM ops.outbox WHERE channel = 'airtable' AND starts_with(key, 'issue-review/') "
        "AND suffix(key, ?) AND period_end < ? ORDER BY period_end DESC, version DESC LIMIT 1",
        [f"/task/{task_key}", period.end]).fetchone()
    return last is None or last[0] != outbox_store.canonical(payload)


@dg.asset(
    key=["review", "issue_review_notifications"],
    deps=[dg.AssetKey(["review", "action_items"]), dg.AssetKey(["review", "issue_inventory"]),
          issue_review_report.key],
    partitions_def=ISSUE_REVIEW_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name=GROUP,
    owners=OWNERS,
    kinds={"airtable", "slack"},
)
def issue_review_notifications(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Outbox intents of each review: Airtable Tasks upserts of new or changed action items, Slack for P0/P1."""
    outcomes: dict[str, int] = {}
    now = dt.datetime.now(UTC)
    with duckdb.get_connection() as conn:
        outbox.ensure_schema(conn)
        periods = periods_of(context)
        for period, data in zip(periods, load_periods(conn, periods)):
            producer = outbox.Producer("review/issue_review_notifications", period.start.strftime("%Y-%m-%d"),
                                       context.run.run_id)
            intents = []
            for action in records(data["actions"]):
                key, payload = task_intent(action, period)
                if _needs_upsert(conn, key, action["task_key"], payload, period):
                    intents.append((key, payload, "airtable"))
                else:
                    outcomes["same_as_last_review"] = outcomes.get("same_as_last_review", 0) + 1
            slack = slack_intent(data["inventory"], period, report_paths(period.report_date)[0])
            if slack:
                intents.append((*slack, "slack"))
            with transaction(conn):  # the period's intents, all or none, in one commit
                for key, payload, channel in intents:
                    outcome = outbox.enqueue(conn, key, channel, payload, producer, period.end, now)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return dg.MaterializeResult(metadata={"intents": dg.MetadataValue.json(dict(sorted(outcomes.items())))})
