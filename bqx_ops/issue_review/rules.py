"""The triage rules: the packaged YAML, optionally overridden by a user file.

``load_rules()`` reads ``bqx_ops/rules/issue_triage.yaml`` and merges the file named
by ``BQX_OPS_TRIAGE_RULES`` over it (mappings key by key, lists replaced). A rules
file with unknown priorities, categories or owners, or a pattern that does not
compile, is refused with a message naming the offending entry.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from bqx_ops import regex_safety, yaml_files
from bqx_ops.issue_review import rules_shape
from bqx_ops.base_schema import CATEGORIES, PRIORITIES
from bqx_ops.sanitize import INVISIBLE, one_line_defect

ENV_VAR = "BQX_OPS_TRIAGE_RULES"
SOURCES = ("github", "cloudwatch", "sagemaker", "airtable_notes", "derived")


class RulesError(ValueError):
    """The triage rules file is not usable; the message says which entry and why."""


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    sources: tuple[str, ...]
    priority: str | None = None
    category: str | None = None
    escalations: tuple[tuple[int, str], ...] = ()  # (min_count, priority), highest first

    def applies_to(self, source: str) -> bool:
        return not self.sources or source in self.sources


@dataclass(frozen=True)
class TriageRules:
    sla_hours: dict[str, int]
    definitions: dict[str, str]
    categories: dict[str, str]
    owners_by_category: dict[str, str]
    untriaged_owner: str
    prefer_stage_owner: bool
    priority_labels: dict[str, str]  # label_key(label) -> priority
    category_labels: dict[str, str]
    rules: tuple[Rule, ...]
    cloudwatch: dict
    sagemaker: dict
    notes_blocker: re.Pattern
    derived: dict
    origin: tuple[str, ...] = field(default=())  # files the rules came from
    unresolved: dict = field(default_factory=dict)  # priority -> escalation level (see _levels)
    interval_minutes: int = 60  # how often the unresolved-issue sensor looks

    def owner_for(self, category: str | None, stage_owner: str | None = None) -> str:
        if self.prefer_stage_owner and stage_owner:
            return stage_owner
        return self.owners_by_category.get(category or "", self.untriaged_owner)


SEED_SLA_HOURS = {"P0": 24, "P1": 168}  # the seed's P0/P1 SLAs (the packaged rules), used when rules do not load


def sla_words(hours: float) -> str:
    """An SLA as the seed's dashboard writes it: 24 -> "24h", 168 -> "1 week", 72 -> "3 days"."""
    hours = float(hours)
    if hours % 168 == 0:
        return "1 week" if hours == 168 else f"{hours / 168:.0f} weeks"
    if hours % 24 == 0 and hours > 24:
        return f"{hours / 24:.0f} days"
    return f"{hours:g}h"


def p0_p1_sla_hours(path: str | None = None) -> dict[str, float]:
    """The P0 and P1 SLAs of the team's triage rules; the seed's when the rules do not load (the
    review run says why)."""
    try:
        rules = load_rules(path)
    except RulesError:
        return dict(SEED_SLA_HOURS)
    return {p: rules.sla_hours[p] for p in SEED_SLA_HOURS}


def label_key(label) -> str:
    """A label as people mean it: "Priority: P1", " p1 " and "priority:P1" are one label (spaces and case
    are not compared), and so are "P0" with a zero-width space or a fullwidth "Ｐ０" (invisible characters
    and Unicode form, as for Airtable keys): such a P0 was untriaged, never escalated within its SLA."""
    return "".join(INVISIBLE.sub("", unicodedata.normalize("NFKC", str(label))).split()).casefold()


def default_path() -> Path:
    return Path(str(resources.files("bqx_ops") / "rules" / "issue_triage.yaml"))


def merge(base: dict, override: dict) -> dict:
    """Mappings merged key by key (recursively); anything else in ``override`` replaces."""
    out = dict(base)
    for key, value in (override or {}).items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_rules(path: str | None = None, re2: bool = True) -> TriageRules:
    """The packaged rules, with ``path`` (default: $BQX_OPS_TRIAGE_RULES) merged over them. Parsed once
    per version of the files (path, mtime, size): a run asks for them per review, per 360 version, per
    check (the YAML read and every pattern compiled each time); a changed file is read again."""
    files = [default_path()]
    user = path if path is not None else os.environ.get(ENV_VAR)
    if user:
        files.append(Path(user))
    try:
        versions = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError:  # a file that cannot be read: said by the uncached path, never remembered
        return _load(files, re2)
    return _load_version(versions, re2)


@functools.lru_cache(maxsize=32)
def _load_version(versions: tuple[tuple[str, int, int], ...], re2: bool) -> TriageRules:
    return _load([Path(name) for name, *_ in versions], re2)


def _load(files: list[Path], re2: bool) -> TriageRules:
    data: dict = {}
    for file in files:
        try:
            loaded = yaml_files.load(file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RulesError(f"cannot read triage rules {file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise RulesError(f"triage rules {file} must be a mapping at the top level")
        data = merge(data, loaded)
    try:
        return parse(data, tuple(str(f) for f in files), re2)
    except RulesError as exc:  # named by the file that could have said it (the user's, over the packaged one)
        raise RulesError(f"triage rules {files[-1]}: {exc}") from None


def _compile(pattern, where: str) -> re.Pattern:
    try:
        compiled = re.compile(str(pattern))
    except re.error as exc:
        raise RulesError(f"{where}: pattern {pattern!r} does not compile ({exc})") from None
    why = regex_safety.problem(str(pattern))  # (a+)+$ on a long title would hang the review
    if why:
        raise RulesError(f"{where}: pattern {pattern!r} can take exponential time on some text: {why}")
    return compiled


def _priority(value, where: str) -> str:
    if value not in PRIORITIES:
        raise RulesError(f"{where}: unknown priority {value!r} (expected one of {', '.join(PRIORITIES)})")
    return value


def _category(value, where: str) -> str:
    if value not in CATEGORIES:
        raise RulesError(f"{where}: unknown category {value!r} (expected one of {', '.join(CATEGORIES)})")
    return value


def _escalations(items, key: str, where: str) -> tuple[tuple[float, str], ...]:
    out = [(float(e[key]), _priority(e["priority"], where)) for e in items or []]
    return tuple(sorted(out, key=lambda e: -e[0]))


ROLE = "role:"


def _owner(who, where: str) -> str:
    """An Airtable Owner is the team's own (an open select): any one-line, non-empty name, or
    ``role:<key>`` for whoever plays that role in the configuration (``roles``)."""
    if not isinstance(who, str) or one_line_defect(who):
        raise RulesError(f"{where}: {who!r} is not an owner's name (one line of text)")
    if not who.startswith(ROLE):
        return who
    from bqx_ops import config

    try:
        return config.person(who[len(ROLE):])
    except AttributeError:
        keys = ", ".join(config.RolesSection.model_fields)
        raise RulesError(f"{where}: {who!r} names no role (roles: {keys})") from None


def _levels(section: dict) -> dict[str, dict]:
    """The unresolved-issue escalation levels: priority -> {to, action, sns, relevance_task}."""
    out = {}
    for priority, level in ((section or {}).get("levels") or {}).items():
        where = f"unresolved.levels.{priority}"
        _priority(priority, where)
        if not isinstance(level, dict):
            raise RulesError(f"{where} must be a mapping")
        to = str(level.get("to") or "owner")
        to = to if to == "owner" else _owner(to, f"{where}.to")
        out[priority] = {"to": to, "action": str(level.get("action") or "escalation"),
                         "sns": bool(level.get("sns", False)), "relevance_task": bool(level.get("relevance_task", False))}
    return out


def parse(data: dict, origin: tuple[str, ...] = (), re2: bool = True) -> TriageRules:
    """``re2``: also check the CloudWatch patterns in DuckDB (what runs them); off where only the shape
    matters and nothing may be imported that a run would import (loading the code location)."""
    rules_shape.check(data, RulesError, re2)  # a value of another shape: its key, never a crash deep in a review
    priorities = data.get("priorities") or {}
    for name in PRIORITIES:
        if not isinstance(priorities.get(name), dict) or "sla_hours" not in priorities[name]:
            raise RulesError(f"priorities.{name}.sla_hours is missing")
    owners = data.get("owners") or {}
    by_category = {_category(c, "owners.by_category"): o for c, o in (owners.get("by_category") or {}).items()}
    by_category = {category: _owner(who, f"owners.by_category.{category}") for category, who in by_category.items()}
    untriaged = _owner(owners.get("untriaged"), "owners.untriaged")
    labels = data.get("labels") or {}
    rules = []
    for i, r in enumerate(data.get("rules") or []):
        where = f"rules[{i}] ({r.get('name', 'unnamed')})"
        unknown = set(r.get("sources") or ()) - set(SOURCES)
        if unknown:
            raise RulesError(f"{where}: unknown sources {sorted(unknown)}")
        rules.append(Rule(
            name=str(r.get("name") or f"rule-{i}"),
            pattern=_compile(r.get("pattern", "."), where),
            sources=tuple(r.get("sources") or ()),
            priority=_priority(r["priority"], where) if r.get("priority") else None,
            category=_category(r["category"], where) if r.get("category") else None,
            escalations=_escalations(r.get("escalations"), "min_count", where),
        ))
    derived = dict(data.get("derived") or {})
    for kind in ("cost_overrun", "timeline"):
        spec = dict(derived.get(kind) or {})
        key = "min_variance_pct" if kind == "cost_overrun" else "min_days_over"
        spec["escalations"] = _escalations(spec.get("escalations"), key, f"derived.{kind}")
        derived[kind] = spec
    return TriageRules(
        sla_hours={p: int(priorities[p]["sla_hours"]) for p in PRIORITIES},  # whole hours (rules_shape)
        definitions={p: str(priorities[p].get("definition", "")) for p in PRIORITIES},
        categories={_category(c, "categories"): str(d) for c, d in (data.get("categories") or {}).items()},
        owners_by_category=by_category,
        untriaged_owner=untriaged,
        prefer_stage_owner=bool(owners.get("prefer_stage_owner", True)),
        priority_labels={label_key(k): _priority(v, "labels.priority")
                         for k, v in (labels.get("priority") or {}).items()},
        category_labels={label_key(k): _category(v, "labels.category")
                         for k, v in (labels.get("category") or {}).items()},
        rules=tuple(rules),
        cloudwatch=dict(data.get("cloudwatch") or {}),
        sagemaker=dict(data.get("sagemaker") or {}),
        notes_blocker=_compile((data.get("notes") or {}).get("blocker", r"(?i)\bblocked\b"), "notes.blocker"),
        derived=derived,
        origin=origin,
        unresolved=_levels(data.get("unresolved") or {}),
        interval_minutes=int((data.get("unresolved") or {}).get("interval_minutes", 60)),
    )
