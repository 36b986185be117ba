"""Round 5: Slack refusing a message in its own protocol (``ok: false``) or a proxy answering 200 with an
HTML page, through slack_sdk and the outbox: never a crash, never a second copy, retried with Slack's own
reason kept, then dead-lettered with it (a person decides: invite the bot, fix the channel)."""

import datetime as dt

import duckdb
import pytest

from bqx_ops.outbox.delivery import DeliveryPolicy, deliver
from bqx_ops_tests.servers.base import Response
from bqx_ops_tests.test_live_outbox import NOW, enqueue, live_delivery

REFUSALS = [("channel_not_found", "'error': 'channel_not_found'"), ("not_in_channel", "'error': 'not_in_channel'"),
            ("msg_too_long", "'error': 'msg_too_long'"), ("invalid_blocks", "'error': 'invalid_blocks'"),
            ("an HTML page", "Received a response in a non-JSON format: <html>")]


@pytest.mark.parametrize("refusal, reason", REFUSALS, ids=[r for r, _ in REFUSALS])
def test_a_refused_message_is_retried_then_dead_lettered_with_slack_s_reason(slack_server, tmp_path, refusal, reason):
    slack_server.add_channel("bqx-ml-operations")

    def refuse(req, _):  # the post is refused before Slack stores anything
        if req.path.endswith("chat.postMessage"):
            return (Response(200, "<html><body>Sign in</body></html>", content_type="text/html")
                    if refusal.startswith("an HTML") else Response(200, {"ok": False, "error": refusal}))
        return None
    slack_server.answer_oddly(refuse, instead=True)
    policy = DeliveryPolicy()
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "review/2026-03-15/slack/summary", "slack", {"text": "P0: 1 open"})
        channels = live_delivery(tmp_path, slack_server.url).channels()
        reports = [deliver(conn, channels, NOW + dt.timedelta(days=n), policy) for n in range(policy.max_attempts + 2)]
        [(status, attempts, error)] = conn.execute("SELECT status, attempts, last_error FROM ops.outbox").fetchall()
    assert all([*r.retrying.values()] and reason in [*r.retrying.values()][0] for r in reports[:policy.max_attempts - 1])
    assert (status, attempts) == ("dead", policy.max_attempts) and reason in error
    [dead] = reports[policy.max_attempts - 1].dead.values()
    assert reason in dead
    assert not reports[-1].retrying and not reports[-1].dead  # dead stays dead: no further post
    posts = slack_server.requests_matching("POST", "chat.postMessage")
    assert len(posts) == policy.max_attempts and slack_server.messages_in("#bqx-ml-operations") == []


def test_a_channel_listing_whose_cursor_comes_back_ends_with_a_reason(slack_server, tmp_path):
    slack_server.add_channel("bqx-ml-operations")
    slack_server.lose_answer_of_next(1, 500, path_contains="chat.postMessage")  # stored, its answer lost

    def cursor_loop(req, resp):  # the channel is never on a page; every page names one more
        if req.path.endswith("conversations.list"):
            return Response(200, {"ok": True, "channels": [], "response_metadata": {"next_cursor": "dXNlcjpVMDYx"}})
        return resp
    slack_server.answer_oddly(cursor_loop)
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "review/2026-03-15/slack/summary", "slack", {"text": "P0: 1 open"})
        report = deliver(conn, live_delivery(tmp_path, slack_server.url).channels(), NOW)
    [error] = report.retrying.values()
    assert "Slack channel #bqx-ml-operations not found: conversations.list's next_cursor came back after 2 page(s)" \
        in error
    assert len(slack_server.requests_matching("POST", "conversations.list")) == 2
    assert len(slack_server.messages_in("#bqx-ml-operations")) == 1  # never posted again blindly
