"""One record per human key (Stage ID, Phase ID, Plan ID, Task Key, Result ID) in a snapshot.

Pure: used by ``bqx_ops.validation.parse_snapshot``. Keys are compared as people mean them (spaces,
case, invisible characters and Unicode form aside); the earliest created record holds its key, even
when it is itself quarantined for its fields.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable

from bqx_ops.base_schema import Table
from bqx_ops.sanitize import INVISIBLE, blank, is_clean


def key_holder(table: Table, fields: dict, rid: str, created: dt.datetime | None) -> tuple | None:
    """(key, created, id) of a quarantined record whose key is readable text, else None."""
    key = fields.get(table.key_field) if table.unique_key else None
    return (key, created, rid) if isinstance(key, str) and not blank(key) and is_clean(key) else None


def unique_keys(table: Table, rows: list[dict], records: list[dict], day: dt.date, quarantine: list,
                held: list[tuple | None], quarantine_row: Callable[..., dict]) -> list[dict]:
    """Valid rows with at most one per human key (Stage ID...): the earliest created record (then the
    smallest id) is kept whatever the order Airtable returned them in; the others are quarantined.

    A record quarantined for its fields (``held``) still holds its key when it was created first: its
    last valid version stands in for it in every figure (``asof.read_as_of(carry_forward=True)``), so a
    later record with the same key kept beside it would count that key twice."""
    if not table.unique_key:
        return rows
    column = table.field(table.key_field).column
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["created_time"] or dt.datetime.max,
                                                    rows[i]["record_id"]))
    holders: dict[str, tuple] = {}
    valid = {row["record_id"] for row in rows}  # a second copy of a kept id holds nothing of its own
    for key, created, rid in sorted((h for h in held if h and h[2] not in valid),
                                    key=lambda h: (h[1] or dt.datetime.max, h[2])):
        holders.setdefault(normalized_key(key), (key, created or dt.datetime.max, rid))
    first: dict[str, tuple[str, str]] = {}  # normalized key -> (record id, key as written)
    dropped = set()
    for i in order:
        key = rows[i][column]
        norm = normalized_key(key)
        holder = holders.get(norm)
        if norm not in first and holder and (holder[1], holder[2]) < (rows[i]["created_time"] or dt.datetime.max,
                                                                         rows[i]["record_id"]):
            dropped.add(i)
            quarantine.append(quarantine_row(table.name, rows[i]["record_id"], day, [
                f"duplicate {table.key_field} {key!r}: record {holder[2]} has {_same(holder[0], key)}, was created "
                "first and is quarantined (its last valid version is used), so this one is not counted beside it"],
                records[i]))
        elif norm in first:
            dropped.add(i)
            kept_id, kept_key = first[norm]
            quarantine.append(quarantine_row(table.name, rows[i]["record_id"], day, [
                f"duplicate {table.key_field} {key!r}: record {kept_id} has {_same(kept_key, key)} and is kept "
                "(the earliest created is kept, so nothing is counted twice)"], records[i]))
        else:
            first[norm] = (rows[i]["record_id"], key)
    return [row for i, row in enumerate(rows) if i not in dropped]


def _same(kept_key: str, key: str) -> str:
    return "the same one" if kept_key == key else (
        f"the same one written {kept_key!r} (keys are compared without surrounding or repeated spaces, case, "
        "invisible characters and Unicode variants)")


def normalized_key(key) -> str:
    """A human key as people mean it: "9.5 " and "9.5", "T-036" and "t-036", "É.1" composed or decomposed,
    "0.1" and "0.1" followed by a zero-width space, fullwidth "０.１" are one key."""
    if not isinstance(key, str):
        return key
    return " ".join(INVISIBLE.sub("", unicodedata.normalize("NFKC", key)).split()).casefold()


def unique_phase_numbers(rows: list[dict], records: list[dict], day: dt.date, quarantine: list,
                         quarantine_row: Callable[..., dict]) -> list[dict]:
    """Phases with at most one per (plan, Number): the earliest created is kept, the others quarantined.
    A phase's Number names its release tag (``phase-1-done``) and orders the plan: a second phase 1 never
    got its release (the tag existed) and read as the same phase in the timeline."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["created_time"] or dt.datetime.max, rows[i]["record_id"]))
    first: dict[tuple, dict] = {}
    dropped = set()
    for i in order:
        key = (rows[i].get("plan_id"), rows[i].get("number"))
        if key[1] is None:
            continue
        if key in first:
            dropped.add(i)
            kept = first[key]
            quarantine.append(quarantine_row("Phases", rows[i]["record_id"], day, [
                f"duplicate Number {key[1]} in plan {key[0]}: phase {kept['record_id']} ({kept.get('phase_id')}) has "
                "it and is kept (the earliest created; a phase's number names its release tag and orders the plan)"],
                records[i]))
        else:
            first[key] = rows[i]
    return [row for i, row in enumerate(rows) if i not in dropped]
