"""A send whose answer is lost (a 5xx or a reset connection after the far side acted) is never
repeated blindly: the channel is asked first, within the send and on the outbox's next try. The
local servers act on the request, then lose the answer (``lose_answer_of_next``)."""

import datetime as dt

import duckdb
import pytest

from bqx_ops import outbox
from bqx_ops.outbox.delivery import DeliveryPolicy, deliver
from bqx_ops.resources.channels import SlackChannel
from bqx_ops.resources.slack import BqxSlackResource
from bqx_ops_tests.servers.fixtures import SLACK_TOKEN
from bqx_ops_tests.test_live_outbox import REPO, live_delivery

NOW = dt.datetime.now(dt.timezone.utc)
PRODUCER = outbox.Producer(asset="test", partition="2025-11-15", run_id="r1")
CHANNEL = "#bqx-ml-operations"
NO_WAIT = DeliveryPolicy(backoff=dt.timedelta(0))


def enqueue(conn, key, channel, payload):
    return outbox.enqueue(conn, key, channel, payload, PRODUCER, period_end=NOW, now=NOW)


def slack_channel(server, retries=1, post_tries=3):
    client = BqxSlackResource(token=SLACK_TOKEN, base_url=f"{server.url}/api/", max_retries=retries).get_client()
    return SlackChannel(client, CHANNEL, post_tries=post_tries, pause_seconds=0)


def statuses(conn):
    return conn.execute("SELECT key, status, attempts FROM ops.outbox ORDER BY key").fetchall()


@pytest.mark.parametrize("lost_as", [None, 500, 503], ids=["reset", "500", "503"])
def test_a_slack_post_whose_answer_is_lost_is_found_in_the_history_not_posted_again(slack_server, lost_as):
    slack_server.lose_answer_of_next(1, lost_as, path_contains="chat.postMessage")
    channels = {"slack": slack_channel(slack_server, retries=3)}
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "review/2025-11-15/slack/summary", "slack", {"text": "2 P0 issues"})
        report = deliver(conn, channels, NOW, NO_WAIT)
        [ref] = conn.execute("SELECT external_ref FROM ops.outbox").fetchone()
    [message] = slack_server.messages_in(CHANNEL)
    assert report.delivered == ["review/2025-11-15/slack/summary#v1"]
    assert ref == f"{slack_server.channel_id(CHANNEL)}/{message['ts']}"  # the stored message, for later edits
    posts = [r for r in slack_server.requests if r.path.endswith("chat.postMessage")]
    assert len(posts) == 1 and posts[0].fault


def test_a_slack_post_refused_with_a_5xx_before_storing_is_posted_again(slack_server):
    slack_server.fail_next(1, 500, path_contains="chat.postMessage")  # answered 500, nothing stored
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "review/2025-11-15/slack/summary", "slack", {"text": "2 P0 issues"})
        report = deliver(conn, {"slack": slack_channel(slack_server, retries=3)}, NOW, NO_WAIT)
    assert report.delivered == ["review/2025-11-15/slack/summary#v1"]
    assert [m["text"] for m in slack_server.messages_in(CHANNEL)] == ["2 P0 issues"]


def test_an_intent_whose_every_try_lost_its_answer_is_recovered_by_the_next_pass_not_resent(slack_server):
    slack_server.lose_answer_of_next(1, None, path_contains="chat.postMessage")
    channels = {"slack": slack_channel(slack_server, post_tries=1)}  # the channel gives up after one try
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "sync/2025-11-17/slack/completed", "slack", {"text": "Sync completed"})
        first = deliver(conn, channels, NOW, NO_WAIT)
        assert list(first.retrying) == ["sync/2025-11-17/slack/completed#v1"]
        second = deliver(conn, channels, NOW, NO_WAIT)
        assert statuses(conn) == [("sync/2025-11-17/slack/completed", "delivered", 2)]
    assert second.recovered == ["sync/2025-11-17/slack/completed#v1"] and second.delivered == []
    assert len(slack_server.messages_in(CHANNEL)) == 1


def test_a_crashed_send_the_channel_cannot_look_up_stays_unsent_with_a_reason_and_is_resolved_later(slack_server):
    channels = {"slack": slack_channel(slack_server, retries=0)}
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "a/slack", "slack", {"text": "a"})
        enqueue(conn, "b/slack", "slack", {"text": "b"})
        deliver(conn, channels, NOW, NO_WAIT)  # both posted
        conn.execute("UPDATE ops.outbox SET status = 'sending'")  # what a crash after both sends leaves
        slack_server.fail_next(4, 500, path_contains="conversations.history")  # each look-up, twice
        report = deliver(conn, channels, NOW, NO_WAIT)  # no exception: the pass goes on and records why
        reasons = conn.execute("SELECT last_error FROM ops.outbox ORDER BY key").fetchall()
        assert report.delivered == [] and report.recovered == []
        assert [s for _, s, _ in statuses(conn)] == ["pending", "pending"]
        assert all(r.startswith("could not tell whether it was delivered: SlackApiError") for (r,) in reasons), reasons
        later = deliver(conn, channels, NOW, NO_WAIT)
        assert sorted(later.recovered) == ["a/slack#v1", "b/slack#v1"] and later.delivered == []
    assert sorted(m["text"] for m in slack_server.messages_in(CHANNEL)) == ["a", "b"]


def test_a_release_whose_ref_and_release_answers_are_lost_exists_once(github_server, tmp_path):
    github_server.add_repo(REPO, [])
    for path in ("/git/refs", "/releases"):
        github_server.lose_answer_of_next(1, None, path_contains=path, method="POST")
    channels = live_delivery(tmp_path, "http://127.0.0.1:9", github_url=github_server.url).channels()
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "release/phase-1", "github", {"tag": "phase-1-done", "name": "Phase 1 complete",
                                                   "body": "Done.", "target_sha": "c" * 40})
        for _ in range(3):
            deliver(conn, channels, NOW, NO_WAIT)
        assert [s for _, s, _ in statuses(conn)] == ["delivered"]
    assert [r["tag_name"] for r in github_server.releases[REPO]] == ["phase-1-done"]
    assert list(github_server.refs[REPO]).count("refs/tags/phase-1-done") == 1


def test_a_release_edit_that_failed_is_made_on_the_retry_not_taken_for_delivered(github_server, tmp_path):
    """The release of v1 exists: it is no delivery of v2 until it reads as v2."""
    github_server.add_repo(REPO, [])
    channels = live_delivery(tmp_path, "http://127.0.0.1:9", github_url=github_server.url).channels()
    release = {"tag": "phase-2-done", "name": "Phase 2 complete", "body": "v1", "target_sha": "d" * 40}
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "release/phase-2", "github", release)
        deliver(conn, channels, NOW, NO_WAIT)
        enqueue(conn, "release/phase-2", "github", {**release, "body": "v2, with the realized cost"})
        github_server.fail_next(20, 500, path_contains="/releases/", method="PATCH")  # every retry of this pass
        assert list(deliver(conn, channels, NOW, NO_WAIT).retrying) == ["release/phase-2#v2"]
        github_server.clear_faults()
        assert deliver(conn, channels, NOW, NO_WAIT).delivered == ["release/phase-2#v2"]
    [only] = github_server.releases[REPO]
    assert only["body"] == "v2, with the realized cost"
