"""The as-of rule for many instants read in date order: a backfill's weeks, a replay's looks.

``as_of_snapshot`` and ``snapshot_rows`` answer one instant with a few DuckDB statements each (the
snapshot day, the rows' fingerprint, the rows); a plan-update run asked them ~1,200 times, a replay
~600. ``Snapshots`` answers the same questions from one query of the snapshot days and, per table,
one query per ``window`` of the days it will be asked for (``read_snapshots``); the last ``kept``
windows stay, so memory is bounded whatever the span. Every answer is what the single-instant
functions give (frames dtypes included); a day holding quarantined records of a table read with
``carry_forward`` is read by ``snapshot_rows`` itself (the earlier versions are its business), once
per reader (the latest few such days kept).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable

import duckdb

from bqx_ops import plan_scope
from bqx_ops.asof import BY_ASSET, all_rows, as_of_snapshot, quarantined, read_snapshots, snapshot_days
from bqx_ops.lazy import pd

class Snapshots:
    """Snapshot days and rows up to ``last``; ``instants``: those whose as-of snapshots will be read
    (a window then holds only their days; default: every snapshot day, as a daily replay reads)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, last: dt.date,
                 instants: Iterable[dt.datetime | dt.date] | None = None, window: int = 16, kept: int = 2):
        self._conn, self.last, self._window, self._kept = conn, last, window, kept
        self.days = snapshot_days(conn, last)
        needed = self.days if instants is None else {self.snapshot(i) for i in instants} - {None}
        self._needed = sorted(needed)
        self._quarantined: set[tuple[dt.date, str]] | None = None  # read when a carried-forward read asks
        self._frames: dict[str, dict[dt.date, pd.DataFrame]] = {}
        # (table, day) -> a day's rows with its quarantined records carried, as all_rows read them (three
        # fingerprint queries a read: a replay asks each such day again at every look); the latest kept
        self._carried: OrderedDict[tuple[str, dt.date], pd.DataFrame] = OrderedDict()

    def _holds_quarantined(self, table: str, day: dt.date) -> bool:
        if self._quarantined is None:
            self._quarantined = quarantined(self._conn, self.last)
        return table in BY_ASSET and (day, BY_ASSET[table].name) in self._quarantined  # rows name the Airtable table

    def snapshot(self, as_of: dt.datetime | dt.date) -> dt.date | None:
        """``as_of_snapshot(conn, as_of)``."""
        day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
        if day > self.last:
            return as_of_snapshot(self._conn, as_of)
        at = bisect.bisect_right(self.days, day)
        return self.days[at - 1] if at else None

    def between(self, after: dt.date, before: dt.date) -> list[dt.date]:
        """Snapshot days strictly between two days (both at or before ``last``)."""
        return self.days[bisect.bisect_right(self.days, after):bisect.bisect_left(self.days, before)]

    def rows(self, table: str, day: dt.date | None, carry_forward: bool = False) -> pd.DataFrame:
        """``snapshot_rows(conn, table, day, carry_forward)``: phases and stages of the followed plan."""
        return plan_scope.scoped_by(table, self._all(table, day, carry_forward),
                                    lambda other: self._all(other, day, carry_forward=True))

    def left_out(self, table: str, day: dt.date | None) -> set[str]:
        """The record ids of ``table`` in snapshot ``day`` (quarantined ones carried) that ``rows`` leaves
        out: another plan's (``plan_scope.left_out``)."""
        return plan_scope.left_out(table, lambda name: self._all(name, day, carry_forward=True))

    def _all(self, table: str, day: dt.date | None, carry_forward: bool = False) -> pd.DataFrame:
        """``all_rows(conn, table, day, carry_forward)``: every plan's records."""
        if day is None or day > self.last:
            return all_rows(self._conn, table, day, carry_forward)
        if carry_forward and self._holds_quarantined(table, day):
            key = (table, day)
            if key not in self._carried:
                self._carried[key] = all_rows(self._conn, table, day, carry_forward)
                while len(self._carried) > self._kept * self._window:
                    self._carried.popitem(last=False)
            self._carried.move_to_end(key)
            return self._carried[key].copy()  # each caller may change its frame
        frames = self._frames.setdefault(table, {})
        if day not in frames:
            at = bisect.bisect_left(self._needed, day)
            wanted = [d for d in self._needed[at:at + self._window] if d not in frames]
            wanted = wanted if day in wanted else [day, *wanted]
            found = read_snapshots(self._conn, table, wanted)
            for d in wanted:  # a day without rows of this table: its own read (an empty frame, typed)
                frames[d] = found[d] if d in found else all_rows(self._conn, table, d)
            for old in sorted(frames)[:max(0, len(frames) - self._kept * self._window)]:
                if old != day:
                    del frames[old]
        return frames[day].copy()  # each caller may change its frame
