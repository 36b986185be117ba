"""Drift between Airtable and the docs repository, measured rather than assumed.

``docs_match_latest_snapshot`` renders what the latest snapshot would export and compares it with
what origin holds; when they differ, it finds the first snapshot after the one the repository
reflects whose export already differed: that is when the drift started. The SLA (seed: "repo
reflects Airtable within 24 hours", "no documentation drift > 1 week") sets the severity.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.asof import as_of_snapshot, snapshot_days
from bqx_ops.calendar import UTC
from bqx_ops.db import table_exists
from bqx_ops.defs.docs_sync.publication import ordered_publication
from bqx_ops.defs.docs_sync.repo_assets import release_tags, repo_sync
from bqx_ops.defs.docs_sync.weeks import (
    CARRIED, load_snapshots, plan_dashboard_as_of, run_now, run_tags, sagemaker_jobs)
from bqx_ops.docs_sync.export import mirror
from bqx_ops.docs_sync.models import jobs_by_name
from bqx_ops.docs_sync.queue import is_deferred, pending
from bqx_ops.docs_sync.readme import synced_snapshot
from bqx_ops.docs_sync.releases import phase_tag
from bqx_ops.markdown import table as md_table
from bqx_ops.resources.airtable import AirtableSource
from bqx_ops.resources.docs_repo import DocsRepo

SLA, MAX_DRIFT = dt.timedelta(hours=24), dt.timedelta(days=7)


DRIFT = "The repository holds what the latest Airtable snapshot exports (WARN after 24 h of drift, ERROR after a week)."


@dg.asset_check(asset=repo_sync, description=DRIFT)
def docs_match_latest_snapshot(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource, docs_repo: DocsRepo,
                               airtable: AirtableSource) -> dg.AssetCheckResult:
    if is_deferred(run_tags(context)):
        with duckdb.get_connection() as conn:
            queued = [p.key for p in pending(conn) if p.sync is not None]
        if queued:  # a replay's run: the repository is written later, and judged then (check below)
            return dg.AssetCheckResult(passed=True, description=f"{len(queued)} sync week(s) queued for the ordered "
                                       "publication; the repository is judged after it (docs/ordered_publication).",
                                       metadata={"queued_weeks": dg.MetadataValue.json(queued)})
    return _drift(duckdb, docs_repo, airtable, run_now(context))


@dg.asset_check(asset=ordered_publication, name="docs_match_latest_snapshot", description=DRIFT)
def published_docs_match_latest_snapshot(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource,
                                         docs_repo: DocsRepo, airtable: AirtableSource) -> dg.AssetCheckResult:
    return _drift(duckdb, docs_repo, airtable, run_now(context))


def _drift(duckdb: DuckDBResource, docs_repo: DocsRepo, airtable: AirtableSource,
           now: dt.datetime) -> dg.AssetCheckResult:
    """``now``: the run's (a replay's is the end of its period: the open week was synced as of then)."""
    tree = docs_repo.read_tree("docs", "README.md")
    repo_day = synced_snapshot(tree.get("README.md"))
    own = dt.date.fromisoformat(repo_day) if repo_day else None
    with duckdb.get_connection() as conn:
        latest = as_of_snapshot(conn, now)
        candidates = [d for d in snapshot_days(conn) if d <= now.date() and (own is None or d > own)]
        snaps = load_snapshots(conn, {latest, own, *candidates}, carry_forward=CARRIED)  # as the sync exports
        # the instant a snapshot was synced as of (the end of the last week synced from it), so the export
        # is rebuilt as that sync built it; a snapshot never synced: its day's end
        synced = dict(conn.execute("SELECT snapshot_date::DATE, max(period_end) FROM docs.repo_sync WHERE "
                                   "commit_sha IS NOT NULL GROUP BY 1").fetchall()) \
            if table_exists(conn, "docs", "repo_sync") else {}
    listing = sagemaker_jobs(airtable.landing)

    def differing(day):
        end = synced.get(day)
        as_of = min(now, end.replace(tzinfo=UTC) if end else dt.datetime.combine(day, dt.time(), UTC)
                    + dt.timedelta(days=1))
        with duckdb.get_connection() as conn:  # the plan dashboard as the sync shows it
            board = plan_dashboard_as_of(conn, as_of)
        return mirror(snaps[day], jobs_by_name(listing, as_of), board).drift(tree)

    drift = differing(latest) if latest else []
    meta = {"repo_reflects_snapshot": str(repo_day), "latest_snapshot": str(latest), "differing_files": len(drift)}
    if not drift:
        return dg.AssetCheckResult(passed=True, metadata=meta)
    edited = differing(own) if own in snaps else []
    if edited:  # the repository no longer holds its own snapshot's export: dated by git history
        since = docs_repo.last_commit_time(*edited) or now
        cause = f"the repository was changed by hand (or the rendering changed) in {', '.join(edited[:5])}"
    else:
        since = dt.datetime.combine(next((d for d in candidates if differing(d)), latest), dt.time(), UTC)
        cause = "Airtable changed"
    age = now - since
    meta.update(drifting_since=since.isoformat(), drift_hours=round(age.total_seconds() / 3600, 1),
                cause=cause, files=dg.MetadataValue.md(md_table(["path"], [[p] for p in drift], limit=200)))
    summary = (f"{len(drift)} file(s) differ from what the latest snapshot ({latest}) exports; the repository "
               f"reflects snapshot {repo_day or 'none'}; drifting since {since:%Y-%m-%d %H:%M} UTC "
               f"({age.days} days): {cause}.")
    if age <= SLA:
        return dg.AssetCheckResult(passed=True, description=f"Within the 24 h SLA: {summary}", metadata=meta)
    return dg.AssetCheckResult(
        passed=False, description=summary, metadata=meta,
        severity=dg.AssetCheckSeverity.ERROR if age > MAX_DRIFT else dg.AssetCheckSeverity.WARN,
    )


@dg.asset_check(asset=release_tags, description="Every phase Done in the snapshot the repository reflects has "
                "its annotated release tag on origin.")
def completed_phases_are_tagged(duckdb: DuckDBResource, docs_repo: DocsRepo) -> dg.AssetCheckResult:
    repo_day = synced_snapshot(docs_repo.read("README.md"))
    if repo_day is None:
        return dg.AssetCheckResult(passed=True, description="Nothing synced yet.", metadata={"synced_snapshot": "none"})
    day = dt.date.fromisoformat(repo_day)
    with duckdb.get_connection() as conn:
        phases = load_snapshots(conn, {day}, ("phases",))[day].rows("phases")
    tags = docs_repo.tags()
    missing = [[p.get("phase_id"), p.get("name"), phase_tag(p)] for p in phases
               if p.get("status") == "Done" and phase_tag(p) not in tags]
    return dg.AssetCheckResult(
        passed=not missing,
        description=None if not missing else "Completed phases without a release tag: "
        + ", ".join(f"{pid} ({tag})" for pid, _, tag in missing),
        metadata={"synced_snapshot": repo_day, "tags_on_origin": len(tags),
                  "missing": dg.MetadataValue.md(md_table(["phase", "name", "expected tag"], missing))},
    )
