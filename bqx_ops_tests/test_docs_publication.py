"""Deferred publication (issue #10 item 10): a replay queues its commits, one step makes them in date
order. The ordered_publication asset materialized on a temporary DuckDB and a local bare origin."""

import datetime as dt
import os
import subprocess

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.docs_sync.publication import ordered_publication
from bqx_ops.docs_sync.queue import Publication, pending, publish_or_queue, put
from bqx_ops.resources.factory import build_resources

UTC = dt.timezone.utc
FRI, MON, NEXT_FRI = (dt.datetime(2025, 8, 22, 16, tzinfo=UTC), dt.datetime(2025, 8, 25, 9, tzinfo=UTC),
                      dt.datetime(2025, 8, 29, 16, tzinfo=UTC))


def origin_log(data_dir) -> list[tuple[str, str]]:
    """(committer date, subject) of origin's main, newest first, read with plain git."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    out = subprocess.run(["git", "-C", str(data_dir / "bqx-ml.git"), "log", "--format=%cI %s", "main"], env=env,
                         check=True, capture_output=True, text=True).stdout
    return [tuple(line.split(" ", 1)) for line in out.splitlines()]


@pytest.fixture
def data_dir(tmp_path):
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def queue(data_dir, *pubs: Publication) -> list:
    resources = build_resources("local", data_dir)
    with resources["duckdb"].get_connection() as conn:
        return [put(conn, p) for p in pubs]


def flush(data_dir) -> dg.ExecuteInProcessResult:
    result = dg.materialize([ordered_publication], resources=build_resources("local", data_dir))
    assert result.success
    return result


def report(stage: str, when: dt.datetime, text: str) -> Publication:
    path = f"docs/{stage}/{when:%Y-%m-%d}.md"
    return Publication(stage, when.date().isoformat(), when, f"{stage} {when:%Y-%m-%d}", {path: text})


def test_queued_commits_are_made_in_date_order_whatever_order_they_were_queued_in(data_dir):
    # queued as a replay queues them: one cadence over the whole history, then the next
    queue(data_dir, report("plan_update", FRI, "a"), report("plan_update", NEXT_FRI, "b"),
          report("dashboard", MON, "c"))
    flush(data_dir)
    log = origin_log(data_dir)
    assert [s for _, s in log[:3]] == ["plan_update 2025-08-29", "dashboard 2025-08-25", "plan_update 2025-08-22"]
    dates = [dt.datetime.fromisoformat(d) for d, _ in log]
    assert dates == sorted(dates, reverse=True)  # git log, newest first, reads in date order
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        assert pending(conn) == []


def test_the_same_publication_queued_again_is_not_committed_again_and_keeps_its_commit(data_dir):
    first = report("plan_update", FRI, "a")
    queue(data_dir, first)
    flush(data_dir)
    head = origin_log(data_dir)
    [again] = queue(data_dir, first)
    assert again == {"published": True}  # made: a re-run reports it done and queues nothing
    assert flush(data_dir).asset_materializations_for_node("docs__ordered_publication")[0].metadata["queued"].value == 0
    assert origin_log(data_dir) == head


def test_a_changed_publication_is_pending_again_and_committed_after_the_earlier_one(data_dir):
    queue(data_dir, report("plan_update", FRI, "a"))
    flush(data_dir)
    [pending_again] = queue(data_dir, report("plan_update", FRI, "a, corrected"))
    assert pending_again is None
    flush(data_dir)
    assert [s for _, s in origin_log(data_dir)[:2]] == ["plan_update 2025-08-22", "plan_update 2025-08-22"]


def test_only_a_deferred_run_queues_a_scheduled_run_commits_at_once(data_dir):
    resources = build_resources("local", data_dir)
    sha, outcome = publish_or_queue(resources["docs_repo"], resources["duckdb"], {}, report("plan_update", FRI, "a"))
    assert outcome == "committed" and origin_log(data_dir)[0][1] == "plan_update 2025-08-22"
    sha, outcome = publish_or_queue(resources["docs_repo"], resources["duckdb"], {"bqx_ops/publication": "deferred"},
                                    report("plan_update", NEXT_FRI, "b"))
    assert (sha, outcome) == (None, "queued") and origin_log(data_dir)[0][1] == "plan_update 2025-08-22"


def test_a_flush_killed_between_its_push_and_its_record_is_not_made_again_on_top(data_dir):
    """The kill lands where the crash test once caught it by chance: origin already holds the batch
    (git push returns only after origin's post-receive hook, which here waits to be killed), the queue
    still says pending. The next flush records the batch as made: a draft is never committed again
    over the final version of the same file."""
    import signal
    import sys
    import time

    draft = Publication("assessment", "Q3/draft", FRI, "assessment Q3 draft", {"docs/assessments/Q3.md": "draft"})
    final = Publication("assessment", "Q3/final", NEXT_FRI, "assessment Q3 final", {"docs/assessments/Q3.md": "final"})
    queue(data_dir, draft, final)
    build_resources("local", data_dir)["docs_repo"].head()  # the local origin exists
    marker, hook = data_dir / "pushed", data_dir / "bqx-ml.git" / "hooks" / "post-receive"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 120\n")
    hook.chmod(0o755)
    code = ("import dagster as dg; from pathlib import Path; from bqx_ops.resources.factory import build_resources; "
            "from bqx_ops.defs.docs_sync.publication import ordered_publication; "
            f"dg.materialize([ordered_publication], resources=build_resources('local', Path({str(data_dir)!r})))")
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    hook.unlink()
    assert marker.exists(), "the flush never pushed"
    pushed = origin_log(data_dir)
    assert [s for _, s in pushed[:2]] == ["assessment Q3 final", "assessment Q3 draft"]
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        assert len(pending(conn)) == 2  # on origin, not recorded: the state the kill leaves

    flush(data_dir)
    assert origin_log(data_dir) == pushed  # nothing made again
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        assert pending(conn) == []
