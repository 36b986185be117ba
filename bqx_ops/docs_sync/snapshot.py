"""One Airtable snapshot as plain records, and the labels the docs use for its links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bqx_ops import plan_scope
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import number
from bqx_ops.plan_update.common import records as plain_records
from bqx_ops.plan_update.fmt import money

TABLES = ("plans", "phases", "stages", "decisions", "learnings", "model_results", "artifacts", "quarantine")


def records(df: pd.DataFrame | None) -> list[dict]:
    """Rows as dicts with None for every kind of missing value, ordered by record id."""
    return sorted(plain_records(df), key=lambda r: str(r.get("record_id")))


@dataclass(frozen=True)
class Snapshot:
    """The typed tables of one snapshot (``day`` None: no snapshot at all)."""

    day: dt.date | None
    tables: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def from_frames(cls, day: dt.date | None, frames: dict[str, pd.DataFrame]) -> Snapshot:
        """The snapshot's tables, with the phases and stages of the followed plan only (``plan_scope``)."""
        plans, phases = frames.get("plans"), frames.get("phases")
        if plans is not None and phases is not None:
            frames = {**frames, **{t: plan_scope.scoped(t, frames[t], plans, phases)
                                   for t in plan_scope.SCOPED if frames.get(t) is not None}}
        return cls(day, {name: records(frames.get(name)) for name in TABLES})

    def rows(self, table: str) -> list[dict]:
        return self.tables.get(table, [])

    def by_id(self, table: str) -> dict[str, dict]:
        return {r["record_id"]: r for r in self.rows(table)}

    def phase_label(self, record_id: str | None) -> str:
        if not record_id:
            return ""
        phase = self.by_id("phases").get(record_id)
        return f"Phase {phase['number']} – {phase['name']}" if phase else f"{record_id} (unknown phase)"

    def stage_label(self, record_id: str | None) -> str:
        if not record_id:
            return ""
        stage = self.by_id("stages").get(record_id)
        return f"{stage['stage_id']} {stage['name']}" if stage else f"{record_id} (unknown stage)"


def day_text(value) -> str:
    return "" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d")


def minute_text(value) -> str:
    return "" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")


def realized_vs(realized, estimated) -> str:
    """"realized $12.00 vs $15.00 estimated"; a missing figure says so ("realized: no data, $20.00
    estimated"), never "n/a" nor $0.00."""
    if number(realized) is None:
        return f"realized: no data, {money(estimated)} estimated"
    return f"realized {money(realized)} vs {money(estimated)} estimated"
