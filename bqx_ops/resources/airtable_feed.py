"""Airtable's change feed: a webhook on the base whose payloads are read with a cursor.

No public URL is needed: the webhook is created without a notification URL and its payloads
are listed (``Webhook.payloads(cursor=...)``). A tick with nothing new costs one request. A
webhook lives 7 days; it is refreshed when less than REFRESH_WITHIN is left (or it has already
expired). A webhook that is gone is replaced, and the gap counts as a change (anything may have
happened in it). A base where no webhook can be created (token without ``webhook:manage``,
plan limits) raises WebhooksUnavailable: the caller falls back to polling.
"""

from __future__ import annotations

import datetime as dt

SPEC = {"options": {"filters": {"dataTypes": ["tableData"]}}}
REFRESH_WITHIN = dt.timedelta(days=2)


class WebhooksUnavailable(Exception):
    """No change feed for this base; the message says why."""


def _when(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _create(base) -> dict:
    from requests import HTTPError

    try:
        created = base.add_webhook(None, SPEC)
    except HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise WebhooksUnavailable(f"creating a webhook failed with HTTP {status}") from None
    return {"id": created.id, "expires": _when(created.expiration_time).isoformat(), "cursor": 1}


def _webhook(base, hook: dict):
    from pyairtable.models.webhook import Webhook

    return Webhook.from_api({
        "id": hook["id"], "areNotificationsEnabled": False, "cursorForNextPayload": hook["cursor"],
        "isHookEnabled": True, "notificationUrl": None, "expirationTime": hook["expires"], "specification": SPEC,
    }, base.api, context=base)


def read_changes(base, hook: dict | None, now: dt.datetime) -> tuple[bool | None, dict, str]:
    """(changed since the cursor, the webhook state to keep, what was done). ``changed`` is None
    when the webhook was just created: that tick is a baseline, like polling's first tick."""
    from requests import HTTPError

    if hook is None:
        return None, _create(base), "webhook created"
    webhook, done = _webhook(base, hook), "payloads read"
    if _when(hook["expires"]) - now < REFRESH_WITHIN:
        try:
            webhook.extend_expiration()
        except HTTPError as exc:
            if exc.response is None or exc.response.status_code != 404:
                raise
            return True, _create(base), "webhook gone: replaced (the gap counts as a change)"
        hook = {**hook, "expires": _when(webhook.expiration_time).isoformat()}
        done = "webhook refreshed, payloads read"
    from bqx_ops.resources.airtable_api import UnusableListing

    cursor, changed = hook["cursor"], False
    try:
        for payload in webhook.payloads(cursor=cursor):
            changed, cursor = True, payload.cursor + 1
    except UnusableListing as exc:  # a cursor that repeats or goes back: the feed cannot be trusted
        raise WebhooksUnavailable(f"the webhook's payloads: {exc}") from None
    except ValueError as exc:  # a payload pyairtable cannot read (pydantic), a body that is not JSON
        raise WebhooksUnavailable(f"the webhook's payloads could not be read ({type(exc).__name__})") from None
    return changed, {**hook, "cursor": cursor}, done
