"""Refuse a configured regular expression that can take exponential time (catastrophic backtracking).

Patterns from the configuration and the triage rules run in Python's ``re`` on text from the sources
(stage names, issue titles, log lines): ``(a+)+$`` on 40 ``a`` then ``!`` never returns, and a run
hangs with no reason given. ``problem`` finds the classic cause statically: inside a repeat, an
unbounded repeat that could either take the next character or leave it to what follows it (the
next iteration, or the rest of the pattern), so the engine tries every way of splitting the text.
``(a+)+``, ``(\\w+\\s?)+$``, ``(.*a){12}`` are refused; ``(\\d+\\.){3}``, ``(?:[-_]retry\\d*)+$`` are not.

Character sets are compared on a sample of characters (ASCII, Latin-1 and a few others): enough to
see an overlap between ``\\w`` and ``a``. Branches that overlap (``(a|ab)+``) are not looked at.
Pure: no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache

try:  # Python 3.11+
    from re import _constants as C
    from re import _parser as P
except ImportError:  # pragma: no cover
    import sre_constants as C
    import sre_parse as P

UNIVERSE = frozenset(chr(c) for c in range(0x250)) | frozenset("\u2028\u2029\u3000中€😀")
_CATEGORY = {C.CATEGORY_DIGIT: r"\d", C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_SPACE: r"\s",
             C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT)


@lru_cache(maxsize=None)
def _category(cat) -> frozenset:
    pattern = re.compile(_CATEGORY.get(cat, r"[\s\S]"))
    return frozenset(c for c in UNIVERSE if pattern.fullmatch(c))


def _cased(code: int) -> frozenset:
    c = chr(code)
    return frozenset({c, c.lower(), c.upper()})  # case-blind: an overlap is never missed


def _charset(op, av) -> frozenset:
    if op is C.LITERAL:
        return _cased(av)
    if op is C.NOT_LITERAL:
        return UNIVERSE - _cased(av)
    if op is C.ANY:
        return UNIVERSE
    out, negate = set(), False
    for kind, value in av:  # IN
        if kind is C.NEGATE:
            negate = True
        elif kind is C.LITERAL:
            out |= _cased(value)
        elif kind is C.RANGE:
            out |= {c for lo, hi in [value] for c in UNIVERSE if lo <= ord(c) <= hi}
        elif kind is C.CATEGORY:
            out |= _category(value)
        else:  # anything else: assume it can be any character
            out |= UNIVERSE
    return frozenset(UNIVERSE - out if negate else out)


def _first(seq) -> tuple[frozenset, bool]:
    """(characters the sequence can start with, whether it can match nothing)."""
    chars: set = set()
    for op, av in seq:
        first, nullable = _first_item(op, av)
        chars |= first
        if not nullable:
            return frozenset(chars), False
    return frozenset(chars), True


def _first_item(op, av) -> tuple[frozenset, bool]:
    if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
        return _charset(op, av), False
    if op is C.SUBPATTERN:
        return _first(av[-1])
    if op is C.ATOMIC_GROUP:
        return _first(av)
    if op is C.BRANCH:
        parts = [_first(b) for b in av[1]]
        return frozenset().union(*(p[0] for p in parts)), any(p[1] for p in parts)
    if op in _REPEATS or op is C.POSSESSIVE_REPEAT:
        first, nullable = _first(av[2])
        return first, nullable or av[0] == 0
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return frozenset(), True
    return UNIVERSE, True  # a back reference, a conditional: anything


def _scan(seq, follow: frozenset, repeated: bool) -> str | None:
    """The first ambiguous unbounded repeat inside a repeat of ``seq``, described, or None."""
    items = list(seq)
    for i, (op, av) in enumerate(items):
        rest, nullable = _first(items[i + 1:])
        after = rest | follow if nullable else rest
        if op in _REPEATS:
            low, high, body = av
            first, _ = _first(body)
            if repeated and high == C.MAXREPEAT and first & after:
                return "an unbounded repeat inside a repeat can stop or go on on the same character " \
                       f"({_show(first & after)})"
            inner = _scan(body, first | after if high > 1 else after, repeated or high > 1)
            if inner:
                return inner
        elif op is C.SUBPATTERN:
            inner = _scan(av[-1], after, repeated)
            if inner:
                return inner
        elif op is C.BRANCH:
            for branch in av[1]:
                inner = _scan(branch, after, repeated)
                if inner:
                    return inner
        elif op in (C.ASSERT, C.ASSERT_NOT):
            inner = _scan(av[1], UNIVERSE, repeated)
            if inner:
                return inner
    return None


def _show(chars: frozenset) -> str:
    shown = sorted(chars)[:3]
    return ", ".join(repr(c) for c in shown) + (", ..." if len(chars) > 3 else "")


def problem(pattern: str) -> str | None:
    """Why ``pattern`` can take exponential time on some text, or None (it must compile)."""
    parsed = P.parse(pattern)
    return _scan(parsed, frozenset(), False)


def check(pattern: str) -> None:
    """Raise ValueError when ``pattern`` does not compile or can take exponential time."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    why = problem(pattern)
    if why:
        raise ValueError(f"{pattern!r} can take exponential time on some text: {why}; write it without a "
                         "repeat inside a repeat that can match the same characters")
