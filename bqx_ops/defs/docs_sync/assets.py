"""What each week exports to the docs repository, computed from that week's as-of snapshot.

Each asset is a DuckDB table keyed by ``period_start`` (the week's partition); a backfill over many
weeks runs as one run that walks every week of ``context.partition_keys``. Nothing here touches git:
``docs/repo_sync`` commits what these tables hold.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.base_schema import TABLES as AIRTABLE_TABLES
from bqx_ops.calendar import naive_utc
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.defs.docs_sync.weeks import (
    CARRIED,
    DOCS_SYNC_PARTITIONS,
    GROUP,
    OWNERS,
    PARTITION_META,
    load_snapshots,
    plan_dashboard_as_of,
    plan_week_end,
    sagemaker_jobs as landed_sagemaker_jobs,
    weeks,
    weeks_snapshot_days,
)
from bqx_ops.docs_sync.artifacts import artifact_files
from bqx_ops.docs_sync.changelog import weekly_entry
from bqx_ops.docs_sync.models import COLUMNS as MODEL_FIELDS
from bqx_ops.docs_sync.models import jobs_by_name, latest_models
from bqx_ops.docs_sync.status import readme_status as render_status
from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.markdown import table as md_table
from bqx_ops.resources.airtable import AirtableSource
from bqx_ops.resources.sagemaker_jobs import SageMakerJobsSource
from bqx_ops.snapshots import Snapshots

TS = "datetime64[us]"
ARTIFACT_COLUMNS = {"period_start": TS, "snapshot_date": TS, "record_id": "string", "relpath": "string",
                    "page": "string"}
STATUS_COLUMNS = {"period_start": TS, "snapshot_date": TS, "section": "string"}
CHANGELOG_COLUMNS = {"period_start": TS, "period_end": TS, "snapshot_date": TS, "previous_snapshot_date": TS,
                     "in_progress": "boolean", "entry": "string"}
MODEL_COLUMNS = {"period_start": TS, "snapshot_date": TS,
                 **{c: ("float64" if c == "r2" else "string") for c in MODEL_FIELDS}}
AIRTABLE_DEPS = [dg.AssetKey(["airtable", t.asset_name]) for t in AIRTABLE_TABLES]


def _day(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time())


def _spec(key: str, kinds: set[str], deps: list) -> dict:
    return dict(key=["docs", key], partitions_def=DOCS_SYNC_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(),
                pool="duckdb", group_name=GROUP, owners=OWNERS, kinds=kinds, metadata=PARTITION_META, deps=deps)


def _output(context, duckdb: DuckDBResource, key: list[str], df: "pd.DataFrame", **metadata) -> "pd.DataFrame":
    ensure_table(duckdb, key, df)
    context.add_output_metadata({"dagster/row_count": len(df), "weeks": len(context.partition_keys), **metadata})
    return df


@dg.asset(**_spec("artifact_pages", {"airtable", "markdown", "duckdb"},
                  [dg.AssetKey(["airtable", n]) for n in ("artifacts", "phases", "stages")]))
def artifact_pages(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """The Artifacts table as docs/artifacts/<slug>.md pages, one row per record and week."""
    rows = []
    with duckdb.get_connection() as conn:
        plan = [(w, after) for w, _, after in weeks_snapshot_days(conn, weeks(context))]
        snaps = load_snapshots(conn, {d for _, d in plan}, ("artifacts", "phases", "stages"))
    for w, day in plan:
        for relpath, (record_id, page) in sorted(artifact_files(snaps[day]).items()):
            rows.append({"period_start": naive_utc(w.start), "snapshot_date": _day(day), "record_id": record_id,
                         "relpath": relpath, "page": page})
    df = frame(rows, ARTIFACT_COLUMNS)
    latest = df[df["period_start"] == df["period_start"].max()] if len(df) else df
    return _output(context, duckdb, ["docs", "artifact_pages"], df,
                   latest_week=dg.MetadataValue.md(md_table(["file", "record"], latest[["relpath", "record_id"]]
                                                            .values.tolist(), limit=120)))


# The plan dashboard is computed from the week's snapshot (plan_dashboard_as_of), not read from
# plan.dashboard: the README never depends on whether the plan update ran first.
@dg.asset(**_spec("readme_status", {"markdown", "duckdb"}, AIRTABLE_DEPS),
          freshness_policy=dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=7)))
def readme_status(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """README.md's status section (plan dashboard, phases, running stages) as of each week's snapshot."""
    with duckdb.get_connection() as conn:
        plan = [(w, after) for w, _, after in weeks_snapshot_days(conn, weeks(context))]
        # a quarantined plan, phase or stage is its last valid version, marked, as in the plan update: it never
        # vanishes from the statuses beside a plan dashboard that counts it
        snaps = load_snapshots(conn, {d for _, d in plan}, ("plans", "phases", "stages", "quarantine"),
                               carry_forward=CARRIED)
        ends = [end for w, _ in plan if (end := plan_week_end(w.as_of)) is not None]
        snapshots = Snapshots(conn, max(ends).date(), instants=ends) if ends else None
        boards = {w.key: plan_dashboard_as_of(conn, w.as_of, snapshots) for w, _ in plan}
    rows = [{"period_start": naive_utc(w.start), "snapshot_date": _day(day),
             "section": render_status(snaps[day], boards[w.key])} for w, day in plan]
    df = frame(rows, STATUS_COLUMNS)
    return _output(context, duckdb, ["docs", "readme_status"], df,
                   latest=dg.MetadataValue.md(df["section"].iloc[-1] if len(df) else "_none_"))


@dg.asset(**_spec("changelog_entries", {"markdown", "duckdb"}, AIRTABLE_DEPS))
def changelog_entries(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Each week's CHANGELOG.md entry: transitions, completions, decisions, learnings, R², artifacts."""
    with duckdb.get_connection() as conn:
        plan = weeks_snapshot_days(conn, weeks(context))
        # a quarantined plan record is its last valid version, never "removed" then "new" again
        snaps = load_snapshots(conn, {d for _, a, b in plan for d in (a, b)}, carry_forward=CARRIED)
    rows = [{"period_start": naive_utc(w.start), "period_end": naive_utc(w.end), "snapshot_date": _day(after),
             "previous_snapshot_date": _day(before), "in_progress": w.in_progress,
             "entry": weekly_entry(w.start.date(), w.report_date, snaps[before], snaps[after], w.in_progress)}
            for w, before, after in plan]
    df = frame(rows, CHANGELOG_COLUMNS)
    return _output(context, duckdb, ["docs", "changelog_entries"], df,
                   latest=dg.MetadataValue.md(df["entry"].iloc[-1] if len(df) else "_none_"))


@dg.asset(**_spec("model_versions", {"sagemaker", "duckdb"}, [dg.AssetKey(["airtable", "model_results"])]))
def model_versions(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
                   airtable: AirtableSource, sagemaker_jobs: SageMakerJobsSource):
    """The latest model per model and horizon, with its SageMaker training job (docs/models.md)."""
    # Refreshed here, not only by the review: live, a sync that runs before any review (a team's first
    # weeks) or between two reviews would name jobs from a listing up to two weeks old, or none at all.
    try:
        sagemaker_jobs.refresh(dt.datetime.now(dt.timezone.utc))
    except Exception as exc:  # an AWS outage must not stop the sync: the landed listing (if any) is used
        context.log.warning(f"SageMaker listing not refreshed ({type(exc).__name__}); using the landed one")
    listing = landed_sagemaker_jobs(airtable.landing)
    if listing is None:
        context.log.warning(f"No readable SageMaker job listing at {airtable.landing.sagemaker_jobs}; "
                            "models.md says so instead of naming artifacts")
    rows = []
    with duckdb.get_connection() as conn:
        plan = [(w, after) for w, _, after in weeks_snapshot_days(conn, weeks(context))]
        snaps = load_snapshots(conn, {d for _, d in plan}, ("model_results",))
    for w, day in plan:
        jobs = jobs_by_name(listing, w.as_of)
        for row in latest_models(snaps[day], jobs):
            rows.append({"period_start": naive_utc(w.start), "snapshot_date": _day(day), **row})
    df = frame(rows, MODEL_COLUMNS)
    return _output(context, duckdb, ["docs", "model_versions"], df, sagemaker_listing=listing is not None)
