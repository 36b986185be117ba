"""The as-of rule, in one place.

Anything computed for a period reads the latest Airtable snapshot taken at or
before that period's end, never a later one: a report for a past period uses
only data that existed then.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from bqx_ops.base_schema import TABLES
from bqx_ops.db import table_exists
from bqx_ops.frames import QUARANTINE_COLUMNS, frame, table_columns


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


def read_as_of(
    conn: duckdb.DuckDBPyConnection, table: str, as_of: dt.datetime | dt.date
) -> tuple[dt.date | None, pd.DataFrame]:
    """All rows of ``airtable.<table>`` in the as-of snapshot, ordered by record id."""
    day = as_of_snapshot(conn, as_of)
    if day is None or not table_exists(conn, "airtable", table):
        # dagster-duckdb-pandas creates no table for an empty first write: same as no rows
        return day, _empty(table)
    df = conn.execute(
        f"SELECT * FROM airtable.{table} WHERE snapshot_date = ? ORDER BY record_id",
        [dt.datetime.combine(day, dt.time())],
    ).df()
    return day, df


def _empty(table: str) -> pd.DataFrame:
    if table == "quarantine":
        return frame([], QUARANTINE_COLUMNS)
    by_asset = {t.asset_name: t for t in TABLES}
    return frame([], table_columns(by_asset[table]))


def previous_snapshot(conn: duckdb.DuckDBPyConnection, day: dt.date) -> dt.date | None:
    """The snapshot taken just before ``day``."""
    row = conn.execute(
        "SELECT max(snapshot_date) FROM airtable.raw_records WHERE snapshot_date < ?",
        [dt.datetime.combine(day, dt.time())],
    ).fetchone()
    return row[0].date() if row and row[0] is not None else None
