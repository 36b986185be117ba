"""The outbox: side effects as idempotent intents, delivered exactly once where the channel allows."""

from bqx_ops.outbox.store import (
    CHANNELS,
    DEAD,
    DELIVERED,
    PENDING,
    RECORDED,
    SENDING,
    Producer,
    counts_by_status,
    enqueue,
    ensure_schema,
)

__all__ = [
    "CHANNELS", "DEAD", "DELIVERED", "PENDING", "RECORDED", "SENDING",
    "Producer", "counts_by_status", "enqueue", "ensure_schema",
]
