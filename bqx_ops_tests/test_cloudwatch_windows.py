"""A replay's CloudWatch windows grouped together (cloudwatch_windows.prepare) give each look exactly what
its own window holds: checked against the day files' events counted in plain Python, look by look."""

import datetime as dt
import json
import os
import random

import duckdb

from bqx_ops.issue_review import cloudwatch, cloudwatch_windows
from bqx_ops.issue_review.rules import load_rules

RULES = load_rules(path="")
QUIET = dt.timedelta(hours=72)
GROUPS = ("/app/api", "/app/jobs")
# no digits: nothing normalized
MESSAGES = ("ERROR disk full", "WARN slow answer", "ERROR timeout upstream", "INFO all good")


def ms(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def write_days(folder, first: dt.date, days: int) -> None:
    """Day files of both groups: bursts with quiet gaps, events a day either side of their file's day,
    an eventId listed twice, a timestamp in seconds, a message that is not text."""
    rng = random.Random(7)
    for group in GROUPS:
        (folder / group.strip("/").replace("/", "_")).mkdir(parents=True)
        for n in range(days):
            day = first + dt.timedelta(days=n)
            if n % 9 in (4, 5, 6, 7):  # quiet stretches longer than 72 h
                events = []
            else:
                midnight = dt.datetime.combine(day, dt.time())
                events = [{"timestamp": ms(midnight + dt.timedelta(minutes=rng.randrange(-600, 24 * 60 + 600))),
                           "message": rng.choice(MESSAGES), "eventId": f"{group}-{n}-{i}"}
                          for i in range(rng.randrange(1, 6))]
                if events and n % 5 == 0:
                    events.append(dict(events[0]))  # listed again: counted once
                if n % 7 == 0:
                    events += [{"timestamp": ms(midnight) // 1000, "message": "ERROR in seconds"},
                               {"timestamp": ms(midnight), "message": {"ERROR": 1}}]
            (folder / group.strip("/").replace("/", "_") / f"{day}.json").write_text(json.dumps(events))


def window_files(folder, start: dt.datetime, end: dt.datetime) -> list:
    out = []
    for group in GROUPS:
        for day in cloudwatch.window_days(start, end):
            path = folder / group.strip("/").replace("/", "_") / f"{day}.json"
            if path.exists():
                out.append((group, path))
    return out


def expected(files: list, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """(log group, message, events, warnings, first, last, restart) per episode (a run of events with no gap
    of 72 h or more; restart: its first event after such a gap, None for the window's first) in plain
    Python over the files' JSON."""
    low, high, kept = ms(start), ms(end), {}
    for group, path in files:
        seen = {}
        for event in json.loads(path.read_text()):
            message, ts = event.get("message"), event.get("timestamp")
            if not isinstance(message, str) or not isinstance(ts, int) or not low <= ts < high:
                continue
            if not any(word in message for word in ("ERROR", "WARN")):
                continue
            key = event.get("eventId") or id(event)
            if key not in seen or (ts, message) < seen[key][:2]:
                seen[key] = (ts, message, group)
        for ts, message, group in seen.values():
            kept.setdefault((group, message), []).append(ts)
    out = []
    for (group, message), stamps in sorted(kept.items()):
        stamps.sort()
        quiet_ms = QUIET.total_seconds() * 1000
        episodes = [[stamps[0]]]
        for earlier, later in zip(stamps, stamps[1:]):
            if later - earlier >= quiet_ms:
                episodes.append([later])
            else:
                episodes[-1].append(later)
        for i, ep in enumerate(episodes):
            out.append((group, message, len(ep), len(ep) if message.startswith("WARN") else 0, ep[0], ep[-1],
                        ep[0] if i else None))
    return out


def grouped(groups: list[dict]) -> list[tuple]:
    return [(g["log_group"], g["normalized"], g["events"], g["warnings"], g["first_ms"], g["last_ms"], g["restart_ms"])
            for g in groups]


def test_windows_grouped_together_give_each_look_what_its_own_window_holds(tmp_path):
    write_days(tmp_path, dt.date(2026, 1, 1), 60)
    looks = [dt.datetime(2026, 1, 10, 9) + dt.timedelta(days=n) for n in range(45)]
    windows = [(window_files(tmp_path, *cloudwatch.window(t, 14)), *cloudwatch.window(t, 14)) for t in looks]
    with duckdb.connect() as conn:
        for i in range(0, len(windows), 16):
            cloudwatch_windows.prepare(conn, windows[i:i + 16], RULES.cloudwatch)
            assert len(cloudwatch_windows._READY) == len(windows[i:i + 16])  # grouped beforehand, in one query
            for files, start, end in windows[i:i + 16]:
                groups, problems = cloudwatch.aggregate(conn, files, start, end, RULES.cloudwatch)
                assert grouped(groups) == expected(files, start, end), start
                # the bad events are each file's own, reported by every window reading it
                assert len([p for p in problems if "in seconds" in p or "not within a day" in p]) == \
                       len([1 for _, path in files if "ERROR in seconds" in path.read_text()])
            assert not cloudwatch_windows._READY  # each taken as it was used


def test_a_file_changed_after_its_window_was_grouped_is_read_as_it_is_now(tmp_path):
    write_days(tmp_path, dt.date(2026, 1, 1), 30)
    looks = [dt.datetime(2026, 1, 16, 9) + dt.timedelta(days=n) for n in range(3)]
    windows = [(window_files(tmp_path, *cloudwatch.window(t, 14)), *cloudwatch.window(t, 14)) for t in looks]
    with duckdb.connect() as conn:
        cloudwatch_windows.prepare(conn, windows, RULES.cloudwatch)
        files, start, end = windows[1]
        group, path = files[3]
        events = json.loads(path.read_text()) + [{"timestamp": ms(start + dt.timedelta(days=4)),
                                                   "message": "ERROR written later", "eventId": "late"}]
        path.write_text(json.dumps(events))
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
        for files, start, end in windows:
            groups, _ = cloudwatch.aggregate(conn, files, start, end, RULES.cloudwatch)
            assert grouped(groups) == expected(files, start, end)
        assert (group, "ERROR written later") in {(g["log_group"], g["normalized"]) for g in groups}
    cloudwatch_windows._READY.clear()


def test_a_file_duckdb_refuses_leaves_every_window_to_its_own_careful_read(tmp_path):
    write_days(tmp_path, dt.date(2026, 1, 1), 30)
    looks = [dt.datetime(2026, 1, 16, 9) + dt.timedelta(days=n) for n in range(3)]
    windows = [(window_files(tmp_path, *cloudwatch.window(t, 14)), *cloudwatch.window(t, 14)) for t in looks]
    broken = tmp_path / "app_api" / "2026-01-10.json"
    broken.write_text("[{not json")
    with duckdb.connect() as conn:
        cloudwatch_windows.prepare(conn, windows, RULES.cloudwatch)
        assert not cloudwatch_windows._READY
        for files, start, end in windows:
            groups, problems = cloudwatch.aggregate(conn, files, start, end, RULES.cloudwatch)
            readable = [(g, p) for g, p in files if p != broken]
            assert grouped(groups) == expected(readable, start, end)
            assert len([p for p in problems if "unreadable log file 2026-01-10.json" in p]) == 1
