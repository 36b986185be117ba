"""The weekly sync itself: one commit per week, release tags for completed phases, a Slack note.

``docs/repo_sync`` walks the run's weeks in order and publishes each through DocsRepo, dated by
the week's end. The snapshot-shaped files (artifact pages, models.md, README status) only move
forward: re-running an old week never rolls them back, it only rewrites that week's CHANGELOG entry.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox
from bqx_ops.calendar import UTC, naive_utc
from bqx_ops.db import table_exists, transaction
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.defs.docs_sync.assets import artifact_pages, changelog_entries, model_versions, readme_status
from bqx_ops.defs.docs_sync.weeks import (
    DOCS_SYNC_PARTITIONS,
    GROUP,
    OWNERS,
    PARTITION_META,
    load_snapshots,
    weeks_snapshot_days,
    week,
    weeks,
)
from bqx_ops.docs_sync.changelog import upsert_entry
from bqx_ops.docs_sync.changes import CHANGELOG, MODELS, WEEKLY_SYNC_SUBJECT, changed_files, commit_message
from bqx_ops.docs_sync.export import Mirror
from bqx_ops.docs_sync.models import models_page
from bqx_ops.docs_sync.queue import Publication, is_deferred, put
from bqx_ops.docs_sync.readme import synced_snapshot
from bqx_ops.docs_sync.releases import phase_tag, release_payload, tag_message
from bqx_ops.docs_sync.snapshot import records
from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.resources.docs_tags import TagInfo
from bqx_ops.slack_text import escape

TS = "datetime64[us]"
SYNC_COLUMNS = {"period_start": TS, "period_end": TS, "snapshot_date": TS, "commit_sha": "string",
                "changed": "boolean", "summary": "string", "files_changed": "Int64"}
TAG_COLUMNS = {"period_start": TS, "phase_record_id": "string", "phase_id": "string", "tag": "string",
               "target_sha": "string", "completed_this_week": "boolean"}
COMMON = dict(partitions_def=DOCS_SYNC_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb",
              group_name=GROUP, owners=OWNERS)


def _rows_for(df: "pd.DataFrame", period_start) -> list[dict]:
    return records(df[df["period_start"] == period_start]) if len(df) else []


def _synced_before(conn, sha: str | None, start) -> bool:
    """Whether ``sha`` is the commit of a weekly sync of a week before ``start`` (docs.repo_sync)."""
    if not sha or not table_exists(conn, "docs", "repo_sync"):
        return False
    return conn.execute("SELECT count(*) FROM docs.repo_sync WHERE commit_sha = ? AND period_start < ?",
                        [sha, start]).fetchone()[0] > 0


def _previous(duckdb: DuckDBResource, starts: list) -> dict:
    """docs.repo_sync rows of earlier runs: a rerun that changes nothing reports what the week did."""
    with duckdb.get_connection() as conn:
        if not table_exists(conn, "docs", "repo_sync"):
            return {}
        df = conn.execute("SELECT * FROM docs.repo_sync WHERE period_start IN (SELECT unnest(?::TIMESTAMP[]))",
                          [starts]).df()
    return {r["period_start"]: r for r in records(df)}


def _unchanged(docs_repo: DocsRepo, before: dict | None, w) -> dict:
    """What a week with nothing left to commit did: as an earlier run recorded it, else the week's
    own commit if a killed run pushed it before recording it (so its tags and messages name that
    commit, never the head), else nothing this week: the repo as it stood at the week's end."""
    if before and before.get("commit_sha"):
        return {"commit_sha": before["commit_sha"], "changed": bool(before.get("changed")),
                "summary": before.get("summary") or "already up to date",
                "files_changed": before.get("files_changed") or 0}
    if found := docs_repo.find_commit(f"{WEEKLY_SYNC_SUBJECT}{w.report_date.isoformat()}"):
        return {"commit_sha": found.sha, "changed": True, "summary": found.subject,
                "files_changed": found.files_changed}
    return {"commit_sha": docs_repo.commit_at(w.as_of), "changed": False, "summary": "already up to date",
            "files_changed": 0}


def sync_week(docs_repo: DocsRepo, sync: dict, before: dict | None) -> dict:
    """Commit one week's sync against the repository as it now stands (its snapshot-shaped files only
    move forward): the week's commit_sha, changed, summary, files_changed, and whether it committed."""
    w = week(sync["key"], dt.datetime.fromisoformat(sync["read_at"]))
    day = dt.date.fromisoformat(sync["snapshot_date"])
    mirror = Mirror(sync["files"], sync["status"])
    tree = docs_repo.read_tree("docs", "README.md", CHANGELOG)
    advance = (synced_snapshot(tree.get("README.md")) or "") <= day.isoformat()
    changes, readme_changed = mirror.changes(tree) if advance else ({}, False)
    changes.update(changed_files(tree, {CHANGELOG: upsert_entry(tree.get(CHANGELOG), w.start.date(), sync["entry"],
                                                                docs_repo.project_name)}))
    message = commit_message(w.report_date, day, tree, changes, readme_changed, w.in_progress)
    sha = docs_repo.publish(changes, message, w.as_of, readme_status=mirror.status if readme_changed else None) \
        if changes or readme_changed else None
    if sha:
        return {"commit_sha": sha, "changed": True, "summary": message.splitlines()[0],
                "files_changed": len(changes) + int(readme_changed), "committed": True}
    return {**_unchanged(docs_repo, before, w), "committed": False}


@dg.asset(key=["docs", "repo_sync"], kinds={"git", "github"}, metadata=PARTITION_META,
          ins={"pages": dg.AssetIn(artifact_pages.key), "status": dg.AssetIn(readme_status.key),
               "entries": dg.AssetIn(changelog_entries.key), "models": dg.AssetIn(model_versions.key)},
          freshness_policy=dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=7),
                                                          warn_window=dt.timedelta(hours=24)), **COMMON)
def repo_sync(context: dg.AssetExecutionContext, duckdb: DuckDBResource, docs_repo: DocsRepo, pages,
              status, entries, models):
    """One commit per week bringing README status, CHANGELOG, docs/artifacts and docs/models.md up to date, pushed."""
    run_weeks = weeks(context)
    previous = _previous(duckdb, [naive_utc(w.start) for w in run_weeks])
    deferred = is_deferred(context.run.tags)
    rows, commits, queued = [], [], 0
    for w in run_weeks:
        start = pd.Timestamp(naive_utc(w.start))
        [st] = _rows_for(status, start) or [{"snapshot_date": None}]
        row = {"period_start": start, "period_end": naive_utc(w.end), "snapshot_date": st["snapshot_date"]}
        if st["snapshot_date"] is None:
            rows.append({**row, "changed": False, "summary": "no Airtable snapshot yet", "files_changed": 0})
            continue
        files = {r["relpath"]: r["page"] for r in _rows_for(pages, start)}
        files[MODELS] = models_page(_rows_for(models, start), st["snapshot_date"].date())
        [entry] = _rows_for(entries, start)
        sync = {"key": w.key, "read_at": w.as_of.isoformat(), "snapshot_date": st["snapshot_date"].date().isoformat(),
                "files": files, "status": st["section"], "entry": entry["entry"]}
        if deferred:  # a replay: committed later, in date order with the other cadences' reports
            with duckdb.get_connection() as conn:
                done = put(conn, Publication("sync", w.key, w.as_of, sync=sync))
            queued += done is None
            rows.append({**row, **(done or {"summary": "queued: committed in date order after the replay's runs"})})
            continue
        outcome = sync_week(docs_repo, sync, previous.get(start))
        commits += [outcome["commit_sha"]] if outcome.pop("committed") else []
        rows.append({**row, **outcome})
    df = frame(rows, SYNC_COLUMNS)
    ensure_table(duckdb, ["docs", "repo_sync"], df)
    context.add_output_metadata({"dagster/row_count": len(df), "commits_pushed": len(commits),
                                 "weeks_unchanged": len(run_weeks) - len(commits) - queued, "weeks_queued": queued,
                                 "head": docs_repo.head(), "origin": docs_repo.remote_url or "local bare repository"})
    return df


@dg.asset(key=["docs", "release_tags"], kinds={"git", "github"}, metadata=PARTITION_META,
          ins={"synced": dg.AssetIn(repo_sync.key)}, deps=[dg.AssetKey(["airtable", "phases"])], **COMMON)
def release_tags(context: dg.AssetExecutionContext, duckdb: DuckDBResource, docs_repo: DocsRepo,
                 synced):
    """An annotated tag per completed phase, pushed; its GitHub release through the outbox (by tag name)."""
    with duckdb.get_connection() as conn:
        plan = weeks_snapshot_days(conn, weeks(context))
        # the stages too: a phase without an End Date was completed at its Done stages' latest Completed Date
        snaps = load_snapshots(conn, {d for _, a, b in plan for d in (a, b)}, ("phases", "stages"))
    def done_phases():  # (week, its start, its sync, a phase Done at its end, Done before it)
        for w, before, after in plan:
            start = pd.Timestamp(naive_utc(w.start))
            [sync] = _rows_for(synced, start) or [{"commit_sha": None}]
            if after is None or not sync["commit_sha"]:
                continue
            was_done = {k for k, p in snaps[before].by_id("phases").items() if p.get("status") == "Done"}
            for phase in sorted(snaps[after].rows("phases"), key=lambda p: (p.get("number") or 0, p["record_id"])):
                if phase.get("status") == "Done":
                    yield w, start, sync, snaps[after], phase, phase["record_id"] in was_done

    found = list(done_phases())  # worked out once: the tags, then the rows and releases
    tags, wanted = docs_repo.tags(), {}
    for w, _, sync, after, phase, _ in found:  # a new tag names the first week it is Done in
        if (tag := phase_tag(phase)) not in tags and tag not in wanted:
            wanted[tag] = (tag, tag_message(phase, w.report_date, after.day, after.rows("stages")),
                           sync["commit_sha"], w.as_of)
    made = docs_repo.tag_many(list(wanted.values()))  # one sync and one push for them all
    created = [tag for tag, ok in zip(wanted, made) if ok]
    tags |= {tag: TagInfo(wanted[tag][2], wanted[tag][1].strip()) for tag in created}
    if not all(made):  # pushed by someone else meanwhile: use theirs
        tags = docs_repo.tags()
    rows, intents = [], []
    for w, start, _, _, phase, was_done in found:
        tag = phase_tag(phase)
        info = tags[tag]
        rows.append({"period_start": start, "phase_record_id": phase["record_id"],
                     "phase_id": phase.get("phase_id"), "tag": tag, "target_sha": info.target,
                     "completed_this_week": not was_done})
        intents.append((w, tag, release_payload(tag, info.target, info.message)))
    outcomes = {}
    with duckdb.get_connection() as conn, transaction(conn):  # the intents, all or none, in one commit
        for w, tag, payload in intents:
            outcomes[tag] = outbox.enqueue(conn, f"github-release/{tag}", "github", payload,
                                           outbox.Producer("docs/release_tags", w.key, context.run.run_id),
                                           period_end=w.end, now=dt.datetime.now(UTC))
    df = frame(rows, TAG_COLUMNS)
    ensure_table(duckdb, ["docs", "release_tags"], df)
    context.add_output_metadata({"dagster/row_count": len(df), "tags_pushed": dg.MetadataValue.json(created),
                                 "release_intents": dg.MetadataValue.json(outcomes)})
    return df


@dg.asset(key=["docs", "sync_notification"], kinds={"slack"},
          ins={"synced": dg.AssetIn(repo_sync.key), "tagged": dg.AssetIn(release_tags.key)}, **COMMON)
def sync_notification(context: dg.AssetExecutionContext, duckdb: DuckDBResource, synced,
                      tagged) -> dg.MaterializeResult:
    """A Slack message per weekly sync (what changed, the commit, new release tags), through the outbox."""
    outcomes = {}
    with duckdb.get_connection() as conn, transaction(conn):  # the notifications, all or none, in one commit
        for w in weeks(context):
            start = pd.Timestamp(naive_utc(w.start))
            [sync] = _rows_for(synced, start) or [{"commit_sha": None}]
            if not sync.get("commit_sha"):
                continue
            done = [t for t in _rows_for(tagged, start) if t["completed_this_week"]]
            # a phase re-opened and Done again keeps the tag (and release) of its first completion, the sync commit
            # of an earlier week: not released again (a tag on this week's commit, or one no earlier week made, is)
            again = sorted(t["tag"] for t in done if _synced_before(conn, t["target_sha"], start))
            new_tags = sorted(t["tag"] for t in done if t["tag"] not in again)
            text = (f"*Docs sync* for the week ending {w.report_date.isoformat()}"
                    + (" (in progress)" if w.in_progress else "") + f": {escape(sync['summary'])}\n"
                    f"Commit {sync['commit_sha'][:12]} · Airtable snapshot {sync['snapshot_date']:%Y-%m-%d}"
                    + (f"\nReleased: {escape(', '.join(new_tags))}" if new_tags else "")
                    + (f"\nDone again (released before): {escape(', '.join(again))}" if again else ""))
            outcomes[w.key] = outbox.enqueue(conn, f"docs-sync/{w.key}", "slack", {"text": text},
                                             outbox.Producer("docs/sync_notification", w.key, context.run.run_id),
                                             period_end=w.end, now=dt.datetime.now(UTC))
    return dg.MaterializeResult(metadata={"notifications": dg.MetadataValue.json(outcomes)})
