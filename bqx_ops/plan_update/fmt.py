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


def integer(value) -> str:
    v = number(value)
    return NO_DATA if v is None else f"{int(round(v))}"


def day(value) -> str:
    d = as_date(value)
    return d.isoformat() if isinstance(d, dt.date) else NO_DATA
