"""CloudWatch issues over time: one issue per (log group, normalized message), created at the first
event of its *episode*.

An episode is a run of the issue's events with no quiet gap as long as the quiet-resolution rule
(``resolved_after_quiet_hours``, 72 h by default): the gap that resolves an issue also ends its episode,
and a later event opens a new one. A review reads the events of its log window, but an episode can
have begun before it: the earlier landed day files are read back, a window's length at a time, only
while some issue's episode still reaches the earliest day read, and never further back than
``episode_lookback_days`` (said in the data problems when that bound stops it). Only day files up to
the window's first day are read back, and no event at or after the instant, so an instant sees
nothing after it. What each day file holds is kept per file (as it is on disk), from the window read
that had the whole file or from the look-back's own read: a replay reads each file about once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import duckdb

from bqx_ops.issue_review.cloudwatch_events import (
    COLUMNS,
    TEXT_MESSAGE,
    epoch_ms,
    expressions,
    from_epoch_ms,
    quiet_ms,
)
from bqx_ops.issue_review.model import Found
from bqx_ops.plan_update.fmt import plural

LOOKBACK_DAYS = 365  # default bound of the look-back before a window
DAY = dt.timedelta(days=1)
Key = tuple[str, str]  # (log group, normalized message)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Per landed day file, what the look-back needs of it: (log group, normalized) -> (first, last, restart) ms
# of its matching events. Keyed by the file as it is on disk (path, size, mtime) and the rules: a replay's
# looks read back over mostly the same files. A file of the window's first days also holds events of the
# window itself: they are the episode's own (its first event in the window is the earliest of them).
_RUNS: OrderedDict[tuple, dict] = OrderedDict()
_RUNS_KEPT = 20_000
_RUNS_LOCK = threading.Lock()
_EARLIEST = dt.datetime(1971, 1, 1)


def _runs_together(conn, paths: list[str], end_ms: int, config: dict) -> list[tuple]:
    """(file, normalized, first, last, restart) of the files' matching events before ``end_ms``, in one
    read (raises duckdb.Error if DuckDB refuses a file)."""
    norm, match, _ = expressions(config)
    return conn.execute(f"""
        WITH e AS (SELECT filename, {norm} AS normalized, TRY_CAST(timestamp AS BIGINT) AS ts
                   FROM (SELECT filename, timestamp, {TEXT_MESSAGE} AS message
                         FROM read_json(?, format = 'array', filename = true, {COLUMNS}))
                   WHERE message IS NOT NULL AND regexp_matches(message, {match})),
        g AS (SELECT *, ts - lag(ts) OVER (PARTITION BY filename, normalized ORDER BY ts) AS gap
              FROM e WHERE ts IS NOT NULL AND ts < ?)
        SELECT filename, normalized, min(ts), max(ts), max(ts) FILTER (WHERE gap >= {quiet_ms(config)})
        FROM g GROUP BY filename, normalized""", [paths, end_ms]).fetchall()


def _file_key(group: str, path: Path, rules: str) -> tuple:
    stat = os.stat(path)
    return str(path), group, stat.st_size, stat.st_mtime_ns, rules


def _rules_key(config: dict) -> str:
    return json.dumps({k: config.get(k) for k in ("match", "normalize", "resolved_after_quiet_hours")},
                      sort_keys=True, default=str)


def remember(files: list[tuple[str, Path]], rows: list[tuple], start: dt.datetime, end: dt.datetime,
             config: dict) -> None:
    """Keep what a window's read found per file (``rows``: file, normalized, first, last, restart) for
    the files whose every plausible timestamp (a day either side of their day) lies in [start, end)."""
    rules, found = _rules_key(config), {}
    for filename, normalized, first, last, restart in rows:
        found.setdefault(filename, {})[normalized] = (first, last, restart)
    keep = {}
    for group, path in files:
        try:
            day = dt.datetime.combine(dt.date.fromisoformat(Path(path).stem), dt.time())
        except ValueError:
            continue
        if start <= day - DAY and day + 2 * DAY <= end:
            keep[_file_key(group, Path(path), rules)] = {(group, n): r for n, r in found.get(str(path), {}).items()}
    with _RUNS_LOCK:
        _RUNS.update(keep)
        while len(_RUNS) > _RUNS_KEPT:
            _RUNS.popitem(last=False)


def _file_runs(conn, files: list[tuple[str, Path]], config: dict, instant: dt.datetime) -> dict[Path, dict]:
    """path -> {(log group, normalized): (first, last, restart)} of its matching events up to the end
    of the day after its own (the timestamps a day file may hold), and never at or after ``instant``."""
    from bqx_ops.issue_review.cloudwatch import aggregate  # which imports this module

    rules = _rules_key(config)
    keys = {path: _file_key(group, path, rules) for group, path in files}
    with _RUNS_LOCK:
        out = {path: _RUNS[key] for path, key in keys.items() if key in _RUNS}
    unknown = [(group, path) for group, path in files if path not in out]
    if unknown:
        last_day = max(dt.date.fromisoformat(path.stem) for _, path in unknown)
        end = min(dt.datetime.combine(last_day, dt.time()) + 2 * DAY, instant)
        found: dict[Path, dict] = {path: {} for _, path in unknown}
        group_of = {str(path): group for group, path in unknown}
        try:  # one lean read of all of them
            rows = _runs_together(conn, [str(path) for _, path in unknown], epoch_ms(end), config)
        except duckdb.Error:  # a file DuckDB refuses: the review's own careful reading, each file its own "group"
            rows, _ = aggregate(conn, [(str(path), path) for _, path in unknown], _EARLIEST, end, config)
            rows = [(r["log_group"], r["normalized"], r["first_ms"], r["last_ms"], r["restart_ms"]) for r in rows]
        for path, normalized, first, last, restart in rows:
            found[Path(path)][(group_of[path], normalized)] = (first, last, restart)
        with _RUNS_LOCK:
            for path, runs in found.items():
                out[path] = _RUNS[keys[path]] = runs
            while len(_RUNS) > _RUNS_KEPT:
                _RUNS.popitem(last=False)
    return out


def episode_starts(conn, groups: list[dict], start: dt.datetime, log_files: Callable, config: dict
                   ) -> tuple[dict[Key, int], list[str]]:
    """(key -> epoch ms of the first event of its first episode in the window, looked back for, problems)
    for the window's ``groups`` (``cloudwatch.aggregate`` rows of [start, as of): one per episode, a later
    episode beginning at its own first event); ``log_files(lo, hi)`` lists landed day files."""
    quiet = quiet_ms(config)
    chunk = dt.timedelta(days=max(1, int(config.get("window_days", 14))))
    bound = int(config.get("episode_lookback_days", LOOKBACK_DAYS))
    starts: dict[Key, int] = {}
    pending: dict[Key, int] = {}  # episodes that may reach before the earliest instant read
    for g in groups:  # only a key's first episode in the window can have begun before it
        if g.get("restart_ms") is not None:
            continue
        key = (g["log_group"], g["normalized"])
        starts[key] = g["first_ms"]
        if g["first_ms"] - epoch_ms(start) < quiet:
            pending[key] = g["first_ms"]
    frontier, limit, seen = start, start - dt.timedelta(days=bound), set()
    while pending and frontier > limit:
        low = max(frontier - chunk, limit)
        files, _ = log_files(low, frontier)  # days without a file hold no event of ours: nothing to add
        wanted = {k[0] for k in pending}
        files = [(group, Path(path)) for group, path in files if group in wanted and Path(path) not in seen]
        seen |= {path for _, path in files}
        runs = _file_runs(conn, files, config, start + chunk) if files else {}  # start + chunk: the instant
        for key, first in list(pending.items()):
            parts = sorted((r for path in runs for k, r in runs[path].items() if k == key), key=lambda r: -r[1])
            broken = False
            for run_first, run_last, restart in parts:  # latest first
                if first - run_last >= quiet:
                    broken = True  # quiet long enough before the episode: it began at ``first``
                    break
                if restart is not None and restart <= first:
                    first, broken = restart, True  # a quiet gap inside this file
                    break
                first = min(first, run_first)
            starts[key] = first
            if broken or first - epoch_ms(low) >= quiet:
                del pending[key]
            else:
                pending[key] = first
        frontier = low
    problems = []
    if pending:
        problems.append(f"{len(pending)} issue(s) already active {bound} days before the log window "
                        f"({limit.date()}): the look-back stops there, so their creation is their first event "
                        "since then")
    return starts, problems


def log_issues(groups: list[dict], as_of: dt.datetime, config: dict,
               starts: dict[Key, int] | None = None) -> list[Found]:
    """One issue per episode (``groups``: a key's episodes in order), created at its first event (the first
    episode's from ``starts``, looked back for); resolved at its last event when quiet for
    ``resolved_after_quiet_hours``. Its events, level and sample are its own episode's, so an episode's
    priority (the rules' event counts) and time to close never mix another's. The latest episode is the
    issue (``log group|message``, the fingerprint kept across reviews); an earlier one of the window, over
    before the latest began, is its own resolved issue (``…|since-<its start>``), never hidden."""
    quiet = dt.timedelta(hours=float(config.get("resolved_after_quiet_hours", 72)))
    latest: dict[Key, int] = {}
    for g in groups:
        key = (g["log_group"], g["normalized"])
        latest[key] = max(latest.get(key, g["first_ms"]), g["first_ms"])
    out = []
    for g in groups:
        key = (g["log_group"], g["normalized"])
        first, last = from_epoch_ms(g["first_ms"]), from_epoch_ms(g["last_ms"])
        begun = g["restart_ms"] if g.get("restart_ms") is not None else (starts or {}).get(key, g["first_ms"])
        created = from_epoch_ms(begun)
        ref = f"{g['log_group']}|{g['normalized']}"
        if g["first_ms"] != latest[key]:
            ref += f"|since-{created:%Y%m%dT%H%M%S}"
        level = "WARN" if g["warnings"] == g["events"] else "ERROR"
        out.append(Found(
            source="cloudwatch", source_ref=ref, kind="log_pattern",
            title=f"{g['log_group']}: {_cut(g['normalized'], 300)}", created_at=created,
            resolved_at=last if as_of - last >= quiet else None, text=f"{g['sample']}\n{g['normalized']}",
            event_count=int(g["events"]), first_seen=first, last_seen=last,
            detail=f"{level}: {plural(g['events'], 'event')} ({plural(g['warnings'], 'warning')}); "
                   f"e.g. {_cut(g['sample'], 300)}",
        ))
    return out
