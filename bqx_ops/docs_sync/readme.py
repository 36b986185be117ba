"""README.md's status section: the only part of the README bqx_ops writes, between fixed markers."""

from __future__ import annotations

import re

from bqx_ops.markdown import cell

STATUS_START = "<!-- bqx-ops:status:start -->"
STATUS_END = "<!-- bqx-ops:status:end -->"
SNAPSHOT_MARK = re.compile(r"<!-- bqx-ops:snapshot (\d{4}-\d{2}-\d{2}) -->")



def initial_readme(title: str = "docs", name: str = "", goal: str = "") -> str:
    """The first README of a docs repo: the project's own title and goal line (its configuration)."""
    name, goal = cell(name, 1000), cell(goal, 1000)  # the configuration's text, printed as text
    line = f"{name}: {goal}" if name and goal else (goal or name)
    intro = f"\n{line.rstrip('.')}.\n" if line else ""
    return f"# {cell(title, 1000)}\n{intro}\n## Status\n\n{STATUS_START}\n_Not synced from Airtable yet._\n{STATUS_END}\n"


class MalformedReadme(ValueError):
    """The status markers are broken; guessing could overwrite hand-written text."""


def replace_status(readme: str | None, section: str, initial: str | None = None) -> str:
    """``readme`` with the text between the markers replaced by ``section``; everything else kept
    byte for byte. A README without markers gets a status section appended at its end."""
    body = "\n" + section.strip("\n") + "\n"
    if readme is None:
        readme = initial or initial_readme()
    starts, ends = readme.count(STATUS_START), readme.count(STATUS_END)
    if starts == 0 and ends == 0:
        tail = "" if readme.endswith("\n") or not readme else "\n"
        return f"{readme}{tail}\n## Status\n\n{STATUS_START}{body}{STATUS_END}\n"
    if starts != 1 or ends != 1 or readme.index(STATUS_START) > readme.index(STATUS_END):
        raise MalformedReadme(
            f"README.md must hold exactly one {STATUS_START} followed by one {STATUS_END} "
            f"(found {starts} start and {ends} end markers); fix it by hand, bqx_ops will not guess"
        )
    head, rest = readme.split(STATUS_START, 1)
    _, tail = rest.split(STATUS_END, 1)
    return f"{head}{STATUS_START}{body}{STATUS_END}{tail}"


def status_section(readme: str | None) -> str | None:
    """The current status section's text (None without well-formed markers)."""
    if not readme or readme.count(STATUS_START) != 1 or readme.count(STATUS_END) != 1:
        return None
    inner = readme.split(STATUS_START, 1)[1].split(STATUS_END, 1)[0]
    return inner.strip("\n")


def synced_snapshot(readme: str | None) -> str | None:
    """The Airtable snapshot date (ISO) the README's status section was rendered from."""
    section = status_section(readme)
    match = SNAPSHOT_MARK.search(section or "")
    return match.group(1) if match else None
