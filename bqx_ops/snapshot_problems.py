"""Whole tables missing from a snapshot: say so, and use the table's last good copy.

Airtable has no history, so a table file that is absent, unreadable, or suddenly
``{"records": []}`` in one day's snapshot is a *snapshot problem*, not news that the
table was emptied: reading it as empty would delete every artifact page in the docs
sync, turn the plan into "Phases: 0 total" and quarantine every record linking to it.

Instead the table's **last good copy as of that day** is used: the records of the latest
earlier snapshot in which that table was readable and not empty (never a later one, so
the as-of rule holds). A table-level quarantine row (``record_id`` NULL) records the
problem and which copy stands in. A table that was never good before is taken as empty,
with a row saying so when its file is missing or unreadable; a table that is empty from its
first snapshot on (a new base) is simply empty. Pure: no Dagster, no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bqx_ops.validation import SOURCE, UNREADABLE

MISSING, EMPTY = "missing", "empty"  # states of a table that has no records in a snapshot
PREFIX = "snapshot problem: "
LANDING_ZONE = "Landing zone"  # the table name of a problem with the landing zone itself, not one table


@dataclass(frozen=True)
class GoodCopy:
    day: dt.date
    records: list


def _row(table: str, day: dt.date, reason: str) -> dict:
    return {"source": SOURCE, "table_name": table, "record_id": None, "snapshot_date": day,
            "reason": PREFIX + reason, "raw_json": None}


def fill_gaps(day: dt.date, tables: dict[str, list], states: dict[str, str], table_names: list[str],
              last_good: dict[str, GoodCopy]) -> tuple[dict[str, list], list[dict]]:
    """The tables to validate for ``day`` and the snapshot problems found.

    ``tables``: logical table -> landed records (an unreadable file is one ``UNREADABLE`` marker);
    ``states``: for a table without records, ``MISSING`` (no file) or ``EMPTY`` (``{"records": []}``);
    ``last_good``: table -> its latest good copy before ``day``, updated in place with ``day``'s good tables.
    """
    out, problems = {}, []
    for name in table_names:
        records = tables.get(name) or []
        marker = next((r for r in records if isinstance(r, dict) and UNREADABLE in r), None)
        if records and marker is None:
            out[name] = records
            last_good[name] = GoodCopy(day, records)
            continue
        if marker is not None:
            what = (f"{name} could not be read (unreadable landing file {marker.get(UNREADABLE)}: "
                    f"{marker.get('error')})")
        elif states.get(name) == EMPTY:
            if name not in last_good:
                out[name] = []  # empty from the start: an empty table, not a problem
                continue
            what = f'{name} is empty ({{"records": []}})'
        else:
            what = f"{name} is missing from the snapshot"
        copy = last_good.get(name)
        if copy is None:
            out[name] = []
            problems.append(_row(name, day, f"{what}; no earlier good copy, so it is taken as empty"))
        else:
            out[name] = copy.records
            problems.append(_row(name, day, f"{what}; the last good copy, of the {copy.day.isoformat()} snapshot "
                                            f"({len(copy.records)} records), is used instead"))
    return out, problems


def stray_entries(day: dt.date, names: list[str]) -> list[dict]:
    """A snapshot problem on ``day`` per entry of ``airtable/`` that is not a snapshot folder (named
    otherwise than YYYY-MM-DD, or an implausible day): its snapshot is never read, so it is said with
    every snapshot read while it is there (consecutive days make one review issue)."""
    return [_row(LANDING_ZONE, day, f"airtable/{name} is not a snapshot folder (a folder is named YYYY-MM-DD, a "
                                    "day from 2000-01-01 to 2099-12-31); it is ignored") for name in names]
