"""GitHub issues of the landing zone as review issues (pull requests left out).

A pull request is recognised from the listing itself (its ``pull_request`` key or a
``/pull/`` html_url), never by asking GitHub about each issue. Whether an issue was
open at a review's as-of instant is decided from ``created_at``/``closed_at`` by the
triage (created before, not closed before); here ``resolved_at`` is its close time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from bqx_ops.base_schema import plausible_day
from bqx_ops.calendar import naive_utc
from bqx_ops.issue_review.model import Found
from bqx_ops.sanitize import defects, is_clean, visible

GHOST = "ghost"  # how GitHub shows a deleted account


def is_pull_request(item: dict) -> bool:
    """GitHub marks a pull request in the issues listing by a ``pull_request`` object; a key holding
    null marks nothing (an issue, read as one), its web address still tells."""
    return item.get("pull_request") is not None or "/pull/" in str(item.get("html_url") or "")


def parse_time(value) -> dt.datetime | None:
    """GitHub's ``2026-03-04T08:40:00Z`` (or any ISO form) as naive UTC; None if absent, malformed or
    outside the base schema's plausible dates."""
    if isinstance(value, dt.datetime):
        return naive_utc(value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc))
    if not isinstance(value, str) or not value.strip():
        return None
    return _parse_text(value)


def latest_copy(copies: list[tuple[int, dict]], time_key: str) -> tuple[int, dict]:
    """Of the (position, item) copies of one issue or job, the one whose ``time_key`` (its last update) is
    the latest: a copy without a readable time comes after any with one, then the first listed wins."""
    def recency(copy: tuple[int, dict]):
        moment = parse_time(copy[1].get(time_key))
        return moment is None, dt.datetime.max - moment if moment else dt.timedelta(0), copy[0]
    return min(copies, key=recency)


@functools.lru_cache(maxsize=1 << 16)  # the same job and issue times are placed at every look of a replay
def _parse_text(value: str) -> dt.datetime | None:
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
        return f"labels is {_shown(labels)}, not a list"
    names = [label.get("name") if isinstance(label, dict) else label for label in labels]
    bad = [label for label, name in zip(labels, names) if not isinstance(name, str)]
    blank = [label for label, name in zip(labels, names) if isinstance(name, str) and not name.strip()]
    return "; ".join(x for x in (
        f"{len(bad)} label(s) without a name ({_shown(bad[0])})" if bad else "",
        f"{len(blank)} label(s) whose name is empty or only spaces ({_shown(blank[0])})" if blank else "",
    ) if x) or None


MAX_NUMBER = 2**31 - 1  # GitHub numbers issues from 1 as 32-bit integers (0 is let through: never harmful)


def _issue_number(value) -> bool:
    """Whether ``value`` can be a GitHub issue number (True == 1 to Python: a boolean would pass for #1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_NUMBER


def _shown(value) -> str:
    return visible(repr(value))[:60]


def _type_problems(item: dict) -> list[str]:
    """What in the fields the review reads has a type GitHub never sends; each is read as absent."""
    out = []
    if "assignees" in item and item["assignees"] is not None:
        assignees = item["assignees"]
        if not isinstance(assignees, list):
            out.append(f"assignees is {_shown(assignees)}, not a list; read as none")
        elif any(not isinstance(a, dict) or not isinstance(a.get("login"), str) for a in assignees):
            bad = next(a for a in assignees if not isinstance(a, dict) or not isinstance(a.get("login"), str))
            out.append(f"assignee {_shown(bad)} has no login; left out of the assignees")
    user = item.get("user")
    if user is not None and not (isinstance(user, dict) and isinstance(user.get("login"), str)):
        out.append(f"user is {_shown(user)}, not a user with a login; author shown as {GHOST}")
    title = item.get("title")
    if title is not None and not isinstance(title, str):
        out.append(f"title is {_shown(title)}, not text; shown as (no title)")
    url = item.get("html_url")
    if url is not None and not isinstance(url, str):
        out.append(f"html_url is {_shown(url)}, not text; the repository's address is linked instead")
    elif isinstance(url, str) and not _web_address(url):
        out.append(f"html_url {_shown(url)} is not one http(s) address; the repository's address is linked instead")
    reason = item.get("state_reason")
    if reason is not None and not isinstance(reason, str):
        out.append(f"state_reason is {_shown(reason)}, not text; not shown")
    # the title's check for the other texts a report shows: a lone surrogate or control character is escaped
    shown = [("user login", _login(user))] + [("label", n) for n in _label_names(item.get("labels"))] + [
        ("assignee login", a["login"]) for a in (item.get("assignees") if isinstance(item.get("assignees"), list)
                                                 else []) if isinstance(a, dict) and isinstance(a.get("login"), str)]
    out += [f"{what} {_shown(text)} contains {defects(text)}; shown escaped" for what, text in shown if defects(text)]
    return out


def _web_address(url: str) -> bool:
    """One http(s) address: what GitHub sends. A javascript: link, a line break or a control character
    would travel into the escalation's Slack, SNS and Airtable texts."""
    return re.fullmatch(r"https?://[^\s<>\"`|]+", url) is not None and is_clean(url)


def _link(item: dict, repo_url: str | None) -> str | None:
    url = item.get("html_url")
    return url if isinstance(url, str) and _web_address(url) else repo_url


def _login(user) -> str:
    if isinstance(user, dict) and isinstance(user.get("login"), str):
        return user["login"]
    return GHOST


def _distinct(items: list, problems: list[tuple[int, str]]) -> list[tuple[int, dict]]:
    """(position, item) with one item per issue number: the most recently updated (then the first
    listed) is kept, and every other copy is reported (number, message), never silently overwritten."""
    def numbered(item) -> bool:
        return isinstance(item, dict) and _issue_number(item.get("number"))

    by_number: dict[int, list[tuple[int, dict]]] = {}
    for position, item in enumerate(items):
        if numbered(item):
            by_number.setdefault(item["number"], []).append((position, item))
    keep = {}
    for number, copies in by_number.items():
        best = latest_copy(copies, "updated_at")[0]
        keep[number] = best
        if len(copies) > 1:
            others = ", ".join(str(p) for p, _ in copies if p != best)
            problems.append((number, f"duplicate issue number #{number}: item {best} (the latest updated) is used, "
                                     f"item(s) {others} ignored"))
    return [(p, item) for p, item in enumerate(items) if not numbered(item) or keep.get(item["number"]) == p]


def github_issues(items: list, repo_url: str | None = None, now: dt.datetime | None = None,
                  as_of: dt.datetime | None = None) -> tuple[list[Found], list[str]]:
    """(issues, problems): every issue of the listing; malformed items are reported, not fatal.

    An item whose times cannot be true (closed before it was created, created after ``now``,
    a close time that is not a time) is left out and reported: counting it would give wrong
    open counts or negative resolution times. ``as_of``: only what existed then (``existed_by``)."""
    return existed_by(*dated_github_issues(items, repo_url, now), as_of)


def existed_by(found: list[Found], problems: list[tuple[dt.datetime | None, str]],
               as_of: dt.datetime | None) -> tuple[list[Found], list[str]]:
    """The issues created before ``as_of`` and the problems of items that existed then: an issue opened
    later (and what is wrong with it) is not part of a past period's view, so a past review reads the
    same after it arrives. A problem of an item that cannot be placed in time (no readable creation,
    created after the listing was read) is always reported. None: everything."""
    as_of = naive_utc(as_of) if as_of is not None and as_of.tzinfo else as_of
    return ([f for f in found if as_of is None or f.created_at < as_of],  # a new list: callers add to it
            [p for when, p in problems if as_of is None or when is None or when < as_of])


def dated_github_issues(items: list, repo_url: str | None = None, now: dt.datetime | None = None
                        ) -> tuple[list[Found], list[tuple[dt.datetime | None, str]]]:
    """``github_issues`` for every instant at once: each problem dated by its item's creation (None: an
    item that cannot be placed in time, or created after ``now``)."""
    found, problems = [], []
    now = naive_utc(now) if now is not None and now.tzinfo else now
    duplicates: list[tuple[int, str]] = []
    distinct = _distinct(items if isinstance(items, list) else [], duplicates)
    created = {item["number"]: _placed(item, now) for _, item in distinct
               if isinstance(item, dict) and _issue_number(item.get("number"))}
    problems += [(created.get(number), message) for number, message in duplicates]  # dated by the copy kept
    for position, item in distinct:
        texts: list[str] = []
        issue = _issue(position, item, repo_url, now, texts)
        if issue is not None:
            found.append(issue)
        when = _placed(item, now) if isinstance(item, dict) else None
        problems += [(when, t) for t in texts]
    return found, problems


def _placed(item: dict, now: dt.datetime | None) -> dt.datetime | None:
    """When an item came to exist (its creation), None if that cannot be told or lies after ``now``."""
    created = parse_time(item.get("created_at"))
    return created if created is not None and (now is None or created <= now) else None


def _issue(position: int, item, repo_url: str | None, now: dt.datetime | None, problems: list[str]) -> Found | None:
    """One listed item as an issue (None: a pull request, or left out with its reason in ``problems``)."""
    if not isinstance(item, dict):
        problems.append(f"item {position} is not an object")
        return None
    if is_pull_request(item):
        return None
    number, created = item.get("number"), parse_time(item.get("created_at"))
    if not _issue_number(number):
        problems.append(f"item {position}: number {_shown(number)} is not an issue number; left out (an issue "
                        f"number is a whole number from 0 to {MAX_NUMBER})")
        return None
    if created is None:
        problems.append(f"#{number}: created_at {_shown(item.get('created_at'))} is not a "
                        "plausible time; left out")
        return None
    state = item.get("state")
    if state not in ("open", "closed"):  # "OPEN", null: whether it is open cannot be told for sure
        problems.append(f"#{number}: state {_shown(state)} is not 'open' or 'closed'; left out")
        return None
    closed = parse_time(item.get("closed_at"))
    if state == "open":
        closed = None  # a reopened issue: any earlier closing no longer holds
    elif closed is None:
        problems.append(f"#{number}: closed, but closed_at {_shown(item.get('closed_at'))} is not a "
                        "plausible time; left out")
        return None
    if closed is not None and closed < created:
        problems.append(f"#{number}: closed ({closed:%Y-%m-%d %H:%M}) before it was created "
                        f"({created:%Y-%m-%d %H:%M}); left out")
        return None
    if now is not None and created > now:
        problems.append(f"#{number}: created in the future ({created:%Y-%m-%d %H:%M}, now "
                        f"{now:%Y-%m-%d %H:%M}); left out")
        return None
    if now is not None and closed is not None and closed > now:  # read as open until then in every review
        problems.append(f"#{number}: closed in the future ({closed:%Y-%m-%d %H:%M}, now {now:%Y-%m-%d %H:%M}); "
                        "left out")
        return None
    unreadable = _unreadable_labels(item)
    if unreadable:
        problems.append(f"#{number}: {unreadable}; triaged on the labels that could be read")
    problems += [f"#{number}: {p}" for p in _type_problems(item)]
    title = item.get("title")
    if isinstance(title, str) and defects(title):
        problems.append(f"#{number}: title contains {defects(title)}; shown escaped")
    title = " ".join(visible(title).split()) if isinstance(title, str) and title.strip() else "(no title)"
    listed = item.get("assignees")
    assignees = [a["login"] for a in listed if isinstance(a, dict) and isinstance(a.get("login"), str)] \
        if isinstance(listed, list) else []
    reason = item.get("state_reason")
    detail = "; ".join(x for x in (
        f"assignees: {', '.join(sorted(assignees))}" if assignees else "",
        f"closed as {reason}" if closed and isinstance(reason, str) else "",
    ) if x)
    return Found(
        source="github", source_ref=str(number), kind="issue", title=f"#{number} {title}",
        created_at=created, resolved_at=closed, text=title,
        url=_link(item, repo_url),
        author=_login(item.get("user")), labels=_label_names(item.get("labels")), detail=detail or None,
    )
