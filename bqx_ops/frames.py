"""Typed pandas frames for DuckDB tables, with explicit dtypes so empty frames keep their schema."""

from __future__ import annotations

import pandas as pd

from bqx_ops.base_schema import Table
from bqx_ops.sanitize import visible


def _text(value):
    return visible(value) if isinstance(value, str) else value

_DTYPES = {
    "text": "string",
    "long_text": "string",
    "single_select": "string",
    "multi_select": "string",
    "link": "string",
    "number": "float64",
    "currency": "float64",
    "integer": "Int64",
    "date": "datetime64[us]",
    "last_modified": "datetime64[us]",
}

RAW_COLUMNS = {
    "snapshot_date": "datetime64[us]",
    "table_name": "string",
    "position": "Int64",
    "record_id": "string",
    "created_time": "string",
    "record_json": "string",
}

QUARANTINE_COLUMNS = {
    "source": "string",
    "table_name": "string",
    "record_id": "string",
    "snapshot_date": "datetime64[us]",
    "reason": "string",
    "raw_json": "string",
}


def frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """A DataFrame with exactly ``columns`` (name -> dtype), in that order."""
    # text columns go through the one sanitizer: DuckDB refuses lone surrogates, and control
    # characters must never reach a table (or a report read from it) unescaped
    data = {}
    for name, dtype in columns.items():
        values = pd.Series([_text(row.get(name)) if dtype == "string" else row.get(name) for row in rows],
                           dtype=None if rows else object)  # inferred per column, as DataFrame(rows) would
        data[name] = pd.to_datetime(values).astype(dtype) if dtype.startswith("datetime") else values.astype(dtype)
    return pd.DataFrame(data, columns=list(columns))  # one frame from typed columns: no per-column copy


def table_columns(table: Table) -> dict[str, str]:
    cols = {"snapshot_date": "datetime64[us]", "record_id": "string", "created_time": "datetime64[us]"}
    cols.update({f.column: _DTYPES[f.kind] for f in table.fields})
    return cols
