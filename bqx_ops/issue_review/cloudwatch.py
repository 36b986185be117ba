"""CloudWatch Logs errors and warnings of a review window, grouped into issues inside DuckDB.

Volumes can be large, so events never pass through Python here: each landed day
file (a ``filter_log_events`` "events" array) is read, filtered (ERROR/WARN...),
normalized and grouped by DuckDB itself, and only its per-fingerprint partial
counts are appended to a temporary staging table; the partials are then merged into
one row per (log group, normalized message) with count, first and last seen.
Memory stays flat whatever the number of events (see benchmarks/cloudwatch_volume.py).

The regular expressions (``match``, ``warning``, ``normalize``) run in DuckDB: RE2 syntax.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from bqx_ops.issue_review import cloudwatch_windows
from bqx_ops.issue_review.cloudwatch_events import (
    COLUMNS,
    MAX_SAMPLE,
    NOT_TEXT,
    ONCE,
    TEXT_MESSAGE,
    bad_events,
    bounds,
    epoch_ms,
    expressions,
    quiet_ms,
)
from bqx_ops.issue_review.episodes import remember
from bqx_ops.landing import read_json, why_unreadable
from bqx_ops.lazy import pd
from bqx_ops.sanitize import is_clean, visible

STAGING = "review_cloudwatch_partials"
EVENTS = "review_cloudwatch_file"  # the events of the file being aggregated
# one episode's row (a (log group, normalized message) has one per episode in the window, in order);
# restart_ms: its first event when a quiet gap inside the window precedes it, None for the window's first
GROUP_KEYS = ("log_group", "normalized", "events", "warnings", "first_ms", "last_ms", "sample", "restart_ms")


def window(as_of: dt.datetime, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The review's log window [as_of - days, as_of), naive UTC."""
    return as_of - dt.timedelta(days=days), as_of


def review_window(period_start: dt.datetime, as_of: dt.datetime, days: int,
                  began: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """A review's log window: the ``days`` before its instant, from its period's start when the period is
    longer (the 15th to the 1st: up to 17 days), so no event of the period goes unreviewed; never before
    the project ``began`` (the first period starts before it: its earlier days are no missing day files)."""
    start, end = window(as_of, days)
    start = min(start, period_start)
    if began is not None and start < (first := dt.datetime.combine(began, dt.time())) < end:
        start = first
    return start, end


def window_days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """Every calendar day touching [start, end)."""
    last = (end - dt.timedelta(microseconds=1)).date()
    out, day = [], start.date()
    while day <= last:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def _escaped_events(path: Path) -> tuple[pd.DataFrame, int]:
    """The events of a file DuckDB refused (a lone surrogate in one message rejects the whole file
    there), read by Python with every bad character made visible; and how many were escaped."""
    events = read_json(Path(path))
    if not isinstance(events, list):
        raise ValueError("not a JSON array of events")
    messages, stamps, ids, escaped = [], [], [], 0
    for event in events:
        message = event.get("message") if isinstance(event, dict) else None
        if isinstance(message, str) and not is_clean(message):
            escaped += 1
            message = visible(message)
        messages.append(message if isinstance(message, str) else None)
        stamp = event.get("timestamp") if isinstance(event, dict) else None
        stamps.append(None if stamp is None else visible(stamp))
        event_id = event.get("eventId") if isinstance(event, dict) else None
        ids.append(None if event_id is None else visible(event_id))
    return pd.DataFrame({"message": pd.Series(messages, dtype="string"),
                         "timestamp": pd.Series(stamps, dtype="string"),
                         "event_id": pd.Series(ids, dtype="string")}), escaped


def aggregate(conn: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]], start: dt.datetime,
              end: dt.datetime, config: dict) -> tuple[list[dict], list[str]]:
    """(groups, problems): one group per episode of each (log group, normalized message) over the files'
    events in [start, end) that match ``config['match']``, in order; an unreadable file is a problem, not
    a failure.

    Nothing is dropped silently: events whose timestamp is missing, not a number, or not within a
    day of its file's day (seconds instead of milliseconds, far future) are counted and reported,
    and a file with a lone surrogate in a message is read again with it escaped."""
    paths = [str(path) for _, path in files]
    if paths and len(set(paths)) == len(paths):
        try:  # the usual case: every file parses, so two statements read and group the whole window
            return _aggregate_together(conn, files, start, end, config)
        except duckdb.Error:
            pass  # a file DuckDB refuses: file by file, so the others still count and that one is named
    return _aggregate_each(conn, files, start, end, config)


def _bad_timestamps(log_group: str, path, count: int, example, no_text: int = 0, repeated: int = 0) -> list[str]:
    out = [f"{log_group}: {count} event(s) in {Path(path).name} with a timestamp that is missing "
           f"or not within a day of the file's day (e.g. {visible(example)[:40]!r}: seconds instead of "
           "milliseconds, or far in the future) not counted"] if count else []
    if no_text:
        out.append(f"{log_group}: {no_text} event(s) in {Path(path).name} whose message is not text (null, missing, "
                   "a number or an object) not counted")
    if repeated:
        out.append(f"{log_group}: {repeated} event(s) in {Path(path).name} listed again with the same eventId; each "
                   "counted once")
    return out


def _aggregate_together(conn: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]], start: dt.datetime,
                        end: dt.datetime, config: dict) -> tuple[list[dict], list[str]]:
    """``aggregate`` in one read of all the files (raises duckdb.Error if any file is refused); the read
    may have been made beforehand with other windows' (``cloudwatch_windows.prepare``)."""
    rows = cloudwatch_windows.rows(conn, files, start, end, config)
    remember(files, [(r[8], r[1], r[4], r[5], r[9]) for r in rows if not r[10]], start, end, config)
    rows = [r[:8] for r in rows if r[10]]
    bad = bad_events(conn, [str(path) for _, path in files])
    problems = [p for group, path in files if bad.get(str(path)) for p in _bad_timestamps(group, path, *bad[str(path)])]
    return [dict(zip(GROUP_KEYS, row)) for row in rows], problems


def _aggregate_each(conn: duckdb.DuckDBPyConnection, files: list[tuple[str, Path]], start: dt.datetime,
                    end: dt.datetime, config: dict) -> tuple[list[dict], list[str]]:
    """``aggregate`` file by file: a file DuckDB refuses is read by Python, or named as unreadable."""
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE {STAGING} (log_group VARCHAR, normalized VARCHAR,
        events BIGINT, warnings BIGINT, first_ms BIGINT, last_ms BIGINT, sample VARCHAR, restart_ms BIGINT)""")
    norm, match, warning = expressions(config)
    quiet, problems = quiet_ms(config), []
    for log_group, path in files:
        low, high = bounds(path)
        insert = f"""
            INSERT INTO {STAGING}
            WITH e AS (SELECT {norm} AS normalized, ts, message FROM {EVENTS}
                       WHERE message IS NOT NULL AND ts >= ? AND ts < ? AND regexp_matches(message, {match})
                       {ONCE.format(by="")}),
            g AS (SELECT *, ts - lag(ts) OVER (PARTITION BY normalized ORDER BY ts) AS gap FROM e),
            h AS (SELECT *, sum(CASE WHEN gap >= {quiet} THEN 1 ELSE 0 END) OVER (PARTITION BY normalized
                         ORDER BY ts ROWS UNBOUNDED PRECEDING) AS episode FROM g)
            SELECT ?, normalized, count(*), count(*) FILTER (WHERE regexp_matches(message, {warning})),
                   min(ts), max(ts), left(min(message), {MAX_SAMPLE}), max(ts) FILTER (WHERE gap >= {quiet})
            FROM h GROUP BY normalized, episode"""
        escaped = 0
        try:  # one parse of the file, by DuckDB, into a temporary table read twice
            conn.execute(f"CREATE OR REPLACE TEMP TABLE {EVENTS} AS SELECT {TEXT_MESSAGE} AS message, {NOT_TEXT} AS "
                         f"no_text, timestamp AS raw, TRY_CAST(timestamp AS BIGINT) AS ts, eventId AS event_id "
                         f"FROM read_json(?, format = "
                         f"'array', {COLUMNS})", [str(path)])
        except duckdb.Error as exc:
            try:
                events, escaped = _escaped_events(path)
            except (OSError, ValueError, UnicodeDecodeError) as fallback:
                # DuckDB's message names the file by its local path: a report names it by its day only
                why = str(exc).splitlines()[0].replace(str(path), Path(path).name)
                problems.append(f"{log_group}: unreadable log file {Path(path).name}: {why} "
                                f"({why_unreadable(fallback)})")
                continue
            conn.register("review_cloudwatch_escaped", events)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE {EVENTS} AS SELECT message::VARCHAR AS message, message IS NULL "
                         "AS no_text, timestamp::VARCHAR AS raw, TRY_CAST(timestamp AS BIGINT) AS ts, "
                         "event_id::VARCHAR AS event_id FROM review_cloudwatch_escaped")
            conn.unregister("review_cloudwatch_escaped")
        conn.execute(insert, [epoch_ms(start), epoch_ms(end), log_group])
        out_of_day = "(? IS NOT NULL AND (ts IS NULL OR ts < ? OR ts >= ?))"
        bad = conn.execute(f"SELECT count(*) FILTER (WHERE {out_of_day}), min(raw) FILTER (WHERE {out_of_day}), "
                           f"count(*) FILTER (WHERE no_text), count(event_id) - count(DISTINCT event_id) FROM {EVENTS}",
                           [low, low, high] * 2).fetchone()
        conn.execute(f"DROP TABLE {EVENTS}")
        if escaped:
            problems.append(f"{log_group}: {escaped} event(s) in {Path(path).name} with a lone surrogate or control "
                            "character in the message, counted with it escaped")
        problems += _bad_timestamps(log_group, path, *bad)
    # each file's episodes joined across files into the window's: a part beginning a quiet gap after every
    # earlier part of its group begins an episode (the window's read together, ``_grouped``, gives the same)
    rows = conn.execute(f"""
        WITH p AS (SELECT *, first_ms - max(last_ms) OVER (PARTITION BY log_group, normalized ORDER BY first_ms
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS gap FROM {STAGING}),
        q AS (SELECT *, sum(CASE WHEN gap >= {quiet} THEN 1 ELSE 0 END) OVER (PARTITION BY log_group, normalized
              ORDER BY first_ms ROWS UNBOUNDED PRECEDING) AS episode FROM p)
        SELECT log_group, normalized, sum(events)::BIGINT, sum(warnings)::BIGINT, min(first_ms), max(last_ms),
               min(sample), CASE WHEN episode > 0 THEN min(first_ms) END
        FROM q GROUP BY log_group, normalized, episode ORDER BY log_group, normalized, episode""").fetchall()
    conn.execute(f"DROP TABLE IF EXISTS {STAGING}")
    return [dict(zip(GROUP_KEYS, row)) for row in rows], problems
