"""Typed pandas frames for DuckDB tables, with explicit dtypes so empty frames keep their schema."""

from __future__ import annotations

import datetime as dt

from bqx_ops.base_schema import Table
from bqx_ops.lazy import np, pd
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
        values = [_text(row.get(name)) if dtype == "string" else row.get(name) for row in rows]
        data[name] = _column(values, dtype)
    # typed columns already in order: naming them again (columns=...) would make pandas reindex, 3x the cost
    return pd.DataFrame(data) if data else pd.DataFrame(data, columns=[])


_DATES = (1678, 2261)  # years a datetime64[ns] holds: pandas' own path refuses others
_SAFE_INT = 2**53  # exact in a float64: below it, inferring through float (as pandas does with a None) is exact


def _column(values: list, dtype: str):
    """``values`` as a column of ``dtype``, as ``pd.Series(values).astype(dtype)`` would make it.

    The plan and review runs build some 20,000 columns of a few rows each, where the Series, its type
    inference and the ``astype`` cost more than the work. The common cases (every value already of the
    column's Python type, or missing) are built directly, with the same result; anything else takes
    the general path."""
    kinds = {type(v) for v in values}
    kinds.discard(type(None))
    if dtype == "string" and kinds <= {str}:
        return pd.array(values, dtype="string")
    if dtype == "float64" and kinds <= {float, int} and all(v is None or -_SAFE_INT < v < _SAFE_INT
                                                              for v in values if type(v) is int):
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    if dtype == "Int64" and kinds <= {int} and all(v is None or -_SAFE_INT < v < _SAFE_INT for v in values):
        return pd.array(values, dtype="Int64")
    if dtype == "datetime64[us]" and kinds <= {dt.datetime, dt.date, pd.Timestamp} and all(
            v is None or (_DATES[0] <= v.year <= _DATES[1] and getattr(v, "tzinfo", None) is None
                          and not getattr(v, "nanosecond", 0)) for v in values):
        return np.array(values, dtype=dtype)  # naive, whole microseconds, inside pandas' range: None is NaT
    if dtype == "bool" and kinds <= {bool}:
        return np.array(values, dtype=bool)  # None is False, as astype(bool) makes it
    series = pd.Series(values, dtype=None if values else object)  # inferred, as DataFrame(rows) would
    return pd.to_datetime(series).astype(dtype) if dtype.startswith("datetime") else series.astype(dtype)


def split_as_queried(df: pd.DataFrame, by: str, drop: list[str] | tuple = ()) -> dict[pd.Timestamp, pd.DataFrame]:
    """A DuckDB result of many periods, cut by its ``by`` column (without ``drop``), each part as a
    query of just its rows gives it: DuckDB makes an integer or boolean column nullable (Int64,
    boolean) only when the result holds a NULL, so such a column without a missing value in a part
    becomes int64 or bool there. Also the key ``None``: the empty frame a period without rows reads."""
    keys = df[by]
    body = df.drop(columns=list(drop), errors="ignore")
    nullable = {c: t.numpy_dtype for c, t in body.dtypes.items()
                if isinstance(t, pd.api.extensions.ExtensionDtype) and t.kind in ("i", "u", "b")}
    # a column with no missing value at all has none in any part: made plain once, not in every part
    whole = {c: t for c, t in nullable.items() if not body[c].hasnans}
    if whole:
        body = body.astype(whole)
        nullable = {c: t for c, t in nullable.items() if c not in whole}

    def as_queried(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.reset_index(drop=True)
        plain = {c: t for c, t in nullable.items() if not rows[c].hasnans}
        return rows.astype(plain) if plain else rows

    # each key's row positions from one grouping pass (a mask per key was a pass over every row per key)
    positions = keys.groupby(keys, sort=False, dropna=False).indices if len(keys) else {}
    parts = {pd.Timestamp(key): as_queried(body.iloc[positions[key]]) for key in keys.unique()}
    return {**parts, None: as_queried(body.iloc[0:0])}


def table_columns(table: Table) -> dict[str, str]:
    cols = {"snapshot_date": "datetime64[us]", "record_id": "string", "created_time": "datetime64[us]"}
    cols.update({f.column: _DTYPES[f.kind] for f in table.fields})
    return cols
