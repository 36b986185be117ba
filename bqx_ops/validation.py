"""Validate one Airtable snapshot: typed rows per table, and a quarantine for the rest.

Pure functions, no Dagster. A record that fails any rule goes to quarantine with
every reason found and its raw JSON (nothing is lost); the others proceed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from bqx_ops.base_schema import ENSEMBLE, TABLES, Table
from bqx_ops.field_values import Invalid, coerce, parse_datetime, short
from bqx_ops.sanitize import blank, is_clean, json_text, visible
from bqx_ops.schema_mapping import SchemaMapping
from bqx_ops.unique_keys import key_holder, unique_keys, unique_phase_numbers

SOURCE = "airtable"
UNREADABLE = "unreadable_landing_file"  # marker for a landing file that is not JSON


@dataclass
class ParsedSnapshot:
    snapshot_date: dt.date
    rows: dict[str, list[dict]] = field(default_factory=dict)  # logical table -> typed rows
    quarantine: list[dict] = field(default_factory=list)


def _quarantine_row(table: str, record_id, day: dt.date, reasons: list[str], raw) -> dict:
    return {
        "source": SOURCE,
        "table_name": table,
        "record_id": visible(record_id) if isinstance(record_id, str) else None,
        "snapshot_date": day,
        "reason": visible("; ".join(reasons)),
        "raw_json": json_text(raw, sort_keys=True, default=str),  # lossless, and storable in DuckDB
    }


# Dates that record something done (an evaluation, a decision, a completion): a snapshot cannot hold
# one after its own day. Planned dates (Start Date, Due Date, a plan's start) may well be ahead.
RECORDED_DATES = {
    "Model Results": ("Evaluated On",),
    "Decisions": ("Date",),
    "Learnings": ("Date",),
    "Stages": ("Completed Date",),
    "Phases": ("End Date",),
    "Assessment Inputs": ("Date",),
}
# A recorded date a few days ahead of the snapshot is taken as entered ahead (a team east of UTC is already
# on the next day; a result noted for the week's run); beyond a week it cannot be true (2026-12-01 in a
# March snapshot would be the "latest" model in docs/models.md and the CHANGELOG, but not in the plan update).
FUTURE_GRACE_DAYS = 7


def _validate_record(table: Table, record, fields: dict, mapping: SchemaMapping | None = None,
                     snapshot_date: dt.date | None = None, known: dict | None = None
                     ) -> tuple[dict, list[str], dict[str, list[str]]]:
    """Typed values, problems, and link field -> every target id it names (checked later). ``known``: what
    the records already validated gave, by table and fields (a run validates each snapshot's every record,
    and most are unchanged from the snapshot before: 24,000 records, a few thousand distinct); only the
    check of recorded dates against the snapshot's own day is made again."""
    key = _fields_key(table, fields) if known is not None else None
    found = known.get(key) if key is not None else None
    if found is None:
        found = _validated_fields(table, fields, mapping)
        if key is not None:
            known[key] = found
    typed, before, after, links = found
    problems = before + _recorded_in_the_future(table, typed, snapshot_date) + after
    return dict(typed), problems, links


def _fields_key(table: Table, fields: dict) -> tuple | None:
    """The table and the fields' canonical JSON (which tells 1 from 1.0 and "1"); None: not JSON (no key)."""
    try:
        return table.name, json.dumps(fields, sort_keys=True)
    except (TypeError, ValueError):
        return None


def _validated_fields(table: Table, fields: dict, mapping: SchemaMapping | None
                      ) -> tuple[dict, list[str], list[str], dict[str, list[str]]]:
    """``_validate_record`` but the recorded dates: typed values, the problems of the fields (before the
    dates' in the reasons) and of their form and order (after), and the links."""
    typed, problems, links = {}, [], {}
    for f in table.fields:
        f = mapping.field_for(table.name, f) if mapping else f
        value = fields.get(f.name)
        # a required key or name of spaces or zero-width characters names nothing: "   " was a Stage ID
        empty = value is None or value == "" or value == [] or (f.required and isinstance(value, str) and blank(value))
        if empty:
            if f.required:
                problems.append(f"missing required field {f.name!r}" + (
                    f" (it holds only spaces or invisible characters: {short(value)})" if value else ""))
            typed[f.column] = None
            continue
        if f.kind == "link" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            links[f.name] = list(value)  # every id is checked, not only the one that is used
        try:
            typed[f.column] = coerce(f, value)
        except Invalid as exc:
            problems.append(f"{f.name!r}: {exc}")
            typed[f.column] = None
            continue
    after: list[str] = []
    _formatted(table, typed, after)  # it changes no date: the recorded dates are checked on its result
    for low, high in table.ordered:  # a band or span the wrong way round makes every figure on it wrong
        lo, hi = table.field(low), table.field(high)
        a, b = typed.get(lo.column), typed.get(hi.column)
        if a is not None and b is not None and a > b:
            after.append(f"{low!r} {_shown(a)} is after {high!r} {_shown(b)}" if lo.kind == "date"
                         else f"{low!r} {_shown(a)} is above {high!r} {_shown(b)}")
    return typed, problems, after, links


def _recorded_in_the_future(table: Table, typed: dict, snapshot_date: dt.date | None) -> list[str]:
    out = []
    # Last Modified too: Airtable sets it, so one after the snapshot cannot be true; a Done task's in 2099
    # resolved its cost overrun in 2099, open in every review
    names = (*RECORDED_DATES.get(table.name, ()), *(f.name for f in table.fields if f.kind == "last_modified"))
    for name in names if snapshot_date is not None else ():
        day = typed.get(table.field(name).column)
        day = day.date() if isinstance(day, dt.datetime) else day
        if day is not None and day > snapshot_date + dt.timedelta(days=FUTURE_GRACE_DAYS):
            out.append(f"{name!r} {day.isoformat()} is after the snapshot's day {snapshot_date.isoformat()} "
                       f"(by more than {FUTURE_GRACE_DAYS} days: it records something done, which cannot be "
                       "in the future)")
    return out


# Text fields whose form the code relies on. An assessment input's Quarter is matched exactly
# ("Q1-2026"): written "q1 2026" or "Q1-2026 " it was never counted, with no word; "Q5-2026" is no quarter.
_QUARTER = re.compile(r"[Qq]\s*([1-4])\s*[-/ ]?\s*(\d{4})")


def _formatted(table: Table, typed: dict, problems: list[str]) -> None:
    if table.name == "Model Results" and isinstance(typed.get("model"), str) \
            and typed["model"].casefold() == ENSEMBLE.casefold():
        typed["model"] = ENSEMBLE  # the one model value our code reads: "ensemble" was never the plan's R²
    if table.name != "Assessment Inputs" or typed.get("quarter") is None:
        return
    found = _QUARTER.fullmatch(typed["quarter"].strip())
    if found is None:
        problems.append(f"'Quarter': {short(typed['quarter'])} is not a quarter (expected the form Q1-2026)")
    else:
        typed["quarter"] = f"Q{found.group(1)}-{found.group(2)}"


def _shown(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else f"{value:g}" if isinstance(value, float) else str(value)


def parse_snapshot(
    snapshot_date: dt.date,
    raw_tables: dict[str, list],
    mapping: SchemaMapping | None = None,
    known: dict | None = None,
) -> ParsedSnapshot:
    """Validate every table of one snapshot (``raw_tables``: logical name -> records). ``known``: a dict
    kept by the caller across the snapshots it validates with one ``mapping`` (``_validate_record``)."""
    mapping = mapping or SchemaMapping()
    out = ParsedSnapshot(snapshot_date)
    existing_ids = {  # an id that is a list or an object is no id (and was unhashable here: the snapshot failed)
        t.name: {r.get("id") for r in raw_tables.get(t.name, []) if isinstance(r, dict) and isinstance(r.get("id"), str)}
        for t in TABLES
    }
    for table in TABLES:
        seen: set[str] = set()
        held: list[tuple | None] = []  # (key, created, id) of the records quarantined for their fields
        rows: list[dict] = []
        kept: list[dict] = []  # the raw record of each row
        for record in raw_tables.get(table.name, []):
            rid = record.get("id") if isinstance(record, dict) else None
            if isinstance(record, dict) and UNREADABLE in record:
                out.quarantine.append(_quarantine_row(
                    table.name, None, snapshot_date,
                    [f"unreadable landing file {record[UNREADABLE]}: {record.get('error')}"], record))
                continue
            if not isinstance(record, dict) or not isinstance(rid, str) or not rid.strip() or not is_clean(rid) \
                    or not isinstance(record.get("fields"), dict):  # an empty id names no record
                out.quarantine.append(_quarantine_row(
                    table.name, rid, snapshot_date,
                    ["malformed record: expected {id, createdTime, fields}"], record))
                continue
            problems = []
            if rid in seen:
                problems.append(f"duplicate record id {rid} (only its first occurrence is kept)")
            seen.add(rid)
            fields = mapping.to_logical_fields(table.name, record["fields"])
            typed, field_problems, links = _validate_record(table, record, fields, mapping, snapshot_date, known)
            problems += field_problems
            for name, targets in links.items():
                target_table = table.field(name).link_to
                for target in dict.fromkeys(targets):
                    if target not in existing_ids[target_table]:
                        problems.append(f"{name!r} links to {target}, which does not exist in {target_table}")
            try:
                created = parse_datetime(record.get("createdTime"))
            except Invalid as exc:
                problems.append(f"createdTime: {exc}")
                created = None
            if created is not None and created.date() > snapshot_date + dt.timedelta(days=FUTURE_GRACE_DAYS):
                # Airtable sets it when the record is made: after the snapshot it cannot be true, and it decides
                # which of two records with one key is kept and in which week a journal entry is new
                problems.append(f"createdTime {created:%Y-%m-%d} is after the snapshot's day {snapshot_date} "
                                f"(by more than {FUTURE_GRACE_DAYS} days: no snapshot holds a record made after it)")
            if problems:
                out.quarantine.append(_quarantine_row(table.name, rid, snapshot_date, problems, record))
                held.append(key_holder(table, fields, rid, created))
                continue
            rows.append({"snapshot_date": snapshot_date, "record_id": rid, "created_time": created, **typed})
            kept.append(record)
        raw_of = {id(row): record for row, record in zip(rows, kept)}
        rows = unique_keys(table, rows, kept, snapshot_date, out.quarantine, held, _quarantine_row)
        if table.name == "Phases":  # after the keys: a copy of a phase is a duplicate Phase ID first
            rows = unique_phase_numbers(rows, [raw_of[id(r)] for r in rows], snapshot_date, out.quarantine,
                                        _quarantine_row)
        out.rows[table.name] = rows
    return out
