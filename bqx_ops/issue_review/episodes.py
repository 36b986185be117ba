"""CloudWatch issues over time: one issue per (log group, normalized message), created at the first
event of its *episode*.

An episode is a run of the issue's events with no quiet gap as long as the quiet-resolution rule
(``resolved_after_quiet_hours``, 72 h by default): the gap that resolves an issue also ends its episode,
and a later event opens a new one. A review reads the events of its log window, but an episode can
have begun before it: the earlier landed day files are read back, a window's length at a time, only
while some issue's episode still reaches the earliest day read, and never further back than
``episode_lookback_days`` (said in the data problems when that bound stops it). Only events before
the window's start are read back, so an instant sees nothing after it.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from bqx_ops.issue_review.model import Found

LOOKBACK_DAYS = 365  # default bound of the look-back before a window
Key = tuple[str, str]  # (log group, normalized message)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def episode_starts(conn, groups: list[dict], start: dt.datetime, log_files: Callable, config: dict
                   ) -> tuple[dict[Key, int], list[str]]:
    """(key -> epoch ms of its latest episode's first event, problems) for the window's ``groups``
    (``cloudwatch.aggregate`` rows of [start, as of)); ``log_files(lo, hi)`` lists landed day files."""
    from bqx_ops.issue_review.cloudwatch import aggregate, epoch_ms, quiet_ms

    quiet = quiet_ms(config)
    chunk = dt.timedelta(days=max(1, int(config.get("window_days", 14))))
    bound = int(config.get("episode_lookback_days", LOOKBACK_DAYS))
    starts: dict[Key, int] = {}
    pending: dict[Key, int] = {}  # episodes that may reach before the earliest instant read
    for g in groups:
        key = (g["log_group"], g["normalized"])
        starts[key] = g["restart_ms"] if g.get("restart_ms") is not None else g["first_ms"]
        if g.get("restart_ms") is None and g["first_ms"] - epoch_ms(start) < quiet:
            pending[key] = g["first_ms"]
    frontier, limit = start, start - dt.timedelta(days=bound)
    while pending and frontier > limit:
        low = max(frontier - chunk, limit)
        files, _ = log_files(low, frontier)  # days without a file hold no event of ours: nothing to add
        wanted = [(group, path) for group, path in files if group in {k[0] for k in pending}]
        found = {}
        if wanted:
            rows, _ = aggregate(conn, wanted, low, frontier, config)  # their problems are their own windows'
            found = {(r["log_group"], r["normalized"]): r for r in rows}
        for key, first in list(pending.items()):
            row, broken = found.get(key), False
            if row is not None:
                if first - row["last_ms"] >= quiet:
                    broken = True  # quiet long enough before the episode: it began at ``first``
                else:
                    first = row["restart_ms"] if row["restart_ms"] is not None else row["first_ms"]
                    broken = row["restart_ms"] is not None
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
    """One issue per group, created at its episode's first event (``starts``; without it, the window's
    latest episode); resolved at its last event when quiet for ``resolved_after_quiet_hours``."""
    from bqx_ops.issue_review.cloudwatch import from_epoch_ms

    quiet = dt.timedelta(hours=float(config.get("resolved_after_quiet_hours", 72)))
    out = []
    for g in groups:
        key = (g["log_group"], g["normalized"])
        first, last = from_epoch_ms(g["first_ms"]), from_epoch_ms(g["last_ms"])
        default = g["restart_ms"] if g.get("restart_ms") is not None else g["first_ms"]
        created = from_epoch_ms((starts or {}).get(key, default))
        level = "WARN" if g["warnings"] == g["events"] else "ERROR"
        out.append(Found(
            source="cloudwatch", source_ref=f"{g['log_group']}|{g['normalized']}", kind="log_pattern",
            title=f"{g['log_group']}: {_cut(g['normalized'], 300)}", created_at=created,
            resolved_at=last if as_of - last >= quiet else None, text=f"{g['sample']}\n{g['normalized']}",
            event_count=int(g["events"]), first_seen=first, last_seen=last,
            detail=f"{level}: {g['events']} events ({g['warnings']} warnings); e.g. {_cut(g['sample'], 300)}",
        ))
    return out
