"""Triage: priority, category, owner, SLA and breach of every issue of a review period.

Rules come from ``bqx_ops.issue_review.rules`` (data, not code). An issue belongs to a
period's inventory if it existed at the period's end (created before it) and was
not resolved before the period started: open at the end, or resolved during it.
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.frames import frame
from bqx_ops.issue_review.model import INVENTORY_COLUMNS, OPEN, PRIORITY_ORDER, RESOLVED, Found, ReviewPeriod
from bqx_ops.issue_review.rules import TriageRules, label_key
from bqx_ops.lazy import pd
from bqx_ops.sanitize import visible

HOUR = dt.timedelta(hours=1)


def classify(issue: Found, rules: TriageRules) -> tuple[str | None, str | None, list[str]]:
    """(priority, category, names of the rules that decided them); first match wins for each."""
    priority, category = issue.priority, issue.category
    used = [issue.rule] if issue.rule and (priority or category) else []
    labelled = [(PRIORITY_ORDER[rules.priority_labels[label_key(label)]], label) for label in issue.labels
                if label_key(label) in rules.priority_labels]
    if priority is None and labelled:  # two priority labels: the most severe, never a P0 hidden by a P2
        label = min(labelled)[1]
        priority = rules.priority_labels[label_key(label)]
        used.append(f"label:{label}")
    for label in issue.labels:
        name = label_key(label)
        if category is None and name in rules.category_labels:
            category = rules.category_labels[name]
            used.append(f"label:{label}")
    for rule in rules.rules:
        if priority and category:
            break
        if not rule.applies_to(issue.source) or not rule.pattern.search(issue.text or issue.title or ""):
            continue
        took = False
        if priority is None and rule.priority:
            priority, took = _escalate(rule.priority, rule.escalations, issue.event_count), True
        if category is None and rule.category:
            category, took = rule.category, True
        if took:
            used.append(rule.name)
    return priority, category, used


def priority_conflicts(found: list[Found], rules: TriageRules) -> list[str]:
    """Issues whose labels name several priorities (P0 and P2): the most severe is used (``classify``),
    said by issue, so a reader can fix the labels."""
    out = []
    for issue in found:
        named = sorted({(PRIORITY_ORDER[rules.priority_labels[label_key(label)]], rules.priority_labels[label_key(label)],
                         str(label)) for label in issue.labels if label_key(label) in rules.priority_labels})
        if len({priority for _, priority, _ in named}) > 1:
            labels = ", ".join(f"{visible(repr(label))[:60]} ({priority})" for _, priority, label in named)
            out.append(f"#{issue.source_ref}: labels name several priorities ({labels}); "
                       f"the most severe, {named[0][1]}, is used")
    return out


def _escalate(priority: str, escalations, count: int | None) -> str:
    for min_count, raised in escalations:  # highest threshold first
        if count is not None and count >= min_count and PRIORITY_ORDER[raised] < PRIORITY_ORDER[priority]:
            return raised
    return priority


def in_period(issue: Found, period: ReviewPeriod) -> bool:
    """Existed at the as-of instant and was not resolved before the period began."""
    if issue.created_at is None or issue.created_at >= period.end:
        return False
    return issue.resolved_at is None or issue.resolved_at >= period.start


def _hours(delta: dt.timedelta) -> float:
    return round(delta / HOUR, 4)


def inventory_row(issue: Found, rules: TriageRules, period: ReviewPeriod) -> dict:
    priority, category, used = classify(issue, rules)
    as_of = period.end
    is_open = issue.resolved_at is None or issue.resolved_at >= as_of
    sla = rules.sla_hours.get(priority) if priority else None
    due = issue.created_at + dt.timedelta(hours=sla) if sla is not None else None
    return {
        "period_start": period.start, "period_end": period.end, "fingerprint": issue.fingerprint,
        "source": issue.source, "source_ref": issue.source_ref, "kind": issue.kind,
        "title": issue.title, "url": issue.url, "author": issue.author,
        "labels": ", ".join(sorted(str(x) for x in issue.labels)) or None,
        "priority": priority, "category": category, "untriaged": priority is None or category is None,
        "triage_rules": ", ".join(dict.fromkeys(used)) or None,
        "owner": rules.owner_for(category, issue.stage_owner), "stage_record_id": issue.stage_record_id,
        "state": OPEN if is_open else RESOLVED, "created_at": issue.created_at,
        "resolved_at": None if is_open else issue.resolved_at,
        "age_hours": _hours(as_of - issue.created_at),
        "time_to_close_hours": None if is_open else _hours(issue.resolved_at - issue.created_at),
        "sla_hours": sla, "sla_due_at": due,
        "breached": bool(is_open and due is not None and as_of > due),
        "resolved_late": bool(not is_open and due is not None and issue.resolved_at > due),
        "event_count": issue.event_count, "first_seen": issue.first_seen, "last_seen": issue.last_seen,
        "detail": issue.detail,
    }


def sort_key(row: dict) -> tuple:
    return (row["state"] != OPEN, PRIORITY_ORDER.get(row["priority"], 9), row["category"] or "~",
            row["created_at"], row["fingerprint"])


def build_inventory(found: list[Found], rules: TriageRules, period: ReviewPeriod) -> pd.DataFrame:
    """The period's inventory: one row per fingerprint (the latest-created wins on a clash)."""
    rows: dict[str, dict] = {}
    for issue in sorted(found, key=lambda f: (f.created_at, f.source, f.source_ref)):
        if in_period(issue, period):
            rows[issue.fingerprint] = inventory_row(issue, rules, period)
    return frame(sorted(rows.values(), key=sort_key), INVENTORY_COLUMNS)
