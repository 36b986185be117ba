"""The shape of a triage rules file, checked before it is read: a clear error naming the key.

``rules.parse`` reads values where it expects them (``r.get``, ``int(...)``); a rules file of another
shape (a rule that is a string, ``sla_hours: soon``, an escalation without ``min_count``, a ``match``
that RE2 refuses) made an AttributeError, a KeyError or a DuckDB error deep inside a review. Here each
is a ``RulesError`` saying which key and what was expected. Pure: no Dagster.
"""

from __future__ import annotations

import math
from functools import lru_cache

SECTIONS = {"priorities", "categories", "owners", "labels", "rules", "notes", "cloudwatch", "sagemaker", "derived",
            "unresolved"}
# a key the rules never read is a typo ("priorty: P0", "rule:"): read as absent, the rule or the whole
# section silently did nothing
RULE_KEYS = ("name", "sources", "pattern", "priority", "category", "escalations")


MAX_DAYS = 3650  # the base schema's day counts
MAX_HOURS = MAX_DAYS * 24


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check(data: dict, error: type[Exception], re2: bool = True) -> None:
    """Raise ``error`` for the first key whose value has a shape the rules cannot be read from."""

    def fail(where: str, expected: str, value) -> None:
        raise error(f"{where}: expected {expected}, got {type(value).__name__} {str(value)[:60]!r}")

    def mapping(value, where: str) -> dict:
        if value is not None and not isinstance(value, dict):
            fail(where, "a mapping", value)
        return value or {}

    def items(value, where: str) -> list:
        if value is not None and not isinstance(value, list):
            fail(where, "a list", value)
        return value or []

    def number(value, where: str, minimum: float = 0, maximum: float = math.inf, whole: bool = False) -> None:
        # a maximum: an SLA or window of 1e300 hours or days overflowed a date in the middle of a review
        if not _number(value) or value < minimum or value > maximum or whole and value != int(value):
            kind = "a whole number" if whole else "a number"
            fail(where, kind if minimum == -math.inf else f"{kind} ≥ {minimum:g}" + (
                f" and ≤ {maximum:,.0f}" if maximum != math.inf else ""), value)

    def vocabulary(spec: dict, where: str) -> None:
        """A priority and a category a finding is given must be ours (P9 made a review fail later)."""
        from bqx_ops.base_schema import CATEGORIES, PRIORITIES

        if spec.get("priority") is not None and spec["priority"] not in PRIORITIES:
            fail(f"{where}.priority", f"one of {', '.join(PRIORITIES)}", spec["priority"])
        if spec.get("category") is not None and spec["category"] not in CATEGORIES:
            fail(f"{where}.category", f"one of {', '.join(CATEGORIES)}", spec["category"])

    def escalations(value, key: str, where: str) -> None:
        for i, e in enumerate(items(value, f"{where}.escalations")):
            spot = f"{where}.escalations[{i}]"
            number(mapping(e, spot).get(key), f"{spot}.{key}", minimum=-math.inf)
            if not isinstance(e.get("priority"), str):
                fail(f"{spot}.priority", "a priority", e.get("priority"))

    from bqx_ops.base_schema import PRIORITIES

    for name in sorted(set(data) - SECTIONS - {"version"}, key=str):
        raise error(f"{name}: not a section of the triage rules (sections: {', '.join(sorted(SECTIONS))})")
    for name in SECTIONS & set(data):
        if name != "rules":
            mapping(data[name], name)
    for p, spec in mapping(data.get("priorities"), "priorities").items():
        if p not in PRIORITIES:  # an SLA for P7 was never used, with no word
            raise error(f"priorities.{p}: unknown priority {p!r} (expected one of {', '.join(PRIORITIES)})")
        spec = mapping(spec, f"priorities.{p}")
        if "sla_hours" in spec:
            # whole hours: int() read 0.5 as 0, every issue of the priority breached the moment it was found
            number(spec["sla_hours"], f"priorities.{p}.sla_hours", maximum=MAX_HOURS, whole=True)
    owners = mapping(data.get("owners"), "owners")
    for key in sorted(set(owners) - {"by_category", "untriaged", "prefer_stage_owner"}, key=str):
        raise error(f"owners.{key}: not a key of owners (by_category, untriaged, prefer_stage_owner)")
    mapping(owners.get("by_category"), "owners.by_category")
    labels = mapping(data.get("labels"), "labels")
    for kind in ("priority", "category"):
        mapping(labels.get(kind), f"labels.{kind}")
    for i, rule in enumerate(items(data.get("rules"), "rules")):
        where = f"rules[{i}]"
        rule = mapping(rule, where) if rule is not None else fail(where, "a mapping", rule)
        for key in sorted(set(rule) - set(RULE_KEYS), key=str):
            raise error(f"{where}.{key}: not a key of a rule (keys: {', '.join(RULE_KEYS)})")
        sources = items(rule.get("sources"), f"{where}.sources")
        if not all(isinstance(s, str) for s in sources):
            fail(f"{where}.sources", "a list of source names", sources)
        if "pattern" in rule and not isinstance(rule["pattern"], str):
            fail(f"{where}.pattern", "a regular expression (text)", rule["pattern"])
        escalations(rule.get("escalations"), "min_count", where)
    derived = mapping(data.get("derived"), "derived")
    for kind, key in (("cost_overrun", "min_variance_pct"), ("timeline", "min_days_over")):
        escalations(mapping(derived.get(kind), f"derived.{kind}").get("escalations"), key, f"derived.{kind}")
    for kind in ("r2_drop", "quarantine", "cost_overrun", "timeline"):
        spec = mapping(derived.get(kind), f"derived.{kind}")
        vocabulary(spec, f"derived.{kind}")
        if not isinstance(spec.get("exclude_stage_ids") or [], list):
            fail(f"derived.{kind}.exclude_stage_ids", "a list of Stage IDs", spec["exclude_stage_ids"])
    if "threshold" in mapping(derived.get("r2_drop"), "derived.r2_drop"):
        number(derived["r2_drop"]["threshold"], "derived.r2_drop.threshold")
    unresolved = mapping(data.get("unresolved"), "unresolved")
    if "interval_minutes" in unresolved:
        number(unresolved["interval_minutes"], "unresolved.interval_minutes", minimum=1, maximum=MAX_HOURS * 60,
               whole=True)
    for p, level in mapping(unresolved.get("levels"), "unresolved.levels").items():
        mapping(level, f"unresolved.levels.{p}")
    if not isinstance(mapping(data.get("notes"), "notes").get("blocker", ""), str):
        fail("notes.blocker", "a regular expression (text)", data["notes"]["blocker"])
    _cloudwatch(mapping(data.get("cloudwatch"), "cloudwatch"), fail, items, number, re2)
    sagemaker = mapping(data.get("sagemaker"), "sagemaker")
    degradation = mapping(sagemaker.get("degradation"), "sagemaker.degradation")
    vocabulary(degradation, "sagemaker.degradation")
    for key in ("min_drop", "p1_drop"):
        if degradation.get(key) is not None:
            number(degradation[key], f"sagemaker.degradation.{key}")


def _cloudwatch(section: dict, fail, items, number, re2: bool) -> None:
    """``match``, ``warning`` and ``normalize`` run in DuckDB (RE2): each must compile there."""
    patterns = [(f"cloudwatch.{k}", section[k]) for k in ("match", "warning") if k in section]
    for i, pair in enumerate(items(section.get("normalize"), "cloudwatch.normalize")):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            fail(f"cloudwatch.normalize[{i}]", "[pattern, replacement]", pair)
        patterns.append((f"cloudwatch.normalize[{i}]", pair[0]))
    for key, minimum, maximum, whole in (("resolved_after_quiet_hours", 0, MAX_HOURS, False),
                                         ("window_days", 1, MAX_DAYS, True), ("episode_lookback_days", 1, MAX_DAYS, True)):
        if key in section:  # days are counted whole (1.5 was read as 1)
            number(section[key], f"cloudwatch.{key}", minimum, maximum, whole)
    for where, pattern in patterns:
        if not isinstance(pattern, str):
            fail(where, "a regular expression (text)", pattern)
        why = _re2_error(pattern) if re2 else None
        if why:
            fail(where, f"a regular expression RE2 accepts ({why})", pattern)


@lru_cache(maxsize=256)  # the rules are loaded by every review and dashboard run: one check per pattern
def _re2_error(pattern: str) -> str | None:
    import duckdb

    with duckdb.connect() as conn:
        try:
            conn.execute("SELECT regexp_matches('', ?)", [pattern]).fetchone()
        except duckdb.Error as exc:
            return str(exc).splitlines()[0][:120]
    return None
