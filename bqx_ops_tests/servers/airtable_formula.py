"""A small evaluator for Airtable's formula language, enough for ``filterByFormula``.

Covers what ``pyairtable.formulas`` produces (``match()``, ``EQ``/``NE``/``GT``/...,
``AND``/``OR``/``NOT``/``XOR``, ``TRUE()``/``FALSE()``, ``DATETIME_PARSE(...)``)
plus the common hand-written forms: field references ``{Field Name}`` (and bare
single-word names), string/number literals, ``= != < > <= >=``, ``& + - * /``,
and the functions listed in ``FUNCTIONS``.

Semantics follow Airtable's documented behaviour as closely as a fake can:
blank cells equal ``''``/``BLANK()`` and count as 0 in arithmetic; text comparison
is case-sensitive; arrays (multiple selects, links, lookups) render as
``"a, b"``; a record is kept when the result is truthy (not 0, '', blank, false
or an error). Unsupported functions and syntax errors raise :class:`FormulaError`,
which the server turns into 422 ``INVALID_FILTER_BY_FORMULA`` like Airtable does.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Callable

__all__ = ["FormulaError", "parse", "evaluate", "truthy", "field_names"]


class FormulaError(ValueError):
    pass


class _EvalError(Exception):
    """A runtime #ERROR! -- the record is simply filtered out."""


# --------------------------------------------------------------------------- tokens
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<field>\{(?:\\.|[^}\\])*\})
  | (?P<string>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<op>!=|<=|>=|<>|=|<|>|&|\+|-|\*|/|\(|\)|,)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body, flags=re.S)


def _tokenize(text: str) -> list[tuple[str, Any]]:
    pos = 0
    out: list[tuple[str, Any]] = []
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise FormulaError(f"Invalid formula: unexpected character {text[pos]!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)  # type: ignore[arg-type]
        if kind == "ws":
            continue
        if kind == "field":
            out.append(("field", _unescape(value[1:-1])))
        elif kind == "string":
            out.append(("string", _unescape(value[1:-1])))
        elif kind == "number":
            out.append(("number", float(value) if any(c in value for c in ".eE") else int(value)))
        else:
            out.append((kind, value))  # type: ignore[arg-type]
    return out


# --------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]):
        self.toks = tokens
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise FormulaError("Invalid formula: unexpected end of formula")
        self.i += 1
        return tok

    def expect_op(self, op: str) -> None:
        tok = self.take()
        if tok != ("op", op):
            raise FormulaError(f"Invalid formula: expected {op!r}, got {tok[1]!r}")

    def parse(self) -> Any:
        if not self.toks:
            return ("lit", True)  # an empty formula filters nothing
        node = self.comparison()
        if self.peek() is not None:
            raise FormulaError(f"Invalid formula: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def _binary(self, sub: Callable[[], Any], ops: tuple[str, ...]) -> Any:
        node = sub()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in ops:
            self.i += 1
            node = ("bin", tok[1], node, sub())
        return node

    def comparison(self) -> Any:
        return self._binary(self.concat, ("=", "!=", "<>", "<", ">", "<=", ">="))

    def concat(self) -> Any:
        return self._binary(self.additive, ("&",))

    def additive(self) -> Any:
        return self._binary(self.term, ("+", "-"))

    def term(self) -> Any:
        return self._binary(self.unary, ("*", "/"))

    def unary(self) -> Any:
        tok = self.peek()
        if tok == ("op", "-"):
            self.i += 1
            return ("neg", self.unary())
        if tok == ("op", "+"):
            self.i += 1
            return self.unary()
        return self.primary()

    def primary(self) -> Any:
        kind, value = self.take()
        if kind in ("number", "string"):
            return ("lit", value)
        if kind == "field":
            return ("field", value)
        if kind == "op" and value == "(":
            node = self.comparison()
            self.expect_op(")")
            return node
        if kind == "ident":
            if self.peek() == ("op", "("):
                self.i += 1
                args = []
                if self.peek() != ("op", ")"):
                    args.append(self.comparison())
                    while self.peek() == ("op", ","):
                        self.i += 1
                        args.append(self.comparison())
                self.expect_op(")")
                name = value.upper()
                if name not in FUNCTIONS:
                    raise FormulaError(f"Invalid formula: unknown function {value}()")
                return ("call", name, args)
            return ("field", value)  # bare field name, e.g. Status='Done'
        raise FormulaError(f"Invalid formula: unexpected {value!r}")


def parse(text: str) -> Any:
    return _Parser(_tokenize(text)).parse()


def field_names(node: Any) -> set[str]:
    """Field names referenced by a parsed formula."""
    if not isinstance(node, tuple):
        return set()
    if node[0] == "field":
        return {node[1]}
    out: set[str] = set()
    for part in node[1:]:
        if isinstance(part, tuple):
            out |= field_names(part)
        elif isinstance(part, list):
            for p in part:
                out |= field_names(p)
    return out


# --------------------------------------------------------------------------- values
def _cell(value: Any) -> Any:
    """A stored cell value -> a formula value."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return ", ".join(str(_cell(v)) for v in value if _cell(v) is not None) or None
    if isinstance(value, dict):
        for key in ("name", "email", "filename", "url", "id"):
            if key in value:
                return value[key]
        return str(value)
    return value


def _parse_dt(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed
    return None


def _num(value: Any) -> float:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dt.datetime):
        return value.timestamp()
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        raise _EvalError(f"not a number: {value!r}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return str(value)


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, (bool, int, float)):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "<>":
        op = "!="
    # datetimes compare as datetimes when either side is one
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        da, db = _parse_dt(a), _parse_dt(b)
        if da is None or db is None:
            return op == "!=" if (a is None) != (b is None) else False
        x, y = da, db
    elif a is None and b is None:
        x, y = "", ""
    elif isinstance(a, (int, float)) or isinstance(b, (int, float)):
        # number vs text: compare numerically when the text is numeric, else as text
        try:
            x, y = _num(a), _num(b)
        except _EvalError:
            x, y = _text(a), _text(b)
    else:
        x, y = _text(a), _text(b)
    if op == "=":
        return x == y
    if op == "!=":
        return x != y
    try:
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]  # type: ignore[operator]
    except TypeError:
        return False


# --------------------------------------------------------------------------- functions
def _f_and(*a: Any) -> bool:
    return all(truthy(x) for x in a)


def _f_or(*a: Any) -> bool:
    return any(truthy(x) for x in a)


def _f_xor(*a: Any) -> bool:
    return sum(truthy(x) for x in a) % 2 == 1


def _f_find(needle: Any, hay: Any, start: Any = 0) -> int:
    start_i = max(int(_num(start)) - 1, 0)
    idx = _text(hay).find(_text(needle), start_i)
    return idx + 1


def _f_search(needle: Any, hay: Any, start: Any = 0) -> Any:
    start_i = max(int(_num(start)) - 1, 0)
    idx = _text(hay).lower().find(_text(needle).lower(), start_i)
    return None if idx < 0 else idx + 1


def _f_datetime_parse(value: Any, fmt: Any = None, locale: Any = None) -> dt.datetime:
    parsed = _parse_dt(_text(value)) if not isinstance(value, dt.datetime) else value
    if parsed is None:
        raise _EvalError(f"cannot parse date {value!r}")
    return parsed


_UNITS = {
    "milliseconds": 0.001, "ms": 0.001,
    "seconds": 1, "s": 1,
    "minutes": 60, "m": 60,
    "hours": 3600, "h": 3600,
    "days": 86400, "d": 86400,
    "weeks": 7 * 86400, "w": 7 * 86400,
}


def _f_datetime_diff(a: Any, b: Any, unit: Any = "seconds") -> int:
    da, db = _f_datetime_parse(a), _f_datetime_parse(b)
    per = _UNITS.get(_text(unit).lower())
    if per is None:
        raise _EvalError(f"unsupported unit {unit!r}")
    return int((da - db).total_seconds() / per)


def _f_dateadd(date: Any, count: Any, unit: Any) -> dt.datetime:
    per = _UNITS.get(_text(unit).lower())
    if per is None:
        raise _EvalError(f"unsupported unit {unit!r}")
    return _f_datetime_parse(date) + dt.timedelta(seconds=_num(count) * per)


def _f_is_same(a: Any, b: Any, unit: Any = None) -> bool:
    da, db = _f_datetime_parse(a), _f_datetime_parse(b)
    unit_s = _text(unit).lower() if unit is not None else ""
    fields = {"year": 1, "month": 2, "day": 3, "hour": 4, "minute": 5, "second": 6}
    if unit_s in fields:
        n = fields[unit_s]
        return da.timetuple()[:n] == db.timetuple()[:n]
    return da == db


def _round(value: Any, precision: Any = 0, mode: str = "half") -> float:
    factor = 10 ** int(_num(precision))
    v = _num(value) * factor
    if mode == "up":
        r = math.ceil(abs(v)) * (1 if v >= 0 else -1)
    elif mode == "down":
        r = math.floor(abs(v)) * (1 if v >= 0 else -1)
    else:
        r = math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)
    return r / factor


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "AND": _f_and,
    "OR": _f_or,
    "XOR": _f_xor,
    "NOT": lambda x: not truthy(x),
    "TRUE": lambda: True,
    "FALSE": lambda: False,
    "BLANK": lambda: None,
    "IF": None,  # lazy, handled in evaluate
    "SWITCH": None,  # lazy
    "ISERROR": None,  # lazy
    "LOWER": lambda s: _text(s).lower(),
    "UPPER": lambda s: _text(s).upper(),
    "TRIM": lambda s: _text(s).strip(),
    "LEN": lambda s: len(_text(s)),
    "LEFT": lambda s, n: _text(s)[: int(_num(n))],
    "RIGHT": lambda s, n: _text(s)[-int(_num(n)):] if int(_num(n)) else "",
    "MID": lambda s, start, n: _text(s)[int(_num(start)) - 1: int(_num(start)) - 1 + int(_num(n))],
    "FIND": _f_find,
    "SEARCH": _f_search,
    "SUBSTITUTE": lambda s, old, new, idx=None: _text(s).replace(_text(old), _text(new)),
    "CONCATENATE": lambda *a: "".join(_text(x) for x in a),
    "T": lambda x: x if isinstance(x, str) else "",
    "VALUE": lambda x: _num(x),
    "REGEX_MATCH": lambda s, pat: re.search(_text(pat), _text(s)) is not None,
    "ENCODE_URL_COMPONENT": lambda s: __import__("urllib.parse").parse.quote(_text(s), safe=""),
    "ABS": lambda x: abs(_num(x)),
    "INT": lambda x: math.floor(_num(x)),
    "ROUND": lambda x, p=0: _round(x, p),
    "ROUNDUP": lambda x, p=0: _round(x, p, "up"),
    "ROUNDDOWN": lambda x, p=0: _round(x, p, "down"),
    "MOD": lambda x, d: _num(x) % _num(d),
    "MAX": lambda *a: max(_num(x) for x in a),
    "MIN": lambda *a: min(_num(x) for x in a),
    "SUM": lambda *a: sum(_num(x) for x in a),
    "AVERAGE": lambda *a: sum(_num(x) for x in a) / len(a),
    "COUNT": lambda *a: sum(1 for x in a if isinstance(x, (int, float)) and not isinstance(x, bool)),
    "COUNTA": lambda *a: sum(1 for x in a if x is not None and x != ""),
    "ARRAYJOIN": lambda arr, sep=", ": _text(arr).replace(", ", _text(sep)) if arr is not None else "",
    "DATETIME_PARSE": _f_datetime_parse,
    "DATESTR": lambda d: _f_datetime_parse(d).date().isoformat(),
    "IS_BEFORE": lambda a, b: _f_datetime_parse(a) < _f_datetime_parse(b),
    "IS_AFTER": lambda a, b: _f_datetime_parse(a) > _f_datetime_parse(b),
    "IS_SAME": _f_is_same,
    "DATETIME_DIFF": _f_datetime_diff,
    "DATEADD": _f_dateadd,
    "YEAR": lambda d: _f_datetime_parse(d).year,
    "MONTH": lambda d: _f_datetime_parse(d).month,
    "DAY": lambda d: _f_datetime_parse(d).day,
    # context-dependent, handled in evaluate
    "RECORD_ID": None,
    "CREATED_TIME": None,
    "LAST_MODIFIED_TIME": None,
    "NOW": None,
    "TODAY": None,
}


def evaluate(
    node: Any,
    fields: dict[str, Any],
    *,
    record_id: str = "",
    created_time: dt.datetime | None = None,
    modified_time: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Any:
    """Evaluate a parsed formula against one record. Runtime errors -> None (filtered out)."""
    now = now or dt.datetime.now(dt.timezone.utc)

    def ev(n: Any) -> Any:
        kind = n[0]
        if kind == "lit":
            return n[1]
        if kind == "field":
            return _cell(fields.get(n[1]))
        if kind == "neg":
            return -_num(ev(n[1]))
        if kind == "bin":
            op, a, b = n[1], ev(n[2]), ev(n[3])
            if op == "&":
                return _text(a) + _text(b)
            if op in ("+", "-", "*", "/"):
                if op == "+" and isinstance(a, dt.datetime):
                    return a + dt.timedelta(seconds=_num(b))
                x, y = _num(a), _num(b)
                if op == "/":
                    if y == 0:
                        raise _EvalError("division by zero")
                    return x / y
                return {"+": x + y, "-": x - y, "*": x * y}[op]
            return _compare(op, a, b)
        if kind == "call":
            name, args = n[1], n[2]
            if name == "IF":
                if len(args) not in (2, 3):
                    raise FormulaError("IF() takes 2 or 3 arguments")
                if truthy(ev(args[0])):
                    return ev(args[1])
                return ev(args[2]) if len(args) == 3 else None
            if name == "SWITCH":
                value = ev(args[0])
                rest = args[1:]
                for i in range(0, len(rest) - 1, 2):
                    if _compare("=", value, ev(rest[i])):
                        return ev(rest[i + 1])
                return ev(rest[-1]) if len(rest) % 2 == 1 else None
            if name == "ISERROR":
                try:
                    ev(args[0])
                    return False
                except _EvalError:
                    return True
            if name == "RECORD_ID":
                return record_id
            if name == "CREATED_TIME":
                return created_time
            if name == "LAST_MODIFIED_TIME":
                return modified_time or created_time
            if name == "NOW":
                return now
            if name == "TODAY":
                return now.replace(hour=0, minute=0, second=0, microsecond=0)
            values = [ev(a) for a in args]
            try:
                return FUNCTIONS[name](*values)  # type: ignore[misc]
            except TypeError as exc:
                raise FormulaError(f"Invalid formula: wrong arguments to {name}(): {exc}")
        raise FormulaError(f"Invalid formula node {n!r}")

    try:
        return ev(node)
    except _EvalError:
        return None
