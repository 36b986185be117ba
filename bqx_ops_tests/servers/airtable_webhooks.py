"""Airtable webhooks for the local Airtable server: create, list, refresh and list payloads.

Every record write (create, update, upsert, delete, and ``set_records``) appends one v0 payload to
each enabled webhook of the base, as Airtable records them; payloads are read with a cursor
(`List webhook payloads`: ``payloads``, ``cursor``, ``mightHaveMore``), so no public URL is needed.
A webhook lives 7 days from its creation or last refresh; an expired one answers its payloads
with 404 until it is refreshed. ``webhooks_allowed = False`` answers creation with 403, like a
token without the ``webhook:manage`` scope.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from bqx_ops_tests.servers.base import Request, Response, json_response

LIFETIME = 7 * 86400
PAGE = 50


class WebhooksMixin:
    webhooks_allowed: bool = True

    def _hooks(self, base_id: str) -> dict[str, dict[str, Any]]:
        store = self.__dict__.setdefault("_webhooks", {})
        return store.setdefault(base_id, {})

    # ------------------------------------------------------------------ state API
    def webhooks(self, base_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(h, payloads=list(h["payloads"])) for h in self._hooks(base_id).values()]

    def expire_webhooks(self, base_id: str) -> None:
        """Every webhook of the base expires now (as if nobody refreshed it for 7 days)."""
        with self.lock:
            for hook in self._hooks(base_id).values():
                hook["expires"] = self.clock.now() - 1

    # ------------------------------------------------------------------ recording
    def _record_event(self, table, kind: str, record_id: str, fields: dict | None = None) -> None:
        """One payload per write on every live webhook of the table's base."""
        base_id = next((b.id for b in self._bases.values() if table in b.tables), None)
        for hook in self._hooks(base_id).values() if base_id else []:
            hook["transaction"] += 1
            change: dict[str, Any]
            if kind == "destroyed":
                change = {"destroyedRecordIds": [record_id]}
            elif kind == "created":
                change = {"createdRecordsById": {record_id: {"createdTime": _iso(self.clock.now()),
                                                             "cellValuesByFieldId": dict(fields or {})}}}
            else:
                change = {"changedRecordsById": {record_id: {"current": {"cellValuesByFieldId": dict(fields or {})}}}}
            hook["payloads"].append({
                "timestamp": _iso(self.clock.now()), "baseTransactionNumber": hook["transaction"],
                "payloadFormat": "v0", "actionMetadata": {"source": "publicApi", "sourceMetadata": {}},
                "changedTablesById": {table.id: change},
            })

    # ------------------------------------------------------------------ routes
    def _webhook_route(self, req: Request, base_id: str, rest: list[str]) -> Response:
        hooks = self._hooks(base_id)
        if not rest:
            if req.method == "POST":
                return self._create_webhook(req, base_id)
            if req.method == "GET":
                return json_response({"webhooks": [self._render_hook(h) for h in hooks.values()]})
            return json_response({"error": "NOT_FOUND"}, 404)
        hook = hooks.get(rest[0])
        if hook is None:
            return json_response({"error": {"type": "NOT_FOUND", "message": "Could not find webhook"}}, 404)
        if rest[1:] == ["refresh"] and req.method == "POST":
            hook["expires"] = self.clock.now() + LIFETIME
            return json_response({"expirationTime": _iso(hook["expires"])})
        if rest[1:] == ["payloads"] and req.method == "GET":
            if self.clock.now() > hook["expires"]:
                return json_response({"error": {"type": "NOT_FOUND", "message": "Webhook expired"}}, 404)
            cursor = max(1, int(req.arg("cursor", "1") or 1))
            limit = min(PAGE, max(1, int(req.arg("limit", str(PAGE)) or PAGE)))
            page = hook["payloads"][cursor - 1:cursor - 1 + limit]
            return json_response({"payloads": page, "cursor": cursor + len(page),
                                  "mightHaveMore": cursor - 1 + len(page) < len(hook["payloads"])})
        if rest == [rest[0]] and req.method == "DELETE":
            del hooks[rest[0]]
            return json_response({})
        return json_response({"error": "NOT_FOUND"}, 404)

    def _create_webhook(self, req: Request, base_id: str) -> Response:
        if not self.webhooks_allowed:
            return json_response({"error": {"type": "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
                                            "message": "Invalid permissions, or the requested model was not found."}},
                                 403)
        body = req.json if isinstance(req.json, dict) else {}
        if not isinstance(body.get("specification"), dict):
            return json_response({"error": {"type": "INVALID_REQUEST_BODY", "message": "specification missing"}}, 422)
        hook_id = self.new_id("ach")
        secret = base64.b64encode(hashlib.sha256(hook_id.encode()).digest()).decode()
        self._hooks(base_id)[hook_id] = {
            "id": hook_id, "notificationUrl": body.get("notificationUrl"), "specification": body["specification"],
            "expires": self.clock.now() + LIFETIME, "payloads": [], "transaction": 0,
        }
        return json_response({"id": hook_id, "macSecretBase64": secret,
                              "expirationTime": _iso(self.clock.now() + LIFETIME)})

    def _render_hook(self, hook: dict[str, Any]) -> dict[str, Any]:
        return {"id": hook["id"], "areNotificationsEnabled": hook["notificationUrl"] is not None,
                "cursorForNextPayload": len(hook["payloads"]) + 1, "isHookEnabled": self.clock.now() <= hook["expires"],
                "lastSuccessfulNotificationTime": None, "notificationUrl": hook["notificationUrl"],
                "lastNotificationResult": None, "expirationTime": _iso(hook["expires"]),
                "specification": hook["specification"]}


def _iso(epoch: float) -> str:
    from bqx_ops_tests.servers.airtable import _iso as airtable_iso

    return airtable_iso(epoch)
