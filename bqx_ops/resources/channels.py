"""Outbox channels: what each intent becomes on the wire, and how it is sent.

Each channel builds its request with one pure function, used both by the live
client and by the local sink, so a sink line is exactly what live mode would send.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
import unicodedata
from http import HTTPStatus
from pathlib import Path

from bqx_ops.docs_sync.slugs import ascii_letters
from bqx_ops.outbox.delivery import Intent
from bqx_ops.resources.cloudwatch_channel import cloudwatch_request
from bqx_ops.slack_text import cut

DEFAULT_SLACK_CHANNEL = "#operations"  # neutral; the configuration's slack.channel is passed in
METADATA_EVENT = "bqx_ops_intent"


def slack_request(intent: Intent, default_channel: str = DEFAULT_SLACK_CHANNEL) -> dict:
    """chat.postMessage arguments. Producers escape user text with slack_text.escape."""
    return {
        "channel": intent.payload.get("channel") or default_channel,
        "text": cut(intent.payload["text"]),
        "link_names": False,
        "unfurl_links": False,
        "unfurl_media": False,
        "metadata": {"event_type": METADATA_EVENT, "event_payload": {"idempotency_key": intent.idempotency_key}},
    }


def sns_subject(text: str) -> str:
    """A subject SNS accepts: ASCII, no line break or control character, under 100 characters, starting
    with a letter, digit or punctuation (a project named "Prévisions Météo 🌦" or a name with a newline
    made the publish fail). Accents are dropped (é -> e), other characters become '?'."""
    text = "".join(ascii_letters(c) or "?" for c in unicodedata.normalize("NFC", str(text)))
    text = " ".join(re.sub(r"[^\x20-\x7e]", " ", text).split())
    return text[:99].rstrip() or "bqx_ops notification"


def sns_request(intent: Intent, topic_arn: str | None) -> dict:
    p = intent.payload
    return {
        "TopicArn": p.get("topic_arn") or topic_arn,
        "Subject": sns_subject(p["subject"]),
        "Message": p["message"],
        "MessageAttributes": {"idempotency_key": {"DataType": "String", "StringValue": intent.idempotency_key}},
    }


def airtable_request(intent: Intent) -> dict:
    p = intent.payload
    return {"table": p["table"], "key_fields": list(p["merge_on"]), "records": [{"fields": f} for f in p["records"]]}


def github_release_request(intent: Intent) -> dict:
    p = intent.payload
    return {"tag": p["tag"], "name": p["name"], "body": p.get("body", ""), "target_sha": p["target_sha"],
            "message": p.get("message") or p["name"]}


REQUEST_BUILDERS = {
    "slack": lambda i, cfg: slack_request(i, cfg.get("slack_channel", DEFAULT_SLACK_CHANNEL)),
    "sns": lambda i, cfg: sns_request(i, cfg.get("sns_topic_arn")),
    "airtable": lambda i, cfg: airtable_request(i),
    "github": lambda i, cfg: github_release_request(i),
    "cloudwatch": lambda i, cfg: cloudwatch_request(i),
}


class SinkChannel:
    """Embedded mode and dry runs: one canonical JSON line per delivery in <data>/sinks/<channel>.jsonl."""

    def __init__(self, sinks_dir: Path, channel: str, config: dict | None = None):
        self.path = Path(sinks_dir) / f"{channel}.jsonl"
        self.channel = channel
        self.config = config or {}

    def _line(self, intent: Intent) -> str:
        request = REQUEST_BUILDERS[self.channel](intent, self.config)
        body = {"key": intent.key, "version": intent.version, "request": request}
        if intent.previous_ref:
            body["updates"] = intent.previous_ref  # live mode edits that delivery instead of repeating it
        return json.dumps(body, sort_keys=True, ensure_ascii=False) + "\n"

    def _drop_torn_tail(self) -> None:
        """A write killed half-way leaves a last line without its newline: it was never a delivery, so
        it is cut off before the next one is appended (the intent is still 'sending' and is resent)."""
        if not self.path.exists():
            return
        with self.path.open("rb+") as fh:
            size = fh.seek(0, 2)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            fh.seek(0)
            data = fh.read()
            fh.truncate(data.rfind(b"\n") + 1)

    def send(self, intent: Intent) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._drop_torn_tail()
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(self._line(intent))
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the outbox records it delivered (DuckDB's commit is durable)
        return f"sink:{self.path.name}:{intent.idempotency_key}"

    def find_delivered(self, intent: Intent) -> str | None:
        if not self.path.exists():
            return None
        text = self.path.read_text(encoding="utf-8", errors="replace")
        # only whole lines are deliveries: a torn last line (no newline) is not one
        for line in text.split("\n")[:-1]:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # never written whole by us; not a delivery of anything
            if isinstance(row, dict) and (row.get("key"), row.get("version")) == (intent.key, intent.version):
                return f"sink:{self.path.name}:{intent.idempotency_key}"
        return None


class SlackChannel:
    """chat.postMessage (a later version of an intent edits its message with chat.update);
    after a crash or a lost answer, conversations.history is searched for our metadata key.
    References are ``<channel id>/<ts>``."""

    def __init__(self, client, default_channel: str = DEFAULT_SLACK_CHANNEL, lookback: int = 1000,
                 post_tries: int = 3, pause_seconds: float = 0.5):
        self.client = client
        self.default_channel = default_channel
        self.lookback = lookback
        self.post_tries = post_tries
        self.pause_seconds = pause_seconds

    def send(self, intent: Intent) -> str:
        request = slack_request(intent, self.default_channel)
        if intent.previous_ref:  # an edit: repeating it changes nothing, so the client may retry it
            channel_id, ts = intent.previous_ref.split("/", 1)
            update = {k: v for k, v in request.items() if k not in ("channel", "unfurl_links", "unfurl_media")}
            response = self.client.chat_update(channel=channel_id, ts=ts, **update)
        else:
            return self._post(intent, request)
        return f"{response['channel']}/{response['ts']}"

    def _post(self, intent: Intent, request: dict) -> str:
        """chat.postMessage, never repeated blindly: a 5xx or a lost connection may come after Slack
        stored the message (slack_sdk's own retry handlers would post it again), so the channel's
        history is searched before each new try. 429s mean "not stored" and are retried by the client."""
        for tries in range(1, self.post_tries + 1):
            try:
                response = self._rate_limit_retrying_client().chat_postMessage(**request)
                return f"{response['channel']}/{response['ts']}"
            except Exception as exc:
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if status is not None and status < HTTPStatus.INTERNAL_SERVER_ERROR or tries == self.post_tries:
                    raise  # Slack answered and refused it (not stored), or out of tries: the outbox retries later
                time.sleep(self.pause_seconds * 2 ** (tries - 1))
                if (found := self.find_delivered(intent)) is not None:
                    return found
        raise AssertionError("unreachable")

    def _rate_limit_retrying_client(self):
        from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

        client = copy.copy(self.client)
        client.retry_handlers = [h for h in self.client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)]
        return client

    def _channel_id(self, channel: str) -> str:
        """conversations.history takes ids only; resolve a #name through conversations.list."""
        if not channel.startswith("#"):
            return channel
        cursor, seen = None, set()
        while True:
            page = self.client.conversations_list(limit=200, cursor=cursor, exclude_archived=True)
            for item in page.get("channels") or []:
                if isinstance(item, dict) and item.get("name") == channel[1:]:
                    return item["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise LookupError(f"Slack channel {channel} not found")
            if cursor in seen:  # followed, a cursor that comes back would list the channels forever
                raise LookupError(f"Slack channel {channel} not found: conversations.list's next_cursor came back "
                                  f"after {len(seen) + 1} page(s)")
            seen.add(cursor)

    def find_delivered(self, intent: Intent) -> str | None:
        """Our message among the channel's newest ``lookback`` messages (pages of 200, newest first)."""
        channel = self._channel_id(slack_request(intent, self.default_channel)["channel"])
        cursor, seen = None, 0
        while seen < self.lookback:
            history = self.client.conversations_history(channel=channel, limit=min(200, self.lookback - seen),
                                                        cursor=cursor, include_all_metadata=True)
            messages = history.get("messages") or []
            for message in messages:
                metadata = message.get("metadata") if isinstance(message, dict) else None
                payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
                if isinstance(payload, dict) and payload.get("idempotency_key") == intent.idempotency_key:
                    return f"{channel}/{message['ts']}"
            seen += len(messages)
            cursor = (history.get("response_metadata") or {}).get("next_cursor")
            if not cursor or not messages:
                return None
        return None


class SnsChannel:
    """SNS publish. SNS keeps no history to look in: after a crash the alert is re-sent
    (at-least-once); subscribers can drop repeats by the idempotency_key attribute."""

    def __init__(self, client, topic_arn: str | None):
        self.client = client
        self.topic_arn = topic_arn

    def send(self, intent: Intent) -> str:
        return self.client.publish(**sns_request(intent, self.topic_arn))["MessageId"]

    def find_delivered(self, intent: Intent) -> str | None:
        return None


class AirtableUpsertChannel:
    """batch_upsert keyed on our own field: re-sending after a crash changes nothing."""

    def __init__(self, airtable):
        self.airtable = airtable

    def send(self, intent: Intent) -> str:
        request = airtable_request(intent)
        result = self.airtable.upsert(request["table"], request["records"], request["key_fields"])
        return f"created={len(result['createdRecords'])} updated={len(result['updatedRecords'])}"

    def find_delivered(self, intent: Intent) -> str | None:
        return None  # the upsert is idempotent: sending again is the check


class GithubReleaseChannel:
    """Annotated tag + ref + release, idempotent by tag name."""

    def __init__(self, github):
        self.github = github

    def send(self, intent: Intent) -> str:
        return self.github.ensure_release(**github_release_request(intent))

    def find_delivered(self, intent: Intent) -> str | None:
        request = github_release_request(intent)
        return self.github.find_release(request["tag"], name=request["name"], body=request["body"])
