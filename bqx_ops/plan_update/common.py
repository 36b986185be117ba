"""Helpers shared by the plan computations: coercion, stage ordering, working days."""

from __future__ import annotations

import datetime as dt
import math
import re

from bqx_ops.lazy import np, pd


# Plan estimates are in working days (the plan's goal counts working days), so
# every actual duration is counted the same way: Monday to Friday, both ends included.
DAY = dt.timedelta(days=1)


def working_days(start, end) -> int | None:
    """Mon-Fri days in [start, end] (0 if end is before start; None if a date is missing)."""
    start, end = as_date(start), as_date(end)
    if start is None or end is None:
        return None
    if end < start:
        return 0
    return int(np.busday_count(start, end + DAY))


def as_date(value) -> dt.date | None:
    """A date from a date, datetime, Timestamp or ISO string; None for missing values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def number(value) -> float | None:
    """A finite float, or None for missing / non-numeric / infinite values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def text(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def stage_key(stage_id) -> tuple:
    """Natural order of stage ids: 2.3 < 9.5 < 10.1; odd ids sort after, by text."""
    parts = re.split(r"[.\s]+", str(stage_id or "").strip())
    # isdecimal, not isdigit: "²" and "①" are digits to Python that int() refuses (a Stage ID "1.²" crashed the run)
    return tuple((0, int(p), "") if p.isdecimal() else (1, 0, p) for p in parts)


def natural_key(value) -> tuple:
    """Text with its numbers compared as numbers: horizons J+3 < J+14, w15 < w30 < w90, h1 < h24 (as a
    reader counts them; by text J+14 came before J+3)."""
    return tuple((0, int(part), "") if part.isdecimal() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", str(value)) if part)


def phase_key(phase_id, number_=None) -> tuple:
    """Phases by number when known (P2 < P10), else by id."""
    n = number(number_)
    if n is not None:
        return (0, n, str(phase_id or ""))
    match = re.fullmatch(r"[Pp]?(\d+)", str(phase_id or ""))
    return (0, int(match.group(1)), str(phase_id)) if match else (1, 0, str(phase_id or ""))


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts with pandas missing values (None, NaN, NaT, NA) turned into None.

    The plan and review runs call this some 8,000 times on frames of a few dozen rows, where
    pandas' per-column overhead is most of the cost: the frame becomes one object array (Python
    scalars, as ``Series.tolist`` gives them) and its missing values are found in one ``isna``."""
    if df is None or df.empty:
        return []
    names = list(df.columns)
    values = df.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values[missing] = None
    return [dict(zip(names, row)) for row in values.tolist()]
