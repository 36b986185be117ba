"""Fixed formatting of figures, so reports are byte-identical for the same numbers.

One rounding rule for every figure: half away from zero on the figure's decimal value
(``rounded``: -6.25 -> -6.3, -36.25 -> -36.3, 211.25 -> 211.3, 2.5 -> 3). The decimal value is
the float read to 12 significant digits, so binary noise (36.24999999999999 for 36.25) never
decides a half. A figure compared with a threshold is never rounded onto or across it
(``num_vs``, ``pct_vs``): it gets the decimals it needs to stay strictly on its side.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from bqx_ops.plan_update.common import as_date, number

NO_DATA = "no data"


def rounded(value: float, digits: int = 0) -> Decimal:
    """``value`` rounded half away from zero to ``digits`` decimals, as a Decimal (exact to print)."""
    exact = Decimal(f"{value:.12g}")
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP) + 0  # + 0: no "-0.0"


def half_up(value: float, digits: int = 0) -> float:
    """``rounded`` as a float: for a figure stored rounded (an adjusted cost, a forecast) and printed
    again, so the stored value is the one the rule gives (14 x 25.15 / 28 = 12.575 is $12.58; Python's
    round gives 12.57 from the float 12.574999...)."""
    return float(rounded(value, digits))


def fixed(value: float, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals under the one rounding rule ("-0.0" never)."""
    return f"{rounded(value, digits):.{digits}f}"


def money(value, cents: bool = True) -> str:
    """$1,234.50; whole dollars without cents when ``cents`` is False and the value is whole."""
    v = number(value)
    if v is None:
        return NO_DATA
    if not cents and float(v).is_integer():
        return f"${v:,.0f}"
    r = rounded(v, 2)
    return f"-${-r:,.2f}" if r < 0 else f"${r:,.2f}"


def money_vs(value, thresholds) -> str:
    """``money`` with more decimals when rounding to the cent would put it on another side of a threshold
    ($399.996 against a $400 line reads $399.996, not $400.00)."""
    v = number(value)
    if v is None:
        return NO_DATA
    digits = _digits_for(v, thresholds, 2)
    r = rounded(v, digits)
    return f"-${-r:,.{digits}f}" if r < 0 else f"${r:,.{digits}f}"


def signed_money(value) -> str:
    v = number(value)
    if v is None:
        return NO_DATA
    r = rounded(v, 2)  # no "-$0.00"
    return f"+${r:,.2f}" if r >= 0 else f"-${-r:,.2f}"


def _digits_for(v: float, thresholds, digits: int, most: int = 8) -> int:
    limits = [float(t) for t in thresholds if number(t) is not None]
    while digits < most and any(_side(float(rounded(v, digits)), t) != _side(v, t) for t in limits):
        digits += 1
    return digits


def pct(value, digits: int = 1) -> str:
    """+12.3% (always signed; -0.0 shown as +0.0)."""
    v = number(value)
    if v is None:
        return NO_DATA
    return f"{rounded(v, digits):+.{digits}f}%"


def pct_vs(value, thresholds, digits: int = 1) -> str:
    """``pct`` with more decimals when rounding would put the value on another side of a threshold."""
    v = number(value)
    return NO_DATA if v is None else pct(v, _digits_for(v, thresholds, digits))


def num(value, digits: int = 2) -> str:
    v = number(value)
    return NO_DATA if v is None else fixed(v, digits)


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
    return fixed(v, _digits_for(v, thresholds, digits, most))


def signed_vs(value, thresholds, digits: int = 4) -> str:
    """``num_vs`` always signed (+0.0050, -0.0012)."""
    v = number(value)
    if v is None:
        return NO_DATA
    shown = num_vs(v, thresholds, digits)
    return shown if shown.startswith("-") else f"+{shown}"


def plural(count, noun: str) -> str:
    """"1 working day", "2 working days"; a missing count reads "working days: no data"."""
    n = number(count)
    if n is None:
        return f"{noun}s: {NO_DATA}"
    n = int(rounded(n))
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def integer(value) -> str:
    v = number(value)
    return NO_DATA if v is None else fixed(v, 0)


def day(value) -> str:
    d = as_date(value)
    return d.isoformat() if isinstance(d, dt.date) else NO_DATA
