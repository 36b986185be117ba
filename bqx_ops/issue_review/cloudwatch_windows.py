"""The grouping of CloudWatch log windows (``cloudwatch.aggregate``'s query), for one window or many at once.

A replay looks at many instants in a row (the escalation sensor's 113 ticks, a review backfill's periods),
each reading the day files of its 14-day window: mostly the same files as the look before. A window's
query costs ~9 ms whatever its few hundred events (reading the files, normalizing, two window functions,
grouping sets: DuckDB's fixed cost per operator), so a batch of windows is grouped in one query, each
window its own partition (``look``): each window's rows are exactly those of its own query. They are kept
until ``aggregate`` asks for them, keyed by each file as it is on disk (path, size, mtime), the window
and the rules: never stale (a changed file is another key, read again).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

import duckdb

from bqx_ops.issue_review.cloudwatch_events import (
    FILES,
    MAX_SAMPLE,
    ONCE,
    bad_events,
    epoch_ms,
    expressions,
    files_table,
    quiet_ms,
)

LOOKS = "review_cloudwatch_looks"  # each window's files, with their log group and the window in ms
Window = tuple[list[tuple[str, Path]], dt.datetime, dt.datetime]  # (log group, day file) pairs, start, end

# Grouped rows of prepared windows not yet asked for; a few batches at most (a batch is taken as it is used)
_READY: OrderedDict[tuple, list[tuple]] = OrderedDict()
_READY_KEPT = 64  # four batches: a look answered otherwise (a shared look) never takes its rows
_READY_LOCK = threading.Lock()  # a code server evaluates sensors on several threads


def _grouped(conn: duckdb.DuckDBPyConnection, windows: list[Window], config: dict) -> list[list[tuple]]:
    """Each window's rows, in one read of all their files (raises duckdb.Error if any file is refused):
    per episode of each (log group, normalized message) in the window (its events with no quiet gap of
    ``resolved_after_quiet_hours``: one row each, in order, so an earlier episode is never hidden by the
    latest nor its events counted as the latest's) and per (file, normalized message), what ``aggregate``
    needs."""
    paths = sorted({str(path) for files, _, _ in windows for _, path in files})
    events = files_table(conn, paths)
    looks = [(i, str(path), group, epoch_ms(start), epoch_ms(end))
             for i, (files, start, end) in enumerate(windows) for group, path in files]
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE {LOOKS} AS SELECT unnest(?::INTEGER[]) AS look,
        unnest(?::VARCHAR[]) AS filename, unnest(?::VARCHAR[]) AS log_group, unnest(?::BIGINT[]) AS start_ms,
        unnest(?::BIGINT[]) AS end_ms""", [list(column) for column in zip(*looks)])
    norm, match, warning = expressions(config)
    quiet = quiet_ms(config)
    # per (log group, message), and per (file, message) too: what a later look reading back over these
    # files needs of each (episodes.remember), in the same read
    rows = conn.execute(f"""
        WITH e AS (SELECT look, log_group, filename, {norm} AS normalized, ts, message
                   FROM {events} JOIN {LOOKS} USING (filename)
                   WHERE message IS NOT NULL AND ts >= start_ms AND ts < end_ms AND regexp_matches(message, {match})
                   {ONCE.format(by="look, filename,")}),
        g AS (SELECT *, ts - lag(ts) OVER (PARTITION BY look, log_group, normalized ORDER BY ts) AS gap,
                     ts - lag(ts) OVER (PARTITION BY look, filename, normalized ORDER BY ts) AS file_gap FROM e),
        h AS (SELECT *, sum(CASE WHEN gap >= {quiet} THEN 1 ELSE 0 END) OVER (PARTITION BY look, log_group, normalized
                     ORDER BY ts ROWS UNBOUNDED PRECEDING) AS episode FROM g)
        SELECT look, log_group, normalized, count(*)::BIGINT,
               count(*) FILTER (WHERE regexp_matches(message, {warning}))::BIGINT, min(ts), max(ts),
               left(min(message), {MAX_SAMPLE}), max(ts) FILTER (WHERE gap >= {quiet}),
               filename, max(ts) FILTER (WHERE file_gap >= {quiet}), grouping(filename)
        FROM h GROUP BY GROUPING SETS ((look, log_group, normalized, episode), (look, filename, normalized))
        ORDER BY look, log_group, normalized, episode, filename""", [paths]).fetchall()
    conn.execute(f"DROP TABLE {LOOKS}")
    conn.execute(f"DROP TABLE {FILES}")
    out: list[list[tuple]] = [[] for _ in windows]
    for row in rows:
        out[row[0]].append(row[1:])
    return out


def _key(files: list[tuple[str, Path]], start: dt.datetime, end: dt.datetime, config: dict) -> tuple:
    rules = json.dumps(config, sort_keys=True, default=str)  # all of it: a rule read later can never go stale
    on_disk = tuple((group, str(path), *_size_mtime(path)) for group, path in files)
    return on_disk, start, end, rules


def _size_mtime(path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def prepare(conn: duckdb.DuckDBPyConnection, windows: list[Window], config: dict) -> None:
    """Group ``windows`` in one query and keep their rows for ``rows``. A window ``aggregate`` reads on
    its own (no file, a file listed twice) is left out; a file DuckDB refuses leaves them all to it."""
    try:
        keys = [_key(files, start, end, config) for files, start, end in windows]
    except OSError:  # a file gone meanwhile: each look finds out on its own
        return
    with _READY_LOCK:
        todo = [(w, k) for w, k in zip(windows, keys)
                if w[0] and len({str(p) for _, p in w[0]}) == len(w[0]) and k not in _READY]
    if len(todo) < 2:
        return  # one window is its own query anyway
    try:
        grouped = _grouped(conn, [w for w, _ in todo], config)
        # and the files' bad events (a file's own, kept per file), in one read rather than a look's new files each
        bad_events(conn, sorted({str(path) for (files, _, _), _ in todo for _, path in files}))
    except duckdb.Error:
        return
    with _READY_LOCK:
        for (_, key), rows in zip(todo, grouped):
            _READY[key] = rows
        while len(_READY) > _READY_KEPT:
            _READY.popitem(last=False)


def rows(conn: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]], start: dt.datetime, end: dt.datetime,
         config: dict) -> list[tuple]:
    """The window's rows (``_grouped``): prepared with others, or read now (raises duckdb.Error if a
    file is refused)."""
    try:
        key = _key(files, start, end, config)
    except OSError:  # a file gone: DuckDB's read says so (aggregate then reads file by file)
        key = None
    with _READY_LOCK:
        ready = _READY.pop(key, None) if key else None
    return ready if ready is not None else _grouped(conn, [(files, start, end)], config)[0]
