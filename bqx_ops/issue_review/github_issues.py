"""GitHub issues of the landing zone as review issues (pull requests left out).

A pull request is recognised from the listing itself (its ``pull_request`` key or a
``/pull/`` html_url), never by asking GitHub about each issue. Whether an issue was
open at a review's as-of instant is decided from ``created_at``/``closed_at`` by the
triage (created before, not closed before); here ``resolved_at`` is its close time.
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.base_schema import plausible_day
from bqx_ops.calendar import naive_utc
from bqx_ops.issue_review.model import Found
from bqx_ops.sanitize import defects, visible

GHOST = "ghost"  # how GitHub shows a deleted account


def is_pull_request(item: dict) -> bool:
    return "pull_request" in item or "/pull/" in str(item.get("html_url") or "")


def parse_time(value) -> dt.datetime | None:
    """GitHub's ``2026-03-04T08:40:00Z`` (or any ISO form) as naive UTC; None if absent, malformed or
    outside the base schema's plausible dates."""
    if isinstance(value, dt.datetime):
        return naive_utc(value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc))
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if not plausible_day(parsed):  # 0001-01-01 / 9999-12-31 overflow pandas: implausible
        return None
    return naive_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc))


def _label_names(labels) -> tuple[str, ...]:
    names = []
    for label in labels if isinstance(labels, list) else []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return tuple(sorted(set(names)))


def _unreadable_labels(item: dict) -> str | None:
    """Why some of an item's labels cannot be read (None: all can, or it lists none)."""
    if "labels" not in item:
        return None
    labels = item["labels"]
    if labels is None:
        return "labels is null"
    if not isinstance(labels, list):
        return f"labels is {visible(repr(labels))[:60]}, not a list"
    bad = [label for label in labels if not isinstance(label.get("name") if isinstance(label, dict) else label, str)]
    return f"{len(bad)} label(s) without a name ({visible(repr(bad[0]))[:60]})" if bad else None


def _login(user) -> str:
    if isinstance(user, dict) and isinstance(user.get("login"), str):
        return user["login"]
    return GHOST


def _distinct(items: list, problems: list[str]) -> list[tuple[int, dict]]:
    """(position, item) with one item per issue number: the most recently updated (then the first
    listed) is kept, and every other copy is reported, never silently overwritten."""
    def numbered(item) -> bool:  # True == 1 to Python: a boolean "number" would pass for issue #1
        return isinstance(item, dict) and isinstance(item.get("number"), int) and not isinstance(item["number"], bool)

    by_number: dict[int, list[tuple[int, dict]]] = {}
    for position, item in enumerate(items):
        if numbered(item):
            by_number.setdefault(item["number"], []).append((position, item))
    keep = {}
    for number, copies in by_number.items():
        def recency(copy: tuple[int, dict]):
            updated = parse_time(copy[1].get("updated_at"))
            return (updated is None, dt.datetime.max - updated if updated else dt.timedelta(0), copy[0])
        best = min(copies, key=recency)[0]
        keep[number] = best
        if len(copies) > 1:
            others = ", ".join(str(p) for p, _ in copies if p != best)
            problems.append(f"duplicate issue number #{number}: item {best} (the latest updated) is used, "
                            f"item(s) {others} ignored")
    return [(p, item) for p, item in enumerate(items) if not numbered(item) or keep.get(item["number"]) == p]


def github_issues(items: list, repo_url: str | None = None,
                  now: dt.datetime | None = None) -> tuple[list[Found], list[str]]:
    """(issues, problems): every issue of the listing; malformed items are reported, not fatal.

    An item whose times cannot be true (closed before it was created, created after ``now``,
    a close time that is not a time) is left out and reported: counting it would give wrong
    open counts or negative resolution times."""
    found, problems = [], []
    now = naive_utc(now) if now is not None and now.tzinfo else now
    for position, item in _distinct(items if isinstance(items, list) else [], problems):
        if not isinstance(item, dict):
            problems.append(f"item {position} is not an object")
            continue
        if is_pull_request(item):
            continue
        number, created = item.get("number"), parse_time(item.get("created_at"))
        if not isinstance(number, int) or isinstance(number, bool):
            problems.append(f"item {position}: number {visible(repr(number))[:60]} is not an issue number; left out")
            continue
        if created is None:
            problems.append(f"#{number}: created_at {visible(repr(item.get('created_at')))[:60]} is not a "
                            "plausible time; left out")
            continue
        closed = parse_time(item.get("closed_at"))
        if item.get("state") == "open":
            closed = None  # a reopened issue: any earlier closing no longer holds
        elif closed is None and (item.get("closed_at") not in (None, "") or item.get("state") == "closed"):
            problems.append(f"#{number}: closed, but closed_at {visible(item.get('closed_at'))!r} is not a plausible time; "
                            "left out")
            continue
        if closed is not None and closed < created:
            problems.append(f"#{number}: closed ({closed:%Y-%m-%d %H:%M}) before it was created "
                            f"({created:%Y-%m-%d %H:%M}); left out")
            continue
        if now is not None and created > now:
            problems.append(f"#{number}: created in the future ({created:%Y-%m-%d %H:%M}, now "
                            f"{now:%Y-%m-%d %H:%M}); left out")
            continue
        unreadable = _unreadable_labels(item)
        if unreadable:
            problems.append(f"#{number}: {unreadable}; triaged on the labels that could be read")
        title = item.get("title")
        if isinstance(title, str) and defects(title):
            problems.append(f"#{number}: title contains {defects(title)}; shown escaped")
        title = " ".join(visible(title).split()) if isinstance(title, str) and title.strip() else "(no title)"
        assignees = [_login(a) for a in item.get("assignees") or [] if isinstance(a, dict)]
        reason = item.get("state_reason")
        detail = "; ".join(x for x in (
            f"assignees: {', '.join(sorted(assignees))}" if assignees else "",
            f"closed as {reason}" if closed and isinstance(reason, str) else "",
        ) if x)
        found.append(Found(
            source="github", source_ref=str(number), kind="issue", title=f"#{number} {title}",
            created_at=created, resolved_at=closed, text=title,
            url=item.get("html_url") if isinstance(item.get("html_url"), str) else repo_url,
            author=_login(item.get("user")), labels=_label_names(item.get("labels")), detail=detail or None,
        ))
    return found, problems
