"""A week's rows of a plan table, read one week at a time or for all the run's weeks at once."""

from __future__ import annotations

import datetime as dt

import duckdb

from bqx_ops.db import table_exists
from bqx_ops.frames import split_as_queried
from bqx_ops.defs.plan_update.tables import PERIOD_COLUMNS, SCHEMA
from bqx_ops.lazy import pd


def week_table(conn: duckdb.DuckDBPyConnection, name: str, period_start: dt.datetime) -> pd.DataFrame:
    """One week's rows of a plan table, in the order they were computed, without the period columns."""
    df = conn.execute(f"SELECT * FROM {SCHEMA}.{name} WHERE period_start = ? ORDER BY position",
                      [period_start.replace(tzinfo=None)]).df() if table_exists(conn, SCHEMA, name) else pd.DataFrame()
    return df.drop(columns=list(PERIOD_COLUMNS), errors="ignore")


class WeekTables:
    """``week_table`` for the weeks starting at ``starts``, each table read once for all of them.

    A run's reports read 18 tables for each of up to ~50 weeks: some 900 small queries, most of
    the plan run's DuckDB time, become one per table. A week's frame is exactly what ``week_table``
    reads for it, dtypes included (``split_as_queried``), whatever the other weeks hold."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, starts: list[dt.datetime]):
        self._conn = conn
        self._starts = sorted({s.replace(tzinfo=None) for s in starts})
        self._read: dict[str, tuple[dict, pd.DataFrame] | None] = {}

    def get(self, name: str, period_start: dt.datetime) -> pd.DataFrame:
        start = period_start.replace(tzinfo=None)
        if start not in self._starts:  # not one of the run's weeks: read on its own
            return week_table(self._conn, name, period_start)
        if name not in self._read:
            self._read[name] = self._all_weeks(name)
        if self._read[name] is None:
            return pd.DataFrame()
        weeks, empty = self._read[name]
        return weeks.get(start, empty).copy()  # the caller may change its frame; the next one is intact

    def _all_weeks(self, name: str) -> tuple[dict, pd.DataFrame] | None:
        if not table_exists(self._conn, SCHEMA, name):
            return None
        df = self._conn.execute(
            f"SELECT * FROM {SCHEMA}.{name} WHERE period_start IN (SELECT unnest(?::TIMESTAMP[])) "
            "ORDER BY period_start, position", [self._starts]).df()
        weeks = split_as_queried(df, "period_start", drop=list(PERIOD_COLUMNS))
        empty = weeks.pop(None)
        return {key.to_pydatetime(): part for key, part in weeks.items()}, empty

