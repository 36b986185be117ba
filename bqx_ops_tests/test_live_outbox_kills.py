"""Live delivery killed (SIGKILL) while each far side has acted but not yet answered: Slack, GitHub and
Airtable on the local servers, their answers slowed so the kill lands between the effect and the
outbox's record of it. Each later pass finishes the job: every intent exactly once."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from bqx_ops import outbox
from bqx_ops_tests.test_live_outbox import BASE, REPO

pytestmark = pytest.mark.slow  # three delivery processes, each importing the clients (~2 s)

NOW = dt.datetime.now(dt.timezone.utc)
PRODUCER = outbox.Producer(asset="test", partition="2025-11-15", run_id="r1")
CHILD = """
import datetime as dt, sys, duckdb
sys.path.insert(0, {repo!r})
from pathlib import Path
from bqx_ops.outbox.delivery import DeliveryPolicy, deliver
from bqx_ops_tests.test_live_outbox import live_delivery
with duckdb.connect({db!r}) as conn:
    channels = live_delivery(Path({tmp!r}), {slack!r}, {airtable!r}, {github!r}).channels()
    deliver(conn, channels, dt.datetime.now(dt.timezone.utc), DeliveryPolicy(backoff=dt.timedelta(0)))
"""


def _pass_killed_when(code: str, acted) -> bool:
    """Run one delivery pass; SIGKILL it as soon as ``acted()``; True if it was killed that way."""
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        if acted():
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return True
        time.sleep(0.02)
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    return False


def test_killed_after_each_far_side_acted_and_before_the_record_every_intent_arrives_once(
    slack_server, airtable_server, github_server, tmp_path
):
    airtable_server.set_records(BASE, "Tasks", [])
    github_server.add_repo(REPO, [])
    db = str(tmp_path / "outbox.duckdb")
    with duckdb.connect(db) as conn:  # created in this order, so sent in this order
        for n in range(2):
            outbox.enqueue(conn, f"release/phase-{n}", "github", {
                "tag": f"phase-{n}-done", "name": f"Phase {n} complete", "body": "Done.", "target_sha": "e" * 40},
                PRODUCER, NOW, NOW)
        for n in range(3):
            outbox.enqueue(conn, f"slack/{n}", "slack", {"text": f"message {n}"}, PRODUCER, NOW, NOW)
        outbox.enqueue(conn, "tasks/upsert", "airtable", {"table": "Tasks", "merge_on": ["Task Key"], "records": [
            {"Task Key": f"gh-{n}", "Name": f"Task {n}", "Status": "Todo"} for n in range(12)]}, PRODUCER, NOW, NOW)
    code = CHILD.format(repo=os.getcwd(), db=db, tmp=str(tmp_path), slack=slack_server.url,
                        airtable=airtable_server.url, github=github_server.url)
    # one far side at a time acts at once and answers never before the kill (look-ups answer at once);
    # each pass first recovers what the previous kill left "sending", then reaches the next far side
    github_server.slow_answers(30, path_contains="/releases", method="POST")
    assert _pass_killed_when(code, lambda: github_server.releases[REPO])  # the first release made
    github_server.slow_answers(None)
    slack_server.slow_answers(30, path_contains="chat.postMessage")
    assert _pass_killed_when(code, lambda: slack_server.messages_in("#bqx-ml-operations"))  # message 0 posted
    slack_server.slow_answers(None)
    airtable_server.slow_answers(30, method="PATCH")
    assert _pass_killed_when(code, lambda: airtable_server.records(BASE, "Tasks"))  # the upsert's first batch
    airtable_server.slow_answers(None)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

    with duckdb.connect(db) as conn:
        assert outbox.counts_by_status(conn) == {"delivered": 6}
    assert sorted(r["tag_name"] for r in github_server.releases[REPO]) == ["phase-0-done", "phase-1-done"]
    tasks = airtable_server.records(BASE, "Tasks")
    assert sorted(t["fields"]["Task Key"] for t in tasks) == sorted(f"gh-{n}" for n in range(12))
    assert sorted(m["text"] for m in slack_server.messages_in("#bqx-ml-operations")) == [
        f"message {n}" for n in range(3)]
