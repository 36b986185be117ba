"""Deferred publication: a replay's commits to the docs repository, made in date order.

A scheduled run publishes as it goes, and time keeps its commits in date order. A replay (the
demo) runs each cadence over the whole history, one stage after the other: published as they
run, the plan updates of every week would come before the first sync. So a replay's runs carry
``DEFERRED_TAG``: each publication becomes a row of ``docs.publication_queue`` (what to write,
the message, the instant it is dated), and one step (``defs/docs_sync/publication.py``) makes
the commits ordered by instant, then cadence, then key.

Rules (as the outbox's): the same publication put again is a no-op, and keeps the result of
its commit once made (a second replay commits nothing); a changed one is pending again; a
killed flush leaves the rest pending for the next, and one killed between its push and its record
is settled by the next from what it wrote down before the push (``take_off`` / ``land``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import duckdb

from bqx_ops.calendar import UTC, naive_utc
from bqx_ops.db import table_exists, transaction

DEFERRED_TAG = "bqx_ops/publication"  # value "deferred": the run's commits wait for the ordered flush
PENDING, PUBLISHED = "pending", "published"
# Publications dated the same instant, in cadence order: the sync reads the plan, the dashboard all.
STAGE_ORDER = {"sync": 0, "plan_update": 1, "issue_review": 2, "assessment": 3, "dashboard": 4}

SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS docs;
CREATE TABLE IF NOT EXISTS docs.publication_queue (
    stage VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    dated TIMESTAMP NOT NULL,
    payload_json VARCHAR NOT NULL,
    payload_sha256 VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    result_json VARCHAR
);
"""


@dataclass(frozen=True)
class Publication:
    """One commit's worth: files (relpath -> content, None deletes) or, for a sync week, what
    ``sync_week`` needs to work out its changes against the repository as it then stands."""

    stage: str
    key: str
    when: dt.datetime
    message: str = ""
    files: dict[str, str | None] = field(default_factory=dict)
    volatile: str | None = None
    sync: dict | None = None

    def payload(self) -> dict:
        return {"message": self.message, "files": dict(sorted(self.files.items())), "volatile": self.volatile,
                "sync": self.sync}


def is_deferred(tags) -> bool:
    return (tags or {}).get(DEFERRED_TAG) == "deferred"


def _canonical(payload: dict) -> str:
    # ASCII: a lone surrogate in a report (DuckDB refuses them in text) travels escaped
    return json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _fingerprint(pub: Publication) -> str:
    return _digest(_canonical(pub.payload()))


def _mark_published(conn: duckdb.DuckDBPyConnection, stage: str, key: str, digest: str, result_json: str,
                    only_pending: bool = False) -> bool:
    """Record the publication (stage, key) with payload ``digest`` as made, unless it was queued again,
    changed, meanwhile; True if it was."""
    return bool(conn.execute(
        "UPDATE docs.publication_queue SET status = ?, result_json = ? WHERE stage = ? AND key = ? AND "
        "payload_sha256 = ?" + (" AND status = ?" if only_pending else "") + " RETURNING key",
        [PUBLISHED, result_json, stage, key, digest, *([PENDING] if only_pending else [])]).fetchall())


def put(conn: duckdb.DuckDBPyConnection, pub: Publication) -> dict | None:
    """Queue ``pub``; the result of its commit if this very publication was already made, else None."""
    if not table_exists(conn, "docs", "publication_queue"):
        conn.execute(SCHEMA_SQL)
    text = _canonical(pub.payload())
    digest = _digest(text)  # _fingerprint(pub), its text kept for the row
    row = conn.execute("SELECT payload_sha256, status, result_json FROM docs.publication_queue "
                       "WHERE stage = ? AND key = ?", [pub.stage, pub.key]).fetchone()
    if row and row[0] == digest:
        return json.loads(row[2]) if row[1] == PUBLISHED and row[2] else None
    with transaction(conn):  # replaced whole or not at all
        conn.execute("DELETE FROM docs.publication_queue WHERE stage = ? AND key = ?", [pub.stage, pub.key])
        conn.execute("INSERT INTO docs.publication_queue VALUES (?, ?, ?, ?, ?, ?, NULL)",
                     [pub.stage, pub.key, naive_utc(pub.when), text, digest, PENDING])
    return None


def pending(conn: duckdb.DuckDBPyConnection) -> list[Publication]:
    """Every publication not yet made, in the order they are to be committed."""
    if not table_exists(conn, "docs", "publication_queue"):
        return []
    rows = conn.execute("SELECT stage, key, dated, payload_json FROM docs.publication_queue WHERE status = ?",
                        [PENDING]).fetchall()
    out = []
    for stage, key, dated, text in rows:
        payload = json.loads(text)
        out.append(Publication(stage, key, dated.replace(tzinfo=UTC), payload["message"], payload["files"],
                               payload["volatile"], payload["sync"]))
    return sorted(out, key=lambda p: (p.when, STAGE_ORDER.get(p.stage, len(STAGE_ORDER)), p.key))


def files_of(conn: duckdb.DuckDBPyConnection, stage: str, key: str) -> dict[str, str | None] | None:
    """The files of a publication queued by a replay (pending or made); None when none was queued."""
    if not table_exists(conn, "docs", "publication_queue"):
        return None
    row = conn.execute("SELECT payload_json FROM docs.publication_queue WHERE stage = ? AND key = ?",
                       [stage, key]).fetchone()
    return None if row is None else json.loads(row[0])["files"]


def done(conn: duckdb.DuckDBPyConnection, pub: Publication, result: dict) -> None:
    """Record ``pub`` as made (unless it was queued again, changed, meanwhile)."""
    _mark_published(conn, pub.stage, pub.key, _fingerprint(pub), _canonical(result))


def publish_or_queue(docs_repo, duckdb, tags, pub: Publication) -> tuple[str | None, str]:
    """Commit ``pub`` now, or queue it in a deferred run: (the new commit's sha or None, what happened)."""
    if not is_deferred(tags):
        sha = docs_repo.publish(pub.files, pub.message, pub.when, volatile=pub.volatile)
        return sha, "committed" if sha else "unchanged"
    with duckdb.get_connection() as conn:
        result = put(conn, pub)
    return None, "committed earlier" if result else "queued"


# A batch's commits are pushed in one push, then recorded: a kill between the two would leave them
# pending though on origin, and made again on top of later ones (an assessment's draft over its
# final). So before the push, the batch is written down as in flight with the head it pushes; the
# next flush first settles it: on origin, its publications are recorded as made; not, forgotten.
FLIGHT_SQL = """
CREATE TABLE IF NOT EXISTS docs.publication_flight (
    head VARCHAR NOT NULL, stage VARCHAR NOT NULL, key VARCHAR NOT NULL, payload_sha256 VARCHAR NOT NULL,
    result_json VARCHAR NOT NULL
);
"""


def take_off(conn: duckdb.DuckDBPyConnection, head: str, made: list[tuple[Publication, dict]]) -> None:
    """Write down the batch about to be pushed: its head commit and each publication with its result."""
    conn.execute(SCHEMA_SQL + FLIGHT_SQL)
    with transaction(conn):  # the whole batch written down, or none of it
        conn.execute("DELETE FROM docs.publication_flight")
        for pub, result in made:
            conn.execute("INSERT INTO docs.publication_flight VALUES (?, ?, ?, ?, ?)",
                         [head, pub.stage, pub.key, _fingerprint(pub), _canonical(result)])


def in_flight(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The head of a batch written down but not settled (a flush killed after take_off), or None."""
    if not table_exists(conn, "docs", "publication_flight"):
        return None
    row = conn.execute("SELECT min(head) FROM docs.publication_flight").fetchone()
    return row[0] if row else None


def land(conn: duckdb.DuckDBPyConnection, pushed: bool) -> dict[tuple[str, str], dict]:
    """Settle the batch in flight: pushed, each of its publications still pending with the same payload
    is recorded as made, with its result; then the flight is cleared. Returns (stage, key) -> result
    of those recorded."""
    if not table_exists(conn, "docs", "publication_flight"):
        return {}
    recorded = {}
    if pushed:
        for stage, key, digest, result in conn.execute(
                "SELECT stage, key, payload_sha256, result_json FROM docs.publication_flight").fetchall():
            if _mark_published(conn, stage, key, digest, result, only_pending=True):
                recorded[(stage, key)] = json.loads(result)
    conn.execute("DELETE FROM docs.publication_flight")
    return recorded
