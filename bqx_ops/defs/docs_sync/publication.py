"""The ordered publication of a replay: the commits its deferred runs queued, made in date order.

See ``bqx_ops/docs_sync/queue.py``. A sync week is committed as the scheduled sync would have
committed it then (``sync_week``: its changes worked out against the repository as it now
stands) and its docs.repo_sync row completed with the commit; the release tags and Slack notes
that name those commits run after this step.
"""

import contextlib

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.calendar import naive_utc
from bqx_ops.db import table_exists, transaction
from bqx_ops.defs.docs_sync.repo_assets import repo_sync, sync_week
from bqx_ops.defs.docs_sync.weeks import OWNERS, week
from bqx_ops.docs_sync.queue import done, in_flight, land, pending, take_off
from bqx_ops.resources.docs_repo import BatchRejected, DocsRepo

PUBLISHERS = [repo_sync.key, *(dg.AssetKey(k) for k in (
    ["plan", "weekly_report"], ["review", "issue_review_report"], ["assessment", "report"], ["dashboard", "report"]))]


def _record_sync(conn, sync: dict, outcome: dict) -> None:
    if table_exists(conn, "docs", "repo_sync"):
        conn.execute("UPDATE docs.repo_sync SET commit_sha = ?, changed = ?, summary = ?, files_changed = ? "
                     "WHERE period_start = ?", [outcome["commit_sha"], outcome["changed"], outcome["summary"],
                                                outcome["files_changed"], naive_utc(week(sync["key"]).start)])


def _apply(docs_repo: DocsRepo, pub) -> tuple[str | None, dict]:
    """Make one queued publication: (the new commit or None, the result recorded for it)."""
    if pub.sync is not None:
        result = sync_week(docs_repo, pub.sync, None)
        return (result["commit_sha"] if result.pop("committed") else None), result
    sha = docs_repo.publish(pub.files, pub.message, pub.when, volatile=pub.volatile)
    return sha, {"published": True}  # not the sha: after a killed flush the re-run finds nothing to commit


def _record(duckdb: DuckDBResource, made: list) -> None:
    with duckdb.get_connection() as conn, transaction(conn):  # every record and the landing, or none
        for pub, _, result in made:
            if pub.sync is not None:
                _record_sync(conn, pub.sync, result)
            done(conn, pub, result)
        land(conn, pushed=False)  # all recorded: nothing in flight is left to settle


@dg.asset(key=["docs", "ordered_publication"], deps=PUBLISHERS, pool="duckdb", group_name="docs_publication",
          owners=OWNERS, kinds={"git", "github"})
def ordered_publication(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
                        docs_repo: DocsRepo) -> dg.MaterializeResult:
    """The docs-repository commits a replay queued, made in date order (then cadence order), pushed."""
    with duckdb.get_connection() as conn:
        queue, head = pending(conn), in_flight(conn)
    if head is not None:  # the last flush was killed between its push and its record: settle it first
        pushed = docs_repo.holds(head)
        with duckdb.get_connection() as conn:
            landed = land(conn, pushed)
            for pub in queue:
                if pub.sync is not None and (pub.stage, pub.key) in landed:
                    _record_sync(conn, pub.sync, landed[(pub.stage, pub.key)])
        queue = [pub for pub in queue if (pub.stage, pub.key) not in landed]
        context.log.info(f"a flush in flight to {head[:12]}: {'pushed' if pushed else 'not pushed'}, "
                         f"{len(landed)} publication(s) recorded as made")
    made = []
    try:  # one sync and one push for the lot; recorded once pushed (a kill before: all pending still)
        with docs_repo.batch() if queue else contextlib.nullcontext():
            made = [(pub, *_apply(docs_repo, pub)) for pub in queue]
            if made:  # written down before the push (at the end of the batch), settled after the record
                with duckdb.get_connection() as conn:
                    take_off(conn, docs_repo.head(), [(pub, result) for pub, _, result in made])
        _record(duckdb, made)
    except BatchRejected as exc:  # origin moved meanwhile: one push per commit, each recorded at once
        context.log.warning(f"{exc}; publishing one commit at a time")
        made = []
        for pub in queue:
            made.append((pub, *_apply(docs_repo, pub)))
            _record(duckdb, made[-1:])
    commits = [f"{pub.when:%Y-%m-%d %H:%M} {pub.stage} {pub.key} {sha[:12]}" for pub, sha, _ in made if sha]
    unchanged = len(made) - len(commits)
    return dg.MaterializeResult(metadata={
        "queued": len(queue), "commits": len(commits), "unchanged": unchanged,
        "in_order": dg.MetadataValue.md("\n".join(f"- {c}" for c in commits) or "_none_"),
    })


publication_job = dg.define_asset_job(
    "docs_publication_job", selection=dg.AssetSelection.assets(ordered_publication),
    executor_def=dg.in_process_executor,
    description="A replay's queued docs-repository commits, made in date order (bqx-ops demo runs it last).",
)
