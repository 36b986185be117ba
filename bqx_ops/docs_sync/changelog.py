"""CHANGELOG.md: one entry per week, newest first; regenerating a week replaces its entry."""

from __future__ import annotations

import datetime as dt
import re

from bqx_ops.docs_sync.artifacts import artifact_files
from bqx_ops.docs_sync.snapshot import Snapshot, day_text, realized_vs
from bqx_ops.docs_sync.status import _stage_sort
from bqx_ops.markdown import cell
from bqx_ops.plan_update.common import natural_key
from bqx_ops.plan_update.r2 import latest_evaluations



def preamble(project: str) -> str:
    return (f"# Changelog\n\nWeekly progress of {cell(project, 1000)}, generated from Airtable by bqx_ops "
            "(the weekly repository & documentation sync, every Monday). Newest first.\n")


# An entry's key is the first day of its week: a week in progress is never keyed by a day to come.
_MARK = "<!-- bqx-ops:week-from {} -->"
_MARK_RE = re.compile(r"^<!-- bqx-ops:week-(from|ending) (\d{4}-\d{2}-\d{2}) -->$", re.MULTILINE)


def _week_from(found: re.Match) -> str:
    """The key of a mark; a CHANGELOG written before keys were week starts marked each entry by the
    week's end, a week later (read so that its entries are replaced, never duplicated)."""
    day = dt.date.fromisoformat(found.group(2))
    return (day if found.group(1) == "from" else day - dt.timedelta(weeks=1)).isoformat()


def _clause(value) -> str:
    """Text joined into a sentence: its own final stop or semicolon dropped (no "week to week.;")."""
    return cell(str(value or "").rstrip().rstrip(".;").rstrip())


def _said(*parts: tuple[str, str]) -> str:
    """": a; b" of the parts a record fills in; nothing for a field left empty (no dangling "worked: ;")."""
    filled = [f"{label}{text}" for label, text in parts if text.strip()]
    return f": {'; '.join(filled)}" if filled else ""


def upsert_entry(changelog: str | None, week_start: dt.date, entry: str, project: str = "the project") -> str:
    """``changelog`` with the entry of the week starting ``week_start`` set to ``entry`` (replacing any earlier one)."""
    text = changelog or preamble(project)
    marks = list(_MARK_RE.finditer(text))
    head = text[: marks[0].start()] if marks else text
    entries = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        entries[_week_from(mark)] = text[mark.end(): end].strip("\n")
    entries[week_start.isoformat()] = entry.strip("\n")
    blocks = [f"{_MARK.format(day)}\n{entries[day]}\n" for day in sorted(entries, reverse=True)]
    return head.rstrip("\n") + "\n\n" + "\n".join(blocks)


def entry_weeks(changelog: str | None) -> list[str]:
    """The first day of each entry's week, as the CHANGELOG lists them."""
    return [_week_from(m) for m in _MARK_RE.finditer(changelog or "")]


def _latest_r2(snapshot: Snapshot) -> dict[tuple[str, str], float]:
    return {k: float(r["r2"]) for k, r in latest_evaluations(snapshot.rows("model_results"), snapshot.day).items()}


def _new(before: Snapshot, after: Snapshot, table: str) -> list[dict]:
    """Records of ``table`` that appeared this week, by date then record id."""
    seen = before.by_id(table)
    fresh = [r for r in after.rows(table) if r["record_id"] not in seen]
    return sorted(fresh, key=lambda r: (day_text(r.get("date")), r["record_id"]))


def _structure(before: Snapshot, after: Snapshot) -> list[str]:
    """Phases and stages added or removed this week, Stage / Phase IDs renamed (same record) and stages moved
    to another phase: a removed stage would otherwise vanish from the CHANGELOG, a renamed one look like
    another stage, and a phase whose stage moved out read as completed with that stage still open."""
    if before.day is None:
        return []
    lines = []
    for table, key, label in (("phases", "phase_id", after.phase_label), ("stages", "stage_id", after.stage_label)):
        old, new = before.by_id(table), after.by_id(table)
        kind = table[:-1]
        for rid in sorted(set(new) - set(old), key=lambda r: (str(new[r].get(key)), r)):
            if table == "phases":  # a new stage is already a transition ("new → Todo")
                lines.append(f"- {kind} added: {cell(label(rid))}")
        for rid in sorted(set(old) - set(new), key=lambda r: (str(old[r].get(key)), r)):
            was = before.phase_label(rid) if table == "phases" else before.stage_label(rid)
            lines.append(f"- {kind} removed from Airtable: {cell(was)} (was {cell(old[rid].get('status'))})")
        for rid in sorted(set(old) & set(new), key=lambda r: (str(new[r].get(key)), r)):
            if old[rid].get(key) != new[rid].get(key):
                lines.append(f"- {kind} renamed: {cell(old[rid].get(key))} → {cell(new[rid].get(key))} "
                             f"{cell(new[rid].get('name'))}")
    old, new = before.by_id("stages"), after.by_id("stages")
    for s in sorted((new[rid] for rid in set(old) & set(new)), key=_stage_sort):
        was, now = old[s["record_id"]].get("phase_id"), s.get("phase_id")
        if was and now and was != now:
            lines.append(f"- stage moved: {cell(after.stage_label(s['record_id']))}: {cell(before.phase_label(was))}"
                         f" → {cell(after.phase_label(now))}")
    return lines


def sections(before: Snapshot, after: Snapshot) -> list[tuple[str, list[str]]]:
    """What changed from ``before`` to ``after``, as (heading, bullet lines); empty ones dropped."""
    old_phases, old_stages = before.by_id("phases"), before.by_id("stages")
    phases_done = [p for p in after.rows("phases") if p.get("status") == "Done"
                   and (old_phases.get(p["record_id"]) or {}).get("status") != "Done"]
    completed, moved = [], []
    for s in sorted(after.rows("stages"), key=_stage_sort):
        was = (old_stages.get(s["record_id"]) or {}).get("status")
        label = f"{cell(s.get('stage_id'))} {cell(s.get('name'))}"
        if s.get("status") == "Done" and was != "Done":
            completed.append(f"- {label} ({realized_vs(s.get('realized_cost'), s.get('estimated_cost'))})")
        elif was != s.get("status"):
            moved.append(f"- {label}: {cell(was) if was else 'new'} → {cell(s.get('status'))}")
    decisions = [f"- {day_text(d.get('date'))} · **{cell(d.get('title'))}**"
                 + (f" ({cell(d.get('decided_by'))})" if d.get("decided_by") else "")
                 + _said(("", cell(d.get("decision") or ""))) for d in _new(before, after, "decisions")]
    learnings = [f"- **{cell(x.get('title'))}**" + _said(("worked: ", _clause(x.get("what_worked"))),
                                                         ("didn't: ", _clause(x.get("what_didn_t"))))
                 for x in _new(before, after, "learnings")]
    r2_before, r2_after = _latest_r2(before), _latest_r2(after)
    r2 = [f"- {cell(m)} {cell(h)}: "
          f"{'—' if (m, h) not in r2_before else f'{r2_before[(m, h)]:.4f}'} → {v:.4f}"
          + (f" ({v - r2_before[(m, h)]:+.4f})" if (m, h) in r2_before else "")
          for (m, h), v in sorted(r2_after.items(), key=lambda kv: (str(kv[0][0]), natural_key(kv[0][1]), str(kv[0][1])))
          if r2_before.get((m, h)) != v]
    return [
        ("Plan structure", _structure(before, after)),
        ("Completed phases", [f"- {cell(after.phase_label(p['record_id']))} "
                              f"({realized_vs(p.get('realized_cost'), p.get('estimated_cost'))})"
                              for p in sorted(phases_done, key=lambda p: (p.get("number") or 0, p["record_id"]))]),
        ("Completed stages", completed),
        ("Stage transitions", moved),
        ("Decisions", decisions),
        ("Learnings", learnings),
        ("R² changes", r2),
        ("Artifacts", _artifact_changes(before, after)),
    ]


def _artifact_changes(before: Snapshot, after: Snapshot) -> list[str]:
    old = {rid: (path, page) for path, (rid, page) in artifact_files(before).items()}
    new = {rid: (path, page) for path, (rid, page) in artifact_files(after).items()}
    names = {**{r["record_id"]: r.get("name") for r in before.rows("artifacts")},
             **{r["record_id"]: r.get("name") for r in after.rows("artifacts")}}
    lines = []
    for rid in sorted(set(old) | set(new), key=lambda k: ((new.get(k) or old[k])[0], k)):
        if rid not in old:
            what = "new"
        elif rid not in new:
            what = "removed"
        elif old[rid] != new[rid]:
            what = "updated"
        else:
            continue
        lines.append(f"- {what}: {cell(names.get(rid))} (`{(new.get(rid) or old[rid])[0]}`)")
    return lines


def weekly_entry(week_start: dt.date, week_end: dt.date, before: Snapshot, after: Snapshot,
                 in_progress: bool = False) -> str:
    """The week's entry (without its marker line)."""
    title = f"## {week_end.isoformat()}" + (" (in progress)" if in_progress else "")
    source = (f"Airtable snapshot {after.day.isoformat()}" if after.day else "no Airtable snapshot") + (
        f", compared with {before.day.isoformat()}" if before.day and before.day != after.day else "")
    lines = [title, "", f"_Week {week_start.isoformat()} – {week_end.isoformat()} · {source}_", ""]
    found = [(heading, bullets) for heading, bullets in sections(before, after) if bullets]
    if after.day is None or before.day == after.day:
        lines.append("_No new Airtable snapshot this week._")
    elif not found:
        lines.append("_No changes in Airtable this week._")
    for heading, bullets in found:
        lines += [f"### {heading}", "", *bullets, ""]
    return "\n".join(lines).rstrip("\n") + "\n"
