"""Fixed formatting of figures, so reports are byte-identical for the same numbers."""

from __future__ import annotations

import datetime as dt

from bqx_ops.plan_update.common import as_date, number

NO_DATA = "no data"


def money(value, cents: bool = True) -> str:
    """$1,234.50; whole dollars without cents when ``cents`` is False and the value is whole."""
    v = number(value)
    if v is None:
        return NO_DATA
    if not cents and float(v).is_integer():
        return f"${v:,.0f}"
    return f"-${-v:,.2f}" if v < 0 else f"${v:,.2f}"


def signed_money(value) -> str:
    v = number(value)
    if v is None:
        return NO_DATA
    v = round(v, 2) + 0.0  # no "-$0.00"
    return f"+${v:,.2f}" if v >= 0 else f"-${-v:,.2f}"


def pct(value, digits: int = 1) -> str:
    """+12.3% (always signed; -0.0 shown as +0.0)."""
    v = number(value)
    if v is None:
        return NO_DATA
    return f"{round(v, digits) + 0.0:+.{digits}f}%"


def num(value, digits: int = 2) -> str:
    v = number(value)
    return NO_DATA if v is None else f"{v:.{digits}f}"


def _side(x: float, t: float) -> int:
    return (x > t) - (x < t)


def num_vs(value, thresholds, digits: int = 2, most: int = 8) -> str:
    """``value`` with ``digits`` decimals, more when rounding would put it on another side of a threshold.

    A value just under a threshold gets the decimals it needs to read under it, never the rounded
    threshold itself: a displayed figure never seems to meet a target it misses (nor to miss one it
    meets).
    """
    v = number(value)
    if v is None:
        return NO_DATA
    limits = [float(t) for t in thresholds if number(t) is not None]
    while digits < most and any(_side(round(v, digits), t) != _side(v, t) for t in limits):
        digits += 1
    return f"{v:.{digits}f}"


def plural(count, noun: str) -> str:
    """"1 working day", "2 working days", "no data working days" never."""
    n = number(count)
    if n is None:
        return f"{NO_DATA} ({noun}s)"
    n = int(round(n))
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def integer(value) -> str:
    v = number(value)
    return NO_DATA if v is None else f"{int(round(v))}"


def day(value) -> str:
    d = as_date(value)
    return d.isoformat() if isinstance(d, dt.date) else NO_DATA
