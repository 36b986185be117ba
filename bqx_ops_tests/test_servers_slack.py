"""Protocol fidelity of the fake Slack server, exercised with the real slack_sdk WebClient."""

from __future__ import annotations

import json
import time

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bqx_ops_tests.servers.slack import DEFAULT_TOKEN as SLACK_TOKEN
from bqx_ops_tests.servers.slack import SlackServer

# redundant (and harmless) once the root conftest lists the plugin
pytest_plugins = ["bqx_ops_tests.servers.fixtures"]

CHANNEL = "#bqx-ml-operations"


def _client(server: SlackServer, token: str = SLACK_TOKEN, **kwargs) -> WebClient:
    return WebClient(base_url=server.url + "/api/", token=token, **kwargs)


def test_post_message_by_channel_name(slack_server):
    client = _client(slack_server)

    first = client.chat_postMessage(channel=CHANNEL, text="weekly report", unfurl_links=False)
    second = client.chat_postMessage(channel=slack_server.channel_id(CHANNEL), text="second",
                                     blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*b*"}}])

    cid = slack_server.channel_id(CHANNEL)
    assert first["ok"] and first["channel"] == cid == "C0BQXMLOPS1"
    assert first["ts"] == "1700000000.000100" and float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "weekly report" and first["message"]["bot_id"]
    stored = slack_server.messages_in(CHANNEL)
    assert [m["text"] for m in stored] == ["weekly report", "second"]
    assert stored[1]["blocks"][0]["type"] == "section"
    req = slack_server.requests[0]
    assert req.path == "/api/chat.postMessage" and req.body["unfurl_links"] is False
    assert req.header("Authorization") == f"Bearer {SLACK_TOKEN}"
    assert SLACK_TOKEN not in req.raw_body.decode()


def test_errors_are_http_200_with_ok_false(slack_server):
    with pytest.raises(SlackApiError) as bad_auth:
        _client(slack_server, token="xoxb-wrong").chat_postMessage(channel=CHANNEL, text="x")
    assert bad_auth.value.response.status_code == 200
    assert bad_auth.value.response["error"] == "invalid_auth"

    client = _client(slack_server)
    with pytest.raises(SlackApiError) as unknown:
        client.chat_postMessage(channel="#no-such-channel", text="x")
    assert unknown.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as no_text, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel=CHANNEL)
    assert no_text.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as by_name:
        client.conversations_history(channel=CHANNEL)  # history needs the channel id
    assert by_name.value.response["error"] == "channel_not_found"
    assert slack_server.messages_in(CHANNEL) == []
    assert client.auth_test()["user_id"] == slack_server.user_id


def test_rate_limit_recovery_with_retry_handler(slack_server):
    slack_server.fail_next(1, 429, retry_after=1, path_contains="chat.postMessage")
    client = _client(slack_server, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])

    started = time.monotonic()
    resp = client.chat_postMessage(channel=CHANNEL, text="after the storm")

    assert resp["ok"]
    assert time.monotonic() - started >= 1.0  # slept Retry-After (+ jitter)
    assert [r.status for r in slack_server.requests] == [429, 200]
    assert len(slack_server.messages_in(CHANNEL)) == 1


def test_rate_limit_without_handler_raises(slack_server):
    slack_server.fail_next(1, 429, retry_after=3)
    with pytest.raises(SlackApiError) as err:
        _client(slack_server).chat_postMessage(channel=CHANNEL, text="x")
    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["Retry-After"] == "3"


def test_history_returns_metadata_for_check_before_resend(slack_server):
    client = _client(slack_server)
    cid = slack_server.channel_id(CHANNEL)
    meta = {"event_type": "bqx_weekly_report", "event_payload": {"idempotency_key": "2024-W03"}}
    client.chat_postMessage(channel=CHANNEL, text="older")
    posted = client.chat_postMessage(channel=CHANNEL, text="report", metadata=meta)
    client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=posted["ts"])

    history = client.conversations_history(channel=cid, include_all_metadata=True, limit=50)

    assert [m["text"] for m in history["messages"]] == ["report", "older"]  # newest first, no replies
    assert history["messages"][0]["metadata"] == meta
    assert history["messages"][0]["reply_count"] == 1
    already_sent = any(
        m.get("metadata", {}).get("event_payload", {}).get("idempotency_key") == "2024-W03"
        for m in history["messages"]
    )
    assert already_sent
    replies = client.conversations_replies(channel=cid, ts=posted["ts"])
    assert [m["text"] for m in replies["messages"]] == ["report", "reply"]


def test_history_cursor_pagination_and_time_window(slack_server):
    cid = slack_server.channel_id(CHANNEL)
    for i in range(25):
        slack_server.seed_message(CHANNEL, f"m{i}")
    client = _client(slack_server)

    texts, cursor, pages = [], None, 0
    while True:
        resp = client.conversations_history(channel=cid, limit=10, cursor=cursor)
        pages += 1
        texts += [m["text"] for m in resp["messages"]]
        cursor = resp["response_metadata"]["next_cursor"]
        if not resp["has_more"]:
            assert cursor == ""
            break
    assert pages == 3 and texts == [f"m{i}" for i in range(24, -1, -1)]

    all_msgs = slack_server.messages_in(CHANNEL)
    window = client.conversations_history(channel=cid, oldest=all_msgs[4]["ts"], latest=all_msgs[8]["ts"])
    assert [m["text"] for m in window["messages"]] == ["m7", "m6", "m5"]  # bounds exclusive
    inclusive = client.conversations_history(
        channel=cid, oldest=all_msgs[4]["ts"], latest=all_msgs[8]["ts"], inclusive=True
    )
    assert len(inclusive["messages"]) == 5


def test_form_encoded_post_with_json_string_fields(slack_server):
    resp = requests.post(
        f"{slack_server.url}/api/chat.postMessage",
        data={
            "token": SLACK_TOKEN,
            "channel": "bqx-ml-operations",
            "text": "form",
            "metadata": json.dumps({"event_type": "e", "event_payload": {"k": 1}}),
            "blocks": json.dumps([{"type": "divider"}]),
        },
    ).json()
    assert resp["ok"] and resp["message"]["metadata"]["event_payload"] == {"k": 1}
    assert resp["message"]["blocks"] == [{"type": "divider"}]
    bad = requests.post(
        f"{slack_server.url}/api/chat.postMessage",
        data={"token": SLACK_TOKEN, "channel": "bqx-ml-operations", "text": "x", "metadata": "{not json"},
    ).json()
    assert bad == {"ok": False, "error": "invalid_metadata_format"}
