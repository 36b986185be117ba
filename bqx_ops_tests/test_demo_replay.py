"""The demo as a replay of history (issue #10 items 10 and 11): nothing dated after the requested
period, and a second run on the same data dir changes nothing and sends nothing."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow  # two demo subprocesses over twelve days (a plan week, a closed and an open sync week)


def demo(data: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "bqx_ops.cli", "demo", "--data-dir", str(data), *args],
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def git(data: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(data / "bqx-ml.git"), *args], capture_output=True, text=True,
                          check=True).stdout


def state(data: Path) -> dict:
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        outbox = conn.execute("SELECT key, version, payload_sha256, status FROM ops.outbox ORDER BY key").fetchall()
    sinks = {p.name: p.read_bytes() for p in sorted((data / "sinks").glob("*.jsonl"))}
    return {"head": git(data, "rev-parse", "main"), "tags": git(data, "tag", "--list"), "outbox": outbox,
            "sinks": sinks, "readme": git(data, "show", "main:README.md")}


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    data = tmp_path_factory.mktemp("replay") / "data"
    demo(data, "--from", "2026-03-20", "--to", "2026-03-31")
    first = state(data)
    demo(data, "--from", "2026-03-20", "--to", "2026-03-31")
    return data, first, state(data)


def test_nothing_is_dated_after_the_requested_period(replayed):
    data, _, _ = replayed
    dates = [dt.datetime.fromisoformat(d) for d in git(data, "log", "--format=%cI", "main").split()]
    assert dates and max(dates) <= dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.timezone.utc)
    changelog = git(data, "show", "main:CHANGELOG.md")
    headings = [line for line in changelog.splitlines() if line.startswith("## ")]
    assert headings and all(line[3:13] <= "2026-03-31" for line in headings), headings
    assert "## 2026-03-31 (in progress)" in changelog  # the week of 03-30, as of the period's end
    assert "2026-04-06" not in changelog  # not even in a hidden mark: entries are keyed by their week's first day


def test_a_second_run_on_the_same_data_dir_changes_nothing_and_sends_nothing(replayed):
    _, first, second = replayed
    assert second == first


def test_a_replayed_history_reads_in_date_order_in_git_log(replayed):
    """Each cadence runs over the whole period, one after the other; their commits were queued and made
    in date order: git log (newest first) never goes forward in time, across all the cadences."""
    data, _, _ = replayed
    log = [line.split(" ", 1) for line in git(data, "log", "--format=%cI %s", "main").splitlines()]
    dates = [dt.datetime.fromisoformat(d) for d, _ in log]
    assert dates == sorted(dates, reverse=True), log
    subjects = " | ".join(s for _, s in log)
    for cadence in ("Plan update", "weekly sync", "360 plan assessment", "Success metrics dashboard"):
        assert cadence in subjects, (cadence, subjects)  # the order is across cadences, not within one
