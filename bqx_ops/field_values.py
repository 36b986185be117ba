"""One Airtable field's value, typed as its kind says or refused with why (``Invalid``): the rules a
record's every field goes through in ``validation``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from bqx_ops.base_schema import EARLIEST_DATE, LATEST_DATE, Field, plausible_day
from bqx_ops.sanitize import INVISIBLE, defects, one_line_defect


class Invalid(ValueError):
    pass


def _plausible(day: dt.date, value: str) -> None:
    if not plausible_day(day):
        raise Invalid(f"date {short(value)} is outside {EARLIEST_DATE} .. {LATEST_DATE}")


# What Airtable sends: a date as YYYY-MM-DD, a time as YYYY-MM-DDTHH:MM[:SS[.fff]] with Z or an offset.
# Python also reads 20260105, 2026-W01-1 or 2026-01-05 12 as dates: nobody means them, so they are malformed.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")


def _parse_date(value) -> dt.date:
    """A date field: YYYY-MM-DD, or a time (then its UTC day, as Airtable stores it)."""
    if not isinstance(value, str):
        raise Invalid(f"expected a date string, got {type(value).__name__}")
    if not _ISO_DATE.fullmatch(value) and not _ISO_DATETIME.fullmatch(value):
        raise Invalid(f"malformed date {short(value)} (expected YYYY-MM-DD)")
    if len(value) > 10:
        return parse_datetime(value).date()  # its own reasons: malformed, or outside the plausible days
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"malformed date {short(value)} (no such day)") from None  # 2026-02-30, 2026-02-29
    _plausible(day, value)
    return day


def parse_datetime(value) -> dt.datetime:
    if not isinstance(value, str):
        raise Invalid(f"expected a datetime string, got {type(value).__name__}")
    if not _ISO_DATETIME.fullmatch(value) and not _ISO_DATE.fullmatch(value):
        raise Invalid(f"malformed datetime {short(value)} (expected YYYY-MM-DDTHH:MM:SS.000Z)")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"malformed datetime {short(value)}") from None
    _plausible(parsed.date(), value)  # before astimezone, which overflows at 0001-01-01 / 9999-12-31
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    utc = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)  # naive UTC in DuckDB
    _plausible(utc.date(), value)  # 2000-01-01T00:30+14:00 is still 1999 in UTC
    return utc


def _number(f: Field, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"expected a number, got {short(value)}")  # "1,234.50", "$1,000", "95%" are text
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an integer of 400 digits is beyond any float
        bound = f.maximum if value > 0 else f.minimum
        size = f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"  # str() refuses 4300+ digits
        raise Invalid(f"{size} is {'above the maximum' if value > 0 else 'below the minimum'} {bound:g}"
                      if bound is not None else f"{size} is not a finite number") from None
    if not finite:
        raise Invalid(f"expected a number, got {value!r}")
    if f.kind == "integer" and value != int(value):
        raise Invalid(f"expected a whole number, got {value!r}")
    if f.minimum is not None and value < f.minimum:
        raise Invalid(f"{value!r} is below the minimum {f.minimum:g}")
    if f.maximum is not None and value > f.maximum:
        raise Invalid(f"{value!r} is above the maximum {f.maximum:g}")
    return int(value) if f.kind == "integer" else float(value)


def short(value, limit: int = 80) -> str:
    """A value as a reason quotes it: its repr, cut (a 10,000-character text is not repeated whole)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_option(value: str) -> str:
    """An option of an open select is the team's own: any one-line text, never empty or unsafe; read as
    people mean it (spaces around or repeated, invisible characters and the Unicode form aside), so
    "w15 " is not a horizon of its own beside "w15" (an ensemble mean over three horizons of two) nor
    "Ana\u200b" a second person."""
    problem = one_line_defect(value)
    if problem:
        raise Invalid("empty option" if not value.strip() else f"option contains {problem}")
    return " ".join(INVISIBLE.sub("", unicodedata.normalize("NFC", value)).split())


def coerce(f: Field, value):
    """The typed value of one field, or Invalid with a reason."""
    kind = f.kind
    if kind in ("text", "long_text"):
        if not isinstance(value, str):
            raise Invalid(f"expected text, got {type(value).__name__}")
        problem = defects(value)  # NUL, other controls, lone surrogates: DuckDB, git and Slack choke on them
        if problem:
            raise Invalid(f"text contains {problem}")
        return value
    if kind in ("number", "integer", "currency"):
        return _number(f, value)
    if kind == "date":
        return _parse_date(value)
    if kind == "last_modified":
        return parse_datetime(value)
    if kind == "single_select":
        if not isinstance(value, str):
            raise Invalid(f"expected one option, got {type(value).__name__}")
        if f.choices and value not in f.choices:
            raise Invalid(f"unknown option {short(value)} (expected one of {', '.join(f.choices)})")
        if not f.choices:  # a value of a closed list is one of ours: already one clean line
            return _check_option(value)
        return value
    if kind == "multi_select":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid(f"expected a list of options, got {short(value)}")
        unknown = [v for v in value if f.choices and v not in f.choices]
        if unknown:
            raise Invalid(f"unknown options {short(unknown)}")
        options = []
        for v in value:
            option = _check_option(v)
            if "," in v:  # stored comma-joined: a comma would split one option into two
                raise Invalid(f"option {short(v)} contains a comma")
            options.append(option if not f.choices else v)
        return ",".join(dict.fromkeys(options))  # "w15" and "w15 " are one horizon, listed once
    if kind == "link":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid(f"expected a list of record ids, got {short(value)}")
        if len(value) > 1:  # bqx_ops reads one parent per link: a second would be ignored, or move the record
            raise Invalid(f"links to {len(value)} records ({', '.join(value)}), but it must link to one")
        return value[0] if value else None
    raise AssertionError(f"unhandled field kind {kind}")
