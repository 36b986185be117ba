"""A landed CloudWatch day file's events as DuckDB reads them: the SQL pieces the review's grouping
(``cloudwatch``, ``cloudwatch_windows``) and the episodes' look-back share, the timestamps a day file may
hold, and the events of a file that cannot be counted (``bad_events``, kept per file as it is on disk).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import OrderedDict
from pathlib import Path

import duckdb

from bqx_ops.calendar import UTC

FILES = "review_cloudwatch_files"  # the files read: the plausible timestamps of each
MAX_SAMPLE = 2000  # characters of one example message kept per issue
MAX_KEY = 4000  # characters of a normalized message kept as its identity


def epoch_ms(moment: dt.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def from_epoch_ms(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def normalized_sql(column: str, rules: list) -> str:
    """Nested regexp_replace calls applying the normalization rules in order."""
    expr = column
    for pattern, replacement in rules:
        expr = f"regexp_replace({expr}, {_literal(pattern)}, {_literal(replacement)}, 'g')"
    return f"left(trim({expr}), {MAX_KEY})"


COLUMNS = "columns = {'message': 'JSON', 'timestamp': 'VARCHAR', 'eventId': 'VARCHAR'}"
# An event listed twice in one day file (the same eventId: pages fetched twice, files joined by hand) is one
# event: counted once, the repeat reported. The copy kept is the earliest, then the smallest message.
ONCE = "QUALIFY event_id IS NULL OR row_number() OVER (PARTITION BY {by} event_id ORDER BY ts, message) = 1"
# An event's message as text: only a JSON string is one. A message that is null, missing, a number or an
# object ({"ERROR": 1}) is no log line (read as VARCHAR, the object's JSON was matched as an error): it is
# never counted, and the events without one are reported (``bad_events``).
TEXT_MESSAGE = "CASE WHEN json_type(message) = 'VARCHAR' THEN message ->> '$' END"
NOT_TEXT = "json_type(message) IS DISTINCT FROM 'VARCHAR'"


def file_day(path: Path) -> dt.date | None:
    """The day a day file is named for (``2026-03-14.json``), None for any other name."""
    try:
        return dt.date.fromisoformat(Path(path).stem)
    except ValueError:
        return None


def expressions(config: dict) -> tuple[str, str, str]:
    """The SQL of the normalized message, and the ``match`` and ``warning`` patterns as literals."""
    return (normalized_sql("message", config.get("normalize") or []), _literal(config.get("match", "ERROR|WARN")),
            _literal(config.get("warning", "WARN")))


def quiet_ms(config: dict) -> int:
    """The quiet-resolution rule in milliseconds: a gap this long ends an episode (and resolves an issue)."""
    return int(float(config.get("resolved_after_quiet_hours", 72)) * 3_600_000)


def bounds(path: Path) -> tuple[int | None, int | None]:
    """The timestamps a day file's events may carry: within a day of its day (None: no day in its name)."""
    day = file_day(path)
    if day is None:
        return None, None
    midnight = epoch_ms(dt.datetime.combine(day, dt.time()))
    return midnight - 86_400_000, midnight + 2 * 86_400_000


def files_table(conn: duckdb.DuckDBPyConnection, paths: list[str]) -> str:
    """A temporary table of the files (each with the timestamps its events may carry) and the SQL of
    their events joined to it; the query using it passes ``paths`` as its first parameter."""
    limits = [bounds(Path(path)) for path in paths]
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE {FILES} AS SELECT unnest(?::VARCHAR[]) AS filename,
        unnest(?::BIGINT[]) AS low, unnest(?::BIGINT[]) AS high""",
                 [paths, [b[0] for b in limits], [b[1] for b in limits]])
    return (f"(SELECT f.filename, f.low, f.high, {TEXT_MESSAGE} AS message, {NOT_TEXT} AS no_text, "
            f"e.timestamp AS raw, TRY_CAST(e.timestamp AS BIGINT) AS ts, e.eventId AS event_id "
            f"FROM read_json(?, format = 'array', filename = true, {COLUMNS}) e JOIN {FILES} f USING (filename))")


# The events of a day file with a timestamp it cannot hold, per file as it is on disk (path, size,
# mtime): a file's own property, whatever the window. A replay's looks read mostly the same files
# (14-day windows a day apart): each was parsed a second time per look only to count these.
_BAD: OrderedDict[tuple, tuple | None] = OrderedDict()
_BAD_KEPT = 10_000
_BAD_LOCK = threading.Lock()


_OUT_OF_DAY = "(low IS NOT NULL AND (ts IS NULL OR ts < low OR ts >= high))"


def _file_key(path: str) -> tuple:
    stat = os.stat(path)
    return path, stat.st_size, stat.st_mtime_ns


def bad_events(conn: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, tuple | None]:
    """path -> (count, an example) of its events with a missing or implausible timestamp, the count of
    those whose message is not text and of the repeats of an eventId; None when it has none of these."""
    keys = {path: _file_key(path) for path in paths}
    with _BAD_LOCK:  # a code server evaluates sensors on several threads
        out = {path: _BAD[keys[path]] for path in paths if keys[path] in _BAD}
    unknown = [path for path in paths if path not in out]
    if unknown:
        events = files_table(conn, unknown)
        found = {name: tuple(counts) for name, *counts in conn.execute(f"""
            SELECT filename, count(*) FILTER (WHERE {_OUT_OF_DAY}), min(raw) FILTER (WHERE {_OUT_OF_DAY}),
                   count(*) FILTER (WHERE no_text), count(event_id) - count(DISTINCT event_id) AS repeated
            FROM {events} GROUP BY filename
            HAVING count(*) FILTER (WHERE {_OUT_OF_DAY} OR no_text) > 0 OR repeated > 0""", [unknown]).fetchall()}
        conn.execute(f"DROP TABLE {FILES}")
        with _BAD_LOCK:
            for path in unknown:
                out[path] = _BAD[keys[path]] = found.get(path)
            while len(_BAD) > _BAD_KEPT:
                _BAD.popitem(last=False)
    return out
