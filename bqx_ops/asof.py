"""The as-of rule, in one place.

Anything computed for a period reads the latest Airtable snapshot taken at or
before that period's end, never a later one: a report for a past period uses
only data that existed then.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

import duckdb

from bqx_ops import plan_scope
from bqx_ops.base_schema import TABLES
from bqx_ops.db import column_types, table_exists
from bqx_ops.frames import QUARANTINE_COLUMNS, frame, split_as_queried, table_columns
from bqx_ops.lazy import pd


# Frames read by read_as_of, by content fingerprint, most recent last (a few MB at most).
_FRAMES: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_FRAMES_KEPT = 512
_FRAMES_LOCK = threading.Lock()  # a code server evaluates sensors on several threads


BY_ASSET = {t.asset_name: t for t in TABLES}  # airtable.<asset_name> -> its Airtable table


def snapshot_days(conn: duckdb.DuckDBPyConnection, last: dt.date | None = None) -> list[dt.date]:
    """The days with a snapshot, oldest first (up to ``last``, if given)."""
    if not table_exists(conn, "airtable", "raw_records"):
        return []
    upto = "" if last is None else " WHERE snapshot_date <= ?"
    return [r[0].date() for r in conn.execute(
        f"SELECT DISTINCT snapshot_date FROM airtable.raw_records{upto} ORDER BY 1",
        [] if last is None else [dt.datetime.combine(last, dt.time())]).fetchall()]


def as_of_snapshot(conn: duckdb.DuckDBPyConnection, as_of: dt.datetime | dt.date) -> dt.date | None:
    """The date of the latest snapshot at or before ``as_of`` (None if there is none)."""
    day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    if not table_exists(conn, "airtable", "raw_records"):
        return None
    row = conn.execute(
        "SELECT max(snapshot_date) FROM airtable.raw_records WHERE snapshot_date <= ?",
        [dt.datetime.combine(day, dt.time())],
    ).fetchone()
    return row[0].date() if row and row[0] is not None else None


def stale_days(snapshot: dt.date | None, start: dt.date, end: dt.date) -> int | None:
    """Days from the as-of ``snapshot`` to a period's ``end`` when no snapshot was taken during the
    period (the snapshot is from its first day or before); None when one was, or there is none.
    One rule for the plan update, the review and the dashboard."""
    if snapshot is None or snapshot > start:
        return None
    return (end - snapshot).days


def read_as_of(
    conn: duckdb.DuckDBPyConnection, table: str, as_of: dt.datetime | dt.date, carry_forward: bool = False
) -> tuple[dt.date | None, pd.DataFrame]:
    """All rows of ``airtable.<table>`` in the as-of snapshot, ordered by record id.

    ``carry_forward``: a record quarantined in that snapshot is replaced by its last valid version
    from an earlier snapshot, so one bad field does not make the record vanish from every figure;
    such a row keeps the ``snapshot_date`` it comes from (earlier than the as-of snapshot), which is
    how a figure knows it rests on it (``carried``)."""
    day = as_of_snapshot(conn, as_of)
    return day, snapshot_rows(conn, table, day, carry_forward)


def snapshot_rows(conn: duckdb.DuckDBPyConnection, table: str, day: dt.date | None,
                  carry_forward: bool = False) -> pd.DataFrame:
    """``read_as_of``'s rows when the as-of snapshot ``day`` is known (``as_of_snapshot``): a reader of
    several tables at one instant resolves its snapshot once (None: no snapshot, no rows). Phases and
    stages are the followed plan's (``plan_scope``): another plan's records are never counted."""
    return plan_scope.scoped_by(table, all_rows(conn, table, day, carry_forward),
                                lambda other: all_rows(conn, other, day, carry_forward=True))


def all_rows(conn: duckdb.DuckDBPyConnection, table: str, day: dt.date | None,
             carry_forward: bool = False) -> pd.DataFrame:
    """``snapshot_rows`` before the plan scope: every plan's records."""
    if day is None or not table_exists(conn, "airtable", table):
        # dagster-duckdb-pandas creates no table for an empty first write: same as no rows
        return _empty(table)
    name = BY_ASSET[table].name if table in BY_ASSET else None
    quarantine = carry_forward and bool(name) and table_exists(conn, "airtable", "quarantine")
    # The as-of rows' fingerprint (count and hash sum, computed by DuckDB in a third of the time of
    # reading the rows into pandas) and how many of its records of this table are quarantined (only
    # those few need the earlier-version query). A week's tables are read by each of its assets and
    # a replay re-reads a snapshot for many weeks: the frame is remembered by fingerprint, never
    # stale (any change of the rows, by anyone, changes it).
    midnight = dt.datetime.combine(day, dt.time())
    held = ("(SELECT count(*) FROM airtable.quarantine q WHERE q.snapshot_date = $1 AND q.table_name = $2)"
            if quarantine else "0")
    count, hashed, quarantined = conn.execute(
        f"SELECT count(*), sum(hash(t)), {held} FROM airtable.{table} t WHERE t.snapshot_date = $1",
        [midnight] + ([name] if quarantine else [])).fetchone()
    carry = quarantined > 0
    rows_sql = f"SELECT * FROM airtable.{table} WHERE snapshot_date = ?"
    earlier_sql = (
        f"SELECT * FROM airtable.{table} WHERE snapshot_date < ? AND record_id IN (SELECT record_id FROM "
        "airtable.quarantine WHERE snapshot_date = ? AND table_name = ?) AND record_id NOT IN (SELECT record_id "
        f"FROM airtable.{table} WHERE snapshot_date = ?) QUALIFY row_number() OVER (PARTITION BY record_id "
        "ORDER BY snapshot_date DESC) = 1")
    earlier_print = tuple(conn.execute(f"SELECT count(*), sum(hash(e)) FROM ({earlier_sql}) e",
                                       [midnight, midnight, name, midnight]).fetchone()) if carry else ()
    key = (table, column_types(conn, "airtable", table), day, count, hashed, earlier_print)
    with _FRAMES_LOCK:
        known = _FRAMES.get(key)
        if known is not None:
            _FRAMES.move_to_end(key)
    if known is not None:
        return known.copy()
    df = conn.execute(f"{rows_sql} ORDER BY record_id", [midnight]).df()
    if carry:
        earlier = conn.execute(earlier_sql, [midnight, midnight, name, midnight]).df()
        if not earlier.empty:
            df = pd.concat([df, earlier[df.columns]] if not df.empty else [earlier], ignore_index=True)
            df = df.sort_values("record_id", kind="stable", ignore_index=True)
    with _FRAMES_LOCK:
        _FRAMES[key] = df.copy()
        if len(_FRAMES) > _FRAMES_KEPT:
            _FRAMES.popitem(last=False)
    return df


def read_snapshots(conn: duckdb.DuckDBPyConnection, table: str, days: list[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """``read_as_of(conn, table, day)`` for each of ``days`` that is a snapshot day holding rows of the
    table, from one query (a check of a 113-day window asked 113 times). Each frame is what
    ``read_as_of`` gives for its day, dtypes included; a day missing from the result (no such rows,
    or not a snapshot day: its as-of snapshot is an earlier one) is for ``read_as_of`` itself."""
    if not days or not table_exists(conn, "airtable", table):
        return {}
    df = conn.execute(f"SELECT * FROM airtable.{table} WHERE snapshot_date IN (SELECT unnest(?::TIMESTAMP[])) "
                      "ORDER BY snapshot_date, record_id", [[dt.datetime.combine(d, dt.time()) for d in days]]).df()
    return {key.date(): part for key, part in split_as_queried(df, "snapshot_date").items() if key is not None}


def quarantined(conn: duckdb.DuckDBPyConnection, last: dt.date | None = None) -> set[tuple[dt.date, str]]:
    """(snapshot day, Airtable table name) for each day holding a quarantined record of that table (up to
    ``last``, if given): the days whose carried-forward rows ``all_rows`` reads with earlier versions."""
    if not table_exists(conn, "airtable", "quarantine"):
        return set()
    upto = "" if last is None else " WHERE snapshot_date <= ?"
    return {(r[0].date(), r[1]) for r in conn.execute(
        f"SELECT DISTINCT snapshot_date, table_name FROM airtable.quarantine{upto}",
        [] if last is None else [dt.datetime.combine(last, dt.time())]).fetchall()}


def carried(df: pd.DataFrame, day: dt.date | None) -> pd.DataFrame:
    """The rows of a ``read_as_of(carry_forward=True)`` frame that come from an earlier snapshot."""
    if df.empty or day is None or "snapshot_date" not in df:
        return df.iloc[0:0]
    # as objects: a column with no date at all (rows made by hand) is no datetime column to compare with a date
    return df[pd.to_datetime(df["snapshot_date"]).dt.date.astype(object) < day]


def _empty(table: str) -> pd.DataFrame:
    if table == "quarantine":
        return frame([], QUARANTINE_COLUMNS)
    return frame([], table_columns(BY_ASSET[table]))


def previous_snapshot(conn: duckdb.DuckDBPyConnection, day: dt.date) -> dt.date | None:
    """The snapshot taken just before ``day``."""
    row = conn.execute(
        "SELECT max(snapshot_date) FROM airtable.raw_records WHERE snapshot_date < ?",
        [dt.datetime.combine(day, dt.time())],
    ).fetchone()
    return row[0].date() if row and row[0] is not None else None
