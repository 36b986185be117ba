"""A fake of Slack's Web API, faithful to what slack_sdk 3.x ``WebClient`` sends and expects.

Usage::

    with SlackServer(channels={"bqx-ml-operations": "C0BQXMLOPS1"}, token="xoxb-T") as sl:
        client = slack_sdk.WebClient(base_url=sl.url + "/api/", token="xoxb-T")
        client.chat_postMessage(channel="#bqx-ml-operations", text="hi")

Methods (``POST /api/<method>``; GET works too; arguments are read from the query
string, an urlencoded form or a JSON body, like Slack):

* ``chat.postMessage``: channel (id, ``name`` or ``#name``), text, blocks,
  attachments, thread_ts, reply_broadcast, metadata, unfurl_links/unfurl_media,
  username, icon_*, mrkdwn. Returns ``{"ok", "channel", "ts", "message"}``;
  ``ts`` strictly increases.
* ``chat.update``: channel (id), ts, text/blocks/metadata.
* ``conversations.history``: channel (id only, as Slack), oldest, latest,
  inclusive, limit (default 100, max 999), cursor -> newest first, thread replies
  excluded, ``has_more`` + ``response_metadata.next_cursor``. Message metadata is
  included (the caller is the app that posted it; see limitations).
* ``conversations.replies``: channel, ts (thread parent), same paging.
* ``conversations.list``: channels known to the server, cursor paging.
* ``auth.test``, ``api.test``.

Errors are HTTP 200 with ``{"ok": false, "error": ...}`` (``not_authed``,
``invalid_auth``, ``channel_not_found``, ``no_text``, ``msg_too_long``,
``invalid_metadata_format``, ``message_not_found``, ``thread_not_found``,
``invalid_cursor``, ``unknown_method``); rate limiting is HTTP 429 with
``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any, Iterable, Mapping

from .base import FakeServer, Request, Response, json_response

#: token the server accepts unless told otherwise (fake, safe to log)
DEFAULT_TOKEN = "xoxb-bqx-test-token"

__all__ = ["DEFAULT_TOKEN", "SlackServer"]

MAX_TEXT = 40_000


def _channel_id_for(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    return "C0" + "".join(c for c in digest if c.isalnum())[:9]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class SlackServer(FakeServer):
    """Fake Slack Web API.

    Args:
        channels: ``{"name": "C..."}`` (names with or without ``#``) or an
            iterable of names (ids derived deterministically). Default:
            ``{"bqx-ml-operations": "C0BQXMLOPS1"}``.
        token: accepted token(s).
        team_id, team, user_id, user, bot_id, app_id, url: identity returned by
            ``auth.test`` and stamped on posted messages.
        start_ts: epoch seconds of the first generated ``ts``; later ones are
            strictly greater (step ``ts_step`` seconds).
        retry_after: default ``Retry-After`` of injected 429s.
    """

    name = "slack"

    def __init__(
        self,
        channels: Mapping[str, str] | Iterable[str] | None = None,
        *,
        token: str | Iterable[str] = DEFAULT_TOKEN,
        team_id: str = "T0BQXTEAM01",
        team: str = "BQX",
        user_id: str = "U0BQXBOT001",
        user: str = "bqx-ops-bot",
        bot_id: str = "B0BQXBOT001",
        app_id: str = "A0BQXAPP001",
        workspace_url: str = "https://bqx.slack.com/",
        start_ts: float = 1_700_000_000.0001,
        ts_step: float = 0.0001,
        retry_after: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(retry_after=retry_after, host=host, port=port)
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.team_id, self.team = team_id, team
        self.user_id, self.user = user_id, user
        self.bot_id, self.app_id = bot_id, app_id
        self.workspace_url = workspace_url
        self._next_micros = round(start_ts * 1_000_000)
        self._step_micros = max(round(ts_step * 1_000_000), 1)
        self._channels: dict[str, str] = {}  # name -> id
        self._messages: dict[str, list[dict[str, Any]]] = {}  # id -> messages, oldest first
        if channels is None:
            channels = {"bqx-ml-operations": "C0BQXMLOPS1"}
        if isinstance(channels, Mapping):
            for name, cid in channels.items():
                self.add_channel(name, cid)
        else:
            for name in channels:
                self.add_channel(name)

    # ------------------------------------------------------------------ state API
    def add_channel(self, name: str, channel_id: str | None = None) -> str:
        name = name.lstrip("#")
        with self.lock:
            cid = channel_id or self._channels.get(name) or _channel_id_for(name)
            self._channels[name] = cid
            self._messages.setdefault(cid, [])
            return cid

    def channel_id(self, channel: str) -> str:
        """``"#name"`` / ``"name"`` / ``"C..."`` -> channel id (KeyError when unknown)."""
        with self.lock:
            cid = self._resolve(channel, allow_names=True)
            if cid is None:
                raise KeyError(channel)
            return cid

    @property
    def channels(self) -> dict[str, str]:
        with self.lock:
            return dict(self._channels)

    @property
    def messages(self) -> dict[str, list[dict[str, Any]]]:
        """``{channel_id: [message, ...]}`` oldest first (replies included), as stored."""
        with self.lock:
            return copy.deepcopy(self._messages)

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Stored messages of one channel (by id or name), oldest first."""
        cid = self.channel_id(channel)
        with self.lock:
            return copy.deepcopy(self._messages[cid])

    def seed_message(
        self,
        channel: str,
        text: str,
        *,
        ts: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Store a pre-existing message (no request logged); returns it."""
        with self.lock:
            cid = self.channel_id(channel)
            msg = self._store(cid, {"text": text, **extra}, metadata=metadata, thread_ts=thread_ts, ts=ts)
            if user is not None:
                msg.update({"user": user})
                msg.pop("bot_id", None)
                msg.pop("app_id", None)
                msg.pop("bot_profile", None)
            return copy.deepcopy(msg)

    # ------------------------------------------------------------------ internals
    def _resolve(self, channel: Any, *, allow_names: bool) -> str | None:
        if not isinstance(channel, str) or not channel:
            return None
        if channel in self._messages:
            return channel
        if allow_names:
            return self._channels.get(channel.lstrip("#"))
        return None

    def _next_ts(self) -> str:
        micros = self._next_micros
        self._next_micros += self._step_micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _store(
        self,
        cid: str,
        fields: dict[str, Any],
        *,
        metadata: Any = None,
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> dict[str, Any]:
        if ts is None:
            ts = self._next_ts()
        else:
            micros = round(float(ts) * 1_000_000)
            self._next_micros = max(self._next_micros, micros + self._step_micros)
        msg: dict[str, Any] = {
            "user": self.user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": "",
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.user,
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        msg.update({k: v for k, v in fields.items() if v is not None})
        if thread_ts and thread_ts != ts:
            msg["thread_ts"] = thread_ts
            msg["parent_user_id"] = self.user_id
            parent = next((m for m in self._messages[cid] if m["ts"] == thread_ts), None)
            if parent is not None:
                parent.setdefault("thread_ts", thread_ts)
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if msg["user"] not in users:
                    users.append(msg["user"])
                parent["reply_users_count"] = len(users)
                parent["latest_reply"] = ts
        if metadata is not None:
            msg["metadata"] = metadata
        self._messages[cid].append(msg)
        return msg

    def _args(self, req: Request) -> dict[str, Any]:
        args: dict[str, Any] = {k: v[0] if len(v) == 1 else v for k, v in req.query.items()}
        if isinstance(req.json, dict):
            args.update(req.json)
        elif req.form:
            args.update(req.form)
        return args

    def _auth(self, req: Request, args: dict[str, Any]) -> str | None:
        header = req.header("Authorization") or ""
        token = None
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        elif args.get("token"):
            token = str(args["token"])
        if not token:
            return "not_authed"
        if token not in self.tokens:
            return "invalid_auth"
        return None

    @staticmethod
    def _json_arg(value: Any) -> tuple[Any, bool]:
        """Form-encoded blocks/metadata arrive as JSON strings. -> (value, ok)."""
        if isinstance(value, str):
            try:
                return json.loads(value), True
            except ValueError:
                return None, False
        return value, True

    @staticmethod
    def _cursor(position: int) -> str:
        return base64.b64encode(f"next_ts:{position}".encode()).decode()

    @staticmethod
    def _uncursor(cursor: str) -> int | None:
        try:
            kind, _, pos = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
            return int(pos) if kind == "next_ts" else None
        except Exception:
            return None

    # ------------------------------------------------------------------ faults
    def fault_response(self, status: int, retry_after: int | None, req: Request) -> Response:
        if status == 429:
            retry_after = self.default_retry_after if retry_after is None else retry_after
            return json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(int(retry_after))})
        return super().fault_response(status, retry_after, req)

    # ------------------------------------------------------------------ routing
    def handle(self, req: Request) -> Response:
        if not req.path.startswith("/api/"):
            return Response(404, "Not Found")
        method = req.path[len("/api/"):].strip("/")
        args = self._args(req)
        handlers = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._chat_update,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.list": self._list_channels,
        }
        handler = handlers.get(method)
        if handler is None:
            return json_response({"ok": False, "error": "unknown_method", "req_method": method})
        if method != "api.test":
            error = self._auth(req, args)
            if error:
                return json_response({"ok": False, "error": error})
        with self.lock:
            body = handler(args)
        return json_response(body)

    def _api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("error"):
            return {"ok": False, "error": args["error"], "args": args}
        return {"ok": True, "args": args}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": self.workspace_url,
            "team": self.team,
            "user": self.user,
            "team_id": self.team_id,
            "user_id": self.user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _validate_content(self, args: dict[str, Any], *, require: bool) -> tuple[dict[str, Any], str | None]:
        fields: dict[str, Any] = {}
        text = args.get("text")
        blocks, ok = self._json_arg(args.get("blocks"))
        if not ok or (blocks is not None and not isinstance(blocks, list)):
            return {}, "invalid_blocks_format"
        attachments, ok = self._json_arg(args.get("attachments"))
        if not ok:
            return {}, "invalid_attachments"
        if require and not text and not blocks and not attachments:
            return {}, "no_text"
        if text is not None and len(str(text)) > MAX_TEXT:
            return {}, "msg_too_long"
        if text is not None:
            fields["text"] = str(text)
        if blocks:
            fields["blocks"] = blocks
        if attachments:
            fields["attachments"] = attachments
        return fields, None

    def _metadata(self, args: dict[str, Any]) -> tuple[Any, str | None]:
        if args.get("metadata") is None:
            return None, None
        metadata, ok = self._json_arg(args["metadata"])
        if (
            not ok
            or not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload", {}), dict)
        ):
            return None, "invalid_metadata_format"
        return {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload", {})}, None

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve(args.get("channel"), allow_names=True)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        fields, error = self._validate_content(args, require=True)
        if error:
            return {"ok": False, "error": error}
        metadata, error = self._metadata(args)
        if error:
            return {"ok": False, "error": error}
        for key in ("username", "icon_emoji", "icon_url"):
            if args.get(key):
                fields[key] = args[key]
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None:
            thread_ts = str(thread_ts)
            if not any(m["ts"] == thread_ts for m in self._messages[cid]):
                return {"ok": False, "error": "thread_not_found"}
            if _truthy(args.get("reply_broadcast")):
                fields["subtype"] = "thread_broadcast"
        msg = self._store(cid, fields, metadata=metadata, thread_ts=thread_ts)
        return {"ok": True, "channel": cid, "ts": msg["ts"], "message": copy.deepcopy(msg)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve(args.get("channel"), allow_names=False)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        msg = next((m for m in self._messages[cid] if m["ts"] == str(args.get("ts"))), None)
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        fields, error = self._validate_content(args, require=False)
        if error:
            return {"ok": False, "error": error}
        metadata, error = self._metadata(args)
        if error:
            return {"ok": False, "error": error}
        msg.update(fields)
        if metadata is not None:
            msg["metadata"] = metadata
        msg["edited"] = {"user": self.user_id, "ts": self._next_ts()}
        return {"ok": True, "channel": cid, "ts": msg["ts"], "text": msg.get("text", ""), "message": copy.deepcopy(msg)}

    def _page(self, items: list[dict[str, Any]], args: dict[str, Any], key: str, **extra: Any) -> dict[str, Any]:
        try:
            limit = int(args.get("limit") or 100)
        except (TypeError, ValueError):
            limit = 100
        limit = min(max(limit, 1), 999)
        start = 0
        if args.get("cursor"):
            pos = self._uncursor(str(args["cursor"]))
            if pos is None or pos > len(items):
                return {"ok": False, "error": "invalid_cursor"}
            start = pos
        page = items[start: start + limit]
        has_more = start + limit < len(items)
        body: dict[str, Any] = {"ok": True, key: copy.deepcopy(page)}
        if key == "messages":
            body["has_more"] = has_more
            body["pin_count"] = 0
        body.update(extra)
        body["response_metadata"] = {"next_cursor": self._cursor(start + limit) if has_more else ""}
        return body

    def _window(self, messages: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]] | None:
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args["latest"]) if args.get("latest") else float("inf")
        except (TypeError, ValueError):
            return None
        inclusive = _truthy(args.get("inclusive"))
        out = []
        for m in messages:
            t = float(m["ts"])
            lo_ok = t >= oldest if inclusive else t > oldest
            hi_ok = t <= latest if inclusive else t < latest
            if lo_ok and hi_ok:
                out.append(m)
        return out

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve(args.get("channel"), allow_names=False)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        top = [
            m for m in self._messages[cid]
            if "thread_ts" not in m or m["thread_ts"] == m["ts"] or m.get("subtype") == "thread_broadcast"
        ]
        window = self._window(top, args)
        if window is None:
            return {"ok": False, "error": "invalid_ts_oldest"}
        newest_first = sorted(window, key=lambda m: float(m["ts"]), reverse=True)
        return self._page(newest_first, args, "messages")

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve(args.get("channel"), allow_names=False)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = str(args.get("ts") or "")
        thread = [m for m in self._messages[cid] if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        window = self._window(thread, args)
        if window is None:
            return {"ok": False, "error": "invalid_ts_oldest"}
        oldest_first = sorted(window, key=lambda m: float(m["ts"]))
        return self._page(oldest_first, args, "messages")

    def _list_channels(self, args: dict[str, Any]) -> dict[str, Any]:
        chans = [
            {
                "id": cid,
                "name": name,
                "is_channel": True,
                "is_private": False,
                "is_archived": False,
                "is_member": True,
                "context_team_id": self.team_id,
            }
            for name, cid in sorted(self._channels.items())
        ]
        return self._page(chans, args, "channels")
