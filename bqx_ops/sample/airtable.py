"""A tiny in-memory Airtable with history, and the snapshot writer.

Every change is a dated patch; a snapshot dated D shows, for each record created
on or before D, the fields after all its patches dated on or before D (omitting
empty fields, as Airtable does), or nothing once the record has been deleted.
"""

from __future__ import annotations

import bisect
import datetime as dt

from bqx_ops.base_schema import TABLES
from bqx_ops.landing import Landing, write_json

from .timeline import airtable_time, base62, digest

_DELETED = None


def rid(table: str, key: str) -> str:
    """A stable Airtable-style record id: "rec" + 14 alphanumerics."""
    return "rec" + base62(digest("record", table, key), 14)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == []


class Record:
    """One Airtable record (or, for a deliberate duplicate, one more row with the same id)."""

    def __init__(self, table: str, rec_id: str, created: dt.date, seq: int, created_time: str):
        self.table = table
        self.id = rec_id
        self.created = created  # first day the record is visible
        self.created_time = created_time
        self.seq = seq
        self._patches: list[tuple[dt.date, int, dict | None]] = []
        self._days: list[dt.date] = []
        self._rows: list[dict | None] = []

    def row_on(self, day: dt.date) -> dict | None:
        """The record as list-records returns it on ``day`` (after freezing); None if absent or deleted."""
        i = bisect.bisect_right(self._days, day)
        return self._rows[i - 1] if i else None

    def freeze(self) -> None:
        """Fold the patches into one row per day on which the record visibly changed."""
        state: dict | None = None
        for day, _, changes in sorted(self._patches, key=lambda p: (p[0], p[1])):
            if changes is _DELETED:
                new = None
            else:
                old = {k: v for k, v in (state or {}).items() if k != "Last Modified"}
                new = dict(old)
                for name, value in changes.items():
                    if name == "Last Modified":
                        continue
                    if _empty(value):
                        new.pop(name, None)
                    else:
                        new[name] = value
                if state is not None and new == old:
                    continue  # no visible change: Last Modified stays
                new["Last Modified"] = changes.get("Last Modified") or airtable_time(day)
            state = new
            row = None if new is None else {"id": self.id, "createdTime": self.created_time, "fields": new}
            if self._days and self._days[-1] == day:
                self._rows[-1] = row
            else:
                self._days.append(day)
                self._rows.append(row)


class Base:
    """All records of all tables, with their histories."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._seq = 0
        self._by_key: dict[tuple[str, str], Record] = {}
        self._tables: dict[str, list[Record]] = {}
        self._frozen = False

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def create(self, table: str, key: str, day: dt.date, fields: dict, rec_id: str | None = None,
               created_time: str | None = None) -> Record:
        """A record visible from ``day``; ``created_time`` overrides its createdTime (default: ``day``)."""
        rec = Record(table, rec_id or rid(table, key), day, len(self.records), created_time or airtable_time(day))
        rec._patches.append((day, self._next(), dict(fields)))
        self.records.append(rec)
        self._by_key.setdefault((table, key), rec)
        return rec

    def get(self, table: str, key: str) -> Record:
        return self._by_key[(table, key)]

    def update(self, rec: Record, day: dt.date, changes: dict) -> None:
        if day < rec.created:
            raise ValueError(f"{rec.table} {rec.id}: change on {day} before creation {rec.created}")
        rec._patches.append((day, self._next(), dict(changes)))

    def delete(self, rec: Record, day: dt.date) -> None:
        rec._patches.append((day, self._next(), _DELETED))

    def freeze(self) -> Base:
        for rec in self.records:
            rec.freeze()
        self.records.sort(key=lambda r: (r.created_time, r.id, r.seq))
        self._tables = {}
        for rec in self.records:
            self._tables.setdefault(rec.table, []).append(rec)
        self._frozen = True
        return self

    def snapshot(self, table: str, day: dt.date) -> list[dict]:
        assert self._frozen, "freeze() the base first"
        rows = []
        for rec in self._tables.get(table, ()):
            if rec.created > day:
                continue
            row = rec.row_on(day)
            if row is not None:
                rows.append(row)
        return rows


def write_snapshots(base: Base, landing: Landing, dates: list[dt.date]) -> dict[str, int]:
    """Write every table for every date; return the record counts of the last snapshot."""
    counts: dict[str, int] = {}
    for day in dates:
        for table in TABLES:
            rows = base.snapshot(table.name, day)
            write_json(landing.airtable_table(day, table.name), {"records": rows})
            counts[table.name] = len(rows)
    return counts
