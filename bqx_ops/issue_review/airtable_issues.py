"""Airtable notes and quarantined records as review issues, from the snapshot history.

Both are conditions seen in snapshots, so each becomes *episodes*: a blocker note
lasts from the first snapshot showing that note until the record's next snapshot
with a different note; a quarantined record lasts from the first snapshot it was
quarantined in until the next snapshot where it is not. Only snapshots up to the
as-of date are given to these functions, so a past review sees only its past.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import as_date, records, text
from bqx_ops.issue_review.model import Found, midnight, one_line


def _short_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:10]


def blocker_issues(notes: pd.DataFrame, blocker: re.Pattern) -> list[Found]:
    """Blocker episodes from rows (snapshot_date, table, record_id, label, name, owner, notes)."""
    if notes is None or notes.empty:
        return []
    # only the history of records that ever mention a blocker (the rest is most of the rows); a note
    # repeats from snapshot to snapshot, so each distinct text is searched once
    texts = notes["notes"].tolist()
    blocking = {n: bool(blocker.search(n)) for n in set(n for n in texts if isinstance(n, str))}
    ids = {rid for rid, n in zip(notes["record_id"].tolist(), texts) if isinstance(n, str) and blocking[n]}
    notes = notes[notes["record_id"].isin(ids)]
    by_record: dict[tuple[str, str], list[dict]] = {}
    for r in records(notes):
        day, rid = as_date(r.get("snapshot_date")), text(r.get("record_id"))
        if day and rid:
            by_record.setdefault((text(r.get("table")) or "", rid), []).append(dict(r, snapshot_date=day))
    found = []
    for (table, rid), history in sorted(by_record.items()):
        history.sort(key=lambda r: r["snapshot_date"])
        i = 0
        while i < len(history):
            note = text(history[i].get("notes")) or ""
            j = i
            while j + 1 < len(history) and (text(history[j + 1].get("notes")) or "") == note:
                j += 1
            if blocker.search(note):
                row, end = history[j], history[j + 1]["snapshot_date"] if j + 1 < len(history) else None
                kind = "Stage" if table == "Stages" else "Phase"
                label = " ".join(x for x in (text(row.get("label")), text(row.get("name"))) if x)
                found.append(Found(
                    source="airtable_notes", source_ref=f"{table}/{rid}/{_short_hash(note)}", kind="blocker",
                    title=f"{kind} {label}: {one_line(note, 240)}", created_at=midnight(history[i]["snapshot_date"]),
                    resolved_at=midnight(end) if end else None, text=note,
                    stage_record_id=rid if table == "Stages" else None, stage_owner=text(row.get("owner")),
                    detail=f"{table} record {rid}, first noted in the {history[i]['snapshot_date']} snapshot",
                ))
            i = j + 1
    return found


WHOLE_TABLE = "(whole table)"  # the record id of a snapshot problem's episode


def quarantine_issues(quarantine: pd.DataFrame, snapshot_days: list[dt.date], config: dict) -> list[Found]:
    """Quarantine episodes: consecutive snapshots in which a record was quarantined."""
    days = sorted(set(snapshot_days))
    index = {day: i for i, day in enumerate(days)}
    seen: dict[tuple[str, str], dict[int, str]] = {}
    for r in records(quarantine):
        day = as_date(r.get("snapshot_date"))
        if day not in index:
            continue
        table, reason = text(r.get("table_name")) or "?", text(r.get("reason")) or "no reason given"
        whole = reason.startswith("snapshot problem: ")  # a table missing from a snapshot: one episode per table
        key = (table, text(r.get("record_id")) or (WHOLE_TABLE if whole else f"unidentified-{_short_hash(reason)}"))
        reasons = seen.setdefault(key, {})
        reasons[index[day]] = "; ".join(sorted({*reasons.get(index[day], "").split("; "), reason} - {""}))
    found = []
    for (table, rid), at in sorted(seen.items()):
        positions = sorted(at)
        start = positions[0]
        for k, pos in enumerate(positions):
            if k + 1 < len(positions) and positions[k + 1] == pos + 1:
                continue
            end = days[pos + 1] if pos + 1 < len(days) else None
            first = days[start]
            found.append(Found(
                source="derived", source_ref=f"quarantine/{table}/{rid}/{first}", kind="quarantine",
                title=f"{table} table: {one_line(at[start], 200)}" if rid == WHOLE_TABLE else
                f"{table} record {rid} quarantined: {one_line(at[start], 200)}", created_at=midnight(first),
                resolved_at=midnight(end) if end else None, text=at[start],
                priority=config.get("priority", "P2"), category=config.get("category", "Data Quality"),
                rule="derived.quarantine", detail=f"quarantined from the {first} snapshot",
            ))
            if k + 1 < len(positions):
                start = positions[k + 1]
    return found
