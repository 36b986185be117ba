"""Typed frames and their rows: the fast builders give exactly what pandas' general path gives.

`frame` builds the common columns directly and `records` converts a whole frame at once (both for
speed, issue 14); the expectation here is pandas' own general path, value by value, over a seeded
random mix of clean, missing, hostile and out-of-range values."""

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from bqx_ops.frames import frame
from bqx_ops.plan_update.common import records
from bqx_ops.sanitize import visible

VALUES = {
    "string": ["a", "", None, "x\x00y", "\ud800", 5, 2.5, True],
    "float64": [1, 2.5, None, 0, -3, 2**60, float("nan"), float("inf"), 1e308, True, "4", np.float64(3.5)],
    "Int64": [1, None, 0, -7, 2**53 + 1, 2**62, 3.0, True, np.int64(4)],
    "datetime64[us]": [None, dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4, 5, 6), pd.Timestamp("2025-02-03 04:05"),
                       dt.date(9999, 12, 31), dt.datetime(1, 1, 1), dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
                       "2025-03-04", pd.NaT, pd.Timestamp("2025-01-01 00:00:00.000000001")],
    "bool": [True, False, None],
    "boolean": [True, False, None],
}


def general(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """pandas' general path: a Series per column, inferred, then cast."""
    data = {}
    for name, dtype in columns.items():
        values = [visible(r.get(name)) if dtype == "string" and isinstance(r.get(name), str) else r.get(name)
                  for r in rows]
        series = pd.Series(values, dtype=None if rows else object)
        data[name] = pd.to_datetime(series).astype(dtype) if dtype.startswith("datetime") else series.astype(dtype)
    return pd.DataFrame(data, columns=list(columns))


def outcome(build, rows, columns):
    try:
        return build(rows, columns)
    except Exception as error:  # noqa: BLE001 - the same refusal is part of the contract
        return type(error)


def random_cases(seed: int, count: int):
    rnd = random.Random(seed)
    for _ in range(count):
        columns = {f"c{i}": rnd.choice(list(VALUES)) for i in range(rnd.randint(1, 4))}
        rows = []
        for _ in range(rnd.randint(0, 5)):
            row = {}
            for name, dtype in columns.items():
                pool = VALUES[dtype][:3] if rnd.random() < 0.7 else VALUES[dtype]  # mostly clean columns
                if rnd.random() > 0.1:
                    row[name] = rnd.choice(pool)
            rows.append(row)
        yield rows, columns


@pytest.mark.filterwarnings("ignore::FutureWarning")  # pandas on mixed time zones, both paths alike
def test_frame_equals_pandas_general_path_value_for_value_and_dtype_for_dtype():
    refused = 0
    for rows, columns in random_cases(seed=14, count=3000):
        want, got = outcome(general, rows, columns), outcome(frame, rows, columns)
        if isinstance(want, type) or isinstance(got, type):
            assert got == want, (rows, columns)
            refused += 1
            continue
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert refused > 0  # the mix does reach pandas' refusals (out-of-range dates, mixed zones)


def test_an_empty_frame_keeps_its_schema():
    got = frame([], {"a": "string", "b": "Int64", "c": "datetime64[us]", "d": "float64", "e": "bool"})
    assert list(got.columns) == list("abcde") and got.empty
    assert [str(t) for t in got.dtypes] == ["string", "Int64", "datetime64[us]", "float64", "bool"]


def _rows_one_by_one(df: pd.DataFrame) -> list[dict]:
    """The reference: each value read through Series.tolist and judged missing on its own."""
    def missing(v):
        try:
            return bool(pd.isna(v))
        except (TypeError, ValueError):  # a list or an array is a value, never missing
            return False
    columns = {name: [None if missing(v) else v for v in df[name].tolist()] for name in df.columns}
    return [{name: columns[name][i] for name in df.columns} for i in range(len(df))]


def test_records_gives_python_scalars_and_none_for_every_kind_of_missing():
    df = pd.DataFrame({
        "s": pd.array(["a", None, "c"], dtype="string"),
        "i": pd.array([1, None, 3], dtype="Int64"),
        "n": pd.Series([1, 2, 3], dtype="int64"),
        "f": [1.5, float("nan"), float("inf")],
        "t": pd.to_datetime(pd.Series(["2025-01-01", None, "2025-01-03"])).astype("datetime64[us]"),
        "z": pd.to_datetime(pd.Series(["2025-01-01T00:00Z", None, "2025-01-03T00:00Z"])),
        "o": pd.Series([[1, float("nan")], None, pd.NA], dtype=object),
        "b": [True, False, True],
    })
    got = records(df)
    want = _rows_one_by_one(df)
    assert got == want
    for row_got, row_want in zip(got, want):
        assert [type(v) for v in row_got.values()] == [type(v) for v in row_want.values()]
    assert got[1] == {"s": None, "i": None, "n": 2, "f": None, "t": None, "z": None, "o": None, "b": False}
    assert type(got[0]["n"]) is int and type(got[0]["f"]) is float and got[0]["o"][0] == 1
    assert records(df.iloc[0:0]) == [] and records(None) == []
