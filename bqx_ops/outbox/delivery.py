"""Delivering outbox intents: claim, send, record; recover what a crash left in flight.

State machine of one intent version::

    pending --claim--> sending --sent--> delivered
       ^                  |  \\--error, attempts < max--> pending (retry after back-off)
       |                  |   \\-error, attempts = max--> dead (last error kept)
       |                  \\--crash: found "sending" on the next pass--> ask the channel
       |                        whether it already has it: yes -> delivered, no or cannot tell -> pending
    pending, period older than the horizon --> recorded_only (never sent)
    pending, a newer version of its key enqueued before it was sent --> recorded_only (superseded)

The claim is committed before the send, so a crash between send and record is
always detected; the channel's ``find_delivered`` closes the duplicate window
where the protocol allows a lookup (see README, "Outbox"). A failed try is the same
window (the far side may have acted before its answer was lost), so a retry asks too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from typing import Protocol

import duckdb

from bqx_ops.calendar import naive_utc
from bqx_ops.db import transaction
from bqx_ops.outbox.store import DEAD, DELIVERED, PENDING, RECORDED, SENDING, ensure_schema


@dataclass(frozen=True)
class Intent:
    key: str
    version: int
    channel: str
    payload: dict
    attempts: int
    previous_ref: str | None = None  # where an earlier version was delivered: update it, don't repeat it

    @property
    def idempotency_key(self) -> str:
        return f"{self.key}#v{self.version}"


class Channel(Protocol):
    """One destination. ``send`` returns an external reference (message ts, release id...)."""

    def send(self, intent: Intent) -> str: ...

    def find_delivered(self, intent: Intent) -> str | None:
        """The reference of an earlier delivery of exactly this intent, if the channel can tell."""


@dataclass
class DeliveryPolicy:
    horizon: dt.timedelta = dt.timedelta(days=7)
    max_attempts: int = 5
    backoff: dt.timedelta = dt.timedelta(minutes=1)


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # found already delivered after a crash
    recorded_only: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # never sent: a newer version replaced it first
    retrying: dict[str, str] = field(default_factory=dict)
    dead: dict[str, str] = field(default_factory=dict)


def _intents(conn: duckdb.DuckDBPyConnection, where: str, params: list) -> list[Intent]:
    rows = conn.execute(
        f"""SELECT key, version, channel, payload_json, attempts,
               (SELECT p.external_ref FROM ops.outbox p WHERE p.key = o.key AND p.version < o.version
                AND p.status = '{DELIVERED}' ORDER BY p.version DESC LIMIT 1)
            FROM ops.outbox o WHERE {where} ORDER BY created_at, key, version""",
        params,
    ).fetchall()
    return [Intent(k, v, c, json.loads(p), a, ref) for k, v, c, p, a, ref in rows]


def _previous_ref(conn, intent: Intent) -> str | None:
    """Where the newest earlier version was delivered, read now: it may have been recovered this pass."""
    row = conn.execute(f"""SELECT external_ref FROM ops.outbox WHERE key = ? AND version < ? AND status = '{DELIVERED}'
                           ORDER BY version DESC LIMIT 1""", [intent.key, intent.version]).fetchone()
    return row[0] if row else None


def _set(conn, intent: Intent, now: dt.datetime, **columns) -> None:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    conn.execute(
        f"UPDATE ops.outbox SET {assignments}, updated_at = ? WHERE key = ? AND version = ?",
        [*columns.values(), now, intent.key, intent.version],
    )


def _error(exc: Exception, context: str = "") -> str:
    text = f"{type(exc).__name__}: {exc}"
    return (f"{context}: {text}" if context else text)[:2000]


def deliver(
    conn: duckdb.DuckDBPyConnection,
    channels: dict[str, Channel],
    now: dt.datetime,
    policy: DeliveryPolicy | None = None,
) -> DeliveryReport:
    """One delivery pass over the outbox."""
    policy = policy or DeliveryPolicy()
    ensure_schema(conn)
    now = naive_utc(now)
    report = DeliveryReport()

    # 1. A "sending" row at the start of a pass was left by a crashed pass: ask the channel first.
    #    It goes back to pending with its attempts kept, so step 3 asks again if the channel could not tell.
    looked_up: set[str] = set()  # asked this pass, and the channel said "not delivered"
    for intent in _intents(conn, "status = ?", [SENDING]):
        try:
            ref = channels[intent.channel].find_delivered(intent)
        except Exception as exc:  # the channel cannot tell now (5xx, network): never resend blindly
            _set(conn, intent, now, status=PENDING, next_attempt_at=None,
                 last_error=_error(exc, "could not tell whether it was delivered"))
            continue
        if ref is not None:
            _set(conn, intent, now, status=DELIVERED, external_ref=ref, delivered_at=now)
            report.recovered.append(intent.idempotency_key)
        else:
            _set(conn, intent, now, status=PENDING)
            looked_up.add(intent.idempotency_key)

    # 2. History never pages anyone: old periods are recorded, not sent.
    #    Nothing is sent here, so they are recorded in one commit (a replay records hundreds: a commit
    #    each cost ~0.6 ms); a crash before it leaves them pending, and the next pass records them.
    cutoff = now - policy.horizon
    with transaction(conn):
        for intent in _intents(conn, "status = ? AND period_end < ?", [PENDING, cutoff]):
            _set(conn, intent, now, status=RECORDED)
            report.recorded_only.append(intent.idempotency_key)

    # 3. Send what is due, one at a time, claim committed before the send. An intent tried before may
    #    have arrived although the answer did not (a 5xx or a reset after the far side acted): the
    #    channel is asked before it is sent again, as after a crash. Only a key's newest version is
    #    sent: an older one still open (a crash left it "sending", then the payload changed) is looked
    #    up and, if it never arrived, superseded; while that cannot be told, the newer one waits, since
    #    it must edit the older delivery rather than repeat it.
    due = _intents(conn, "status = ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)", [PENDING, now])
    open_versions: dict[str, set[int]] = {}
    for key, version in conn.execute("SELECT key, version FROM ops.outbox WHERE status = ?", [PENDING]).fetchall():
        open_versions.setdefault(key, set()).add(version)
    for intent in due:
        versions = open_versions[intent.key]
        if min(versions) < intent.version:  # an older version is still open
            continue
        superseded = max(versions) > intent.version
        intent = replace(intent, previous_ref=_previous_ref(conn, intent)) if intent.version > 1 else intent
        attempts = intent.attempts + 1
        _set(conn, intent, now, status=SENDING, attempts=attempts)
        channel = channels[intent.channel]
        doing, ref = "could not tell whether it was delivered", None
        try:
            if intent.attempts and intent.idempotency_key not in looked_up:
                ref = channel.find_delivered(intent)
            if ref is not None:
                report.recovered.append(intent.idempotency_key)
            elif superseded:
                _set(conn, intent, now, status=RECORDED, last_error="superseded by a newer version before it was sent")
                report.superseded.append(intent.idempotency_key)
                versions.discard(intent.version)
                continue
            else:
                doing = ""
                ref = channel.send(intent)
                report.delivered.append(intent.idempotency_key)
        except Exception as exc:  # any failure of the far side is recorded, never raised
            error = _error(exc, doing)
            if attempts >= policy.max_attempts:
                _set(conn, intent, now, status=DEAD, last_error=error)
                report.dead[intent.idempotency_key] = error
                versions.discard(intent.version)  # dead-lettered: a person decides (the check fails meanwhile)
            else:
                retry_at = now + policy.backoff * (2 ** (attempts - 1))
                _set(conn, intent, now, status=PENDING, last_error=error, next_attempt_at=retry_at)
                report.retrying[intent.idempotency_key] = error
            continue
        _set(conn, intent, now, status=DELIVERED, external_ref=str(ref), delivered_at=now, last_error=None)
        versions.discard(intent.version)
    return report
