"""A `bqx-ops demo` killed with SIGKILL anywhere is finished by the next one, unattended, and the
result is the same as an uninterrupted run's: tables, report bytes, git history and tags, outbox.

The kills are real: the demo runs as a subprocess and the test watches its progress from outside
(the docs origin's commits and tags, the Dagster instance's event log), then SIGKILLs its process
group at the moment a stage is under way. Each re-run is killed again at the next point, so one
chain crosses every stage: the snapshot run, the plan updates, mid `repo_sync` (some weeks pushed,
not recorded), mid `release_tags`, the issue reviews, the 360 assessment, the dashboard.
"""

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from bqx_ops.recovery import HOST_TAG, PID_TAG, UNFINISHED
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops_tests.demo_outputs import differences, outputs
from bqx_ops_tests.instances import instance_at

REPO = Path(__file__).resolve().parents[1]
# Sep 2025: five docs-sync weeks with two phases completed (tags), three plan-update Fridays, a
# closed issue review, Q3's 360 assessment (Sep 26) and the dashboard weeks.
WINDOW = ("--from", "2025-09-01", "--to", "2025-10-01")


def _home(root: Path) -> Path:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def _start(root: Path) -> subprocess.Popen:
    env = {**os.environ, "DAGSTER_HOME": str(_home(root))}
    env.pop("BQX_OPS_MODE", None)
    cmd = [sys.executable, "-m", "bqx_ops.cli", "demo", "--data-dir", str(root / "data"), *WINDOW]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)  # its own group: the kill takes its git children too


def _subjects(root: Path) -> list[str]:
    done = subprocess.run(["git", "--git-dir", str(root / "data" / "bqx-ml.git"), "log", "--format=%s", "--all"],
                          capture_output=True, text=True)
    return done.stdout.splitlines() if done.returncode == 0 else []


def _tags(root: Path) -> list[str]:
    done = subprocess.run(["git", "--git-dir", str(root / "data" / "bqx-ml.git"), "tag"], capture_output=True, text=True)
    return done.stdout.split() if done.returncode == 0 else []


def _count(prefix: str, n: int):
    return lambda root: sum(s.startswith(prefix) for s in _subjects(root)) >= n


def _materialized(*key: str):
    """The asset has a materialization: its run is under way or past it (the next step may be running)."""
    def ready(root: Path) -> bool:
        with instance_at(root / "home") as instance:
            return bool(instance.fetch_materializations(dg.AssetKey(list(key)), limit=1).records)
    return ready


# (where, when to kill): each point lies after the previous one, so each re-run gets further. The
# reports are queued by their runs and committed in date order by the ordered publication (one push).
KILL_POINTS = [
    ("snapshot run, validation under way", _materialized("airtable", "raw_records")),
    ("plan updates queued, write-back under way", _materialized("plan", "weekly_report")),
    ("docs sync queued, its checks under way", _materialized("docs", "repo_sync")),
    ("issue reviews queued, notifications under way", _materialized("review", "issue_review_report")),
    ("360 assessment queued", _materialized("assessment", "report")),
    ("ordered publication pushed, not yet recorded", _count("Plan update", 1)),
    ("release_tags, one tag pushed", lambda root: len(_tags(root)) >= 1),
]


def _kill_when(root: Path, ready, timeout: float = 600) -> str:
    proc = _start(root)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready(root):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return "killed"
        time.sleep(0.1)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "hung"
    return f"finished first (exit {proc.returncode})"


def _run_to_end(root: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    proc = _start(root)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # waiting forever on a dead run's pool slot looks like this
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


@pytest.mark.slow
def test_a_demo_killed_at_every_stage_is_finished_by_the_next_run_with_identical_outputs(tmp_path):
    reference = _start(tmp_path / "reference")  # uninterrupted, beside the chain (2 cores)
    crashed = tmp_path / "crashed"
    killed_runs = set()  # runs a kill left unfinished (a kill may also land between two runs: none)
    for where, ready in KILL_POINTS:
        assert _kill_when(crashed, ready) == "killed", f"the run did not reach: {where}"
        with instance_at(crashed / "home") as instance:
            # a kill may land between a run's creation and its start: NOT_STARTED or STARTING, left as well
            left = [r for r in instance.get_runs() if r.status in UNFINISHED]
            assert all(r.tags[HOST_TAG] and r.tags[PID_TAG] for r in left)  # the demo's, with its process
            killed_runs |= {r.run_id for r in left}
    out, _ = reference.communicate(timeout=900)
    assert reference.returncode == 0, out
    assert len(killed_runs) >= len(KILL_POINTS) // 2  # most kills land inside a run

    final = _run_to_end(crashed)
    assert final.returncode == 0, final.stdout
    assert not left or ("Recovered: run" in final.stdout and "marked failed" in final.stdout)  # the last kill's
    with instance_at(crashed / "home") as instance:
        runs = instance.get_runs()
        assert not [r for r in runs if r.status in (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING)]
        assert {r.run_id for r in runs if r.status == dg.DagsterRunStatus.FAILURE} == killed_runs
        assert not instance.event_log_storage.get_concurrency_run_ids()  # no slot held by anyone

    assert differences(outputs(tmp_path / "reference" / "data"), outputs(crashed / "data")) == []


WHEN = dt.datetime(2025, 9, 8, 9, tzinfo=dt.timezone.utc)


def _origin_tags(data_dir: Path) -> list[str]:
    return subprocess.run(["git", "--git-dir", str(data_dir / "bqx-ml.git"), "tag"], capture_output=True,
                          text=True, check=True).stdout.split()


def test_a_tag_a_killed_run_made_but_never_pushed_is_pushed_by_the_next_run(tmp_path):
    repo = DocsRepo(data_dir=str(tmp_path))
    sha = repo.publish({"docs/a.md": "a\n"}, "docs: a", WHEN)
    # the killed run got as far as `git tag` in the working copy, not to its push
    subprocess.run(["git", "-C", str(repo.path), "-c", "user.name=x", "-c", "user.email=x@x", "tag", "-a", "-m",
                    "left behind", "phase-0-done", sha], check=True, capture_output=True)
    assert _origin_tags(tmp_path) == []
    assert repo.tag("phase-0-done", "Phase 0 done\n", sha, WHEN) is True
    assert _origin_tags(tmp_path) == ["phase-0-done"] and repo.tags()["phase-0-done"].message == "Phase 0 done"


def test_lock_files_of_a_killed_git_do_not_stop_the_next_publish(tmp_path):
    repo = DocsRepo(data_dir=str(tmp_path))
    repo.publish({"docs/a.md": "a\n"}, "docs: a", WHEN)
    for git_dir in (repo.path / ".git", tmp_path / "bqx-ml.git"):  # working copy and embedded origin
        for lock in ("index.lock", "HEAD.lock", "packed-refs.lock", "refs/heads/main.lock"):
            (git_dir / lock).write_text("")
    sha = repo.publish({"docs/b.md": "b\n"}, "docs: b", WHEN)
    assert sha and repo.head() == sha and repo.read("docs/b.md") == "b\n"
