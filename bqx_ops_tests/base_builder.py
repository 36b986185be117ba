"""A tiny, hand-written Airtable base for tests, independent of the sample generator."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from bqx_ops.base_schema import TABLES
from bqx_ops.landing import Landing, write_json

T0 = "2025-08-18T08:00:00.000Z"


def record(rid: str, fields: dict, created: str = T0) -> dict:
    return {"id": rid, "createdTime": created, "fields": fields}


def minimal_base() -> dict[str, list[dict]]:
    """One plan, two phases, three stages, one of each other table; all valid."""
    return {
        "Plans": [record("recPLAN0000000001", {
            "Plan ID": "MP-BQX_ML-001", "Name": "BQX-ML", "Estimated Budget": 650, "Status": "Active",
            "Estimated Days Min": 71, "Estimated Days Max": 85, "R2 Target Min": 0.95, "R2 Target Max": 0.99,
            "Horizons": ["w15", "w30"], "Start Date": "2025-08-18",
        })],
        "Phases": [
            record("recPHASE000000000", {
                "Phase ID": "P0", "Number": 0, "Name": "Foundations", "Plan": ["recPLAN0000000001"],
                "Status": "Done", "Estimated Cost": 50, "Realized Cost": 60, "Notes": "Done, slightly over.",
            }),
            record("recPHASE000000001", {
                "Phase ID": "P1", "Number": 1, "Name": "Data", "Plan": ["recPLAN0000000001"],
                "Status": "In Progress", "Estimated Cost": 80, "Notes": "Loading history.",
            }),
        ],
        "Stages": [
            record("recSTAGE000000001", {
                "Stage ID": "0.1", "Name": "Repo setup", "Phase": ["recPHASE000000000"], "Status": "Done",
                "Estimated Cost": 20, "Realized Cost": 25, "Completed Date": "2025-08-20",
            }),
            record("recSTAGE000000002", {
                "Stage ID": "1.1", "Name": "Ingest BQX", "Phase": ["recPHASE000000001"],
                "Status": "In Progress", "Estimated Cost": 40, "Owner": "COORD-001",
            }),
            record("recSTAGE000000003", {
                "Stage ID": "1.2", "Name": "Feature store", "Phase": ["recPHASE000000001"], "Status": "Todo",
            }),
        ],
        "Tasks": [record("recTASK0000000001", {
            "Task Key": "T-001", "Name": "Write loader", "Status": "Todo", "Priority": "P2",
            "Stage": ["recSTAGE000000002"],
        })],
        "Decisions": [record("recDECI0000000001", {"Title": "Use DuckDB", "Date": "2025-08-19"})],
        "Learnings": [record("recLEAR0000000001", {"Title": "Cache early", "Date": "2025-08-19"})],
        "Model Results": [record("recMODL0000000001", {
            "Result ID": "Ensemble-w15-2025-08-18", "Model": "Ensemble", "Horizon": "w15",
            "Evaluated On": "2025-08-18", "R2": 0.81,
        })],
        "Artifacts": [record("recARTI0000000001", {"Name": "Design", "Content": "# Design\n"})],
    }


def edit(base: dict, table: str, rid: str, **fields) -> dict:
    """A copy of ``base`` with fields of one record changed (None removes a field)."""
    out = copy.deepcopy(base)
    for rec in out[table]:
        if rec["id"] == rid:
            for name, value in fields.items():
                name = name.replace("_", " ")
                if value is None:
                    rec["fields"].pop(name, None)
                else:
                    rec["fields"][name] = value
            return out
    raise KeyError(rid)


def write_snapshot(data_dir: Path, day: dt.date, base: dict) -> None:
    landing = Landing(data_dir)
    for table in TABLES:
        write_json(landing.airtable_table(day, table.name), {"records": base.get(table.name, [])})


def cost_month(year: int, month: int, start: dt.date | None, end: dt.date, costs) -> dict:
    """A Cost Explorer GetCostAndUsage answer (DAILY, grouped by SERVICE) for the days of the month from
    ``start`` (None: the 1st) through ``end``; ``costs(day)`` gives service -> amount (text, USD)."""
    first = dt.date(year, month, 1)
    last = min((first + dt.timedelta(days=32)).replace(day=1), end + dt.timedelta(days=1))
    results, day = [], max(first, start or first)
    while day < last:
        results.append({"TimePeriod": {"Start": day.isoformat(), "End": (day + dt.timedelta(days=1)).isoformat()},
                        "Total": {}, "Estimated": False, "Groups": [
                            {"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
                            for service, amount in costs(day).items()]})
        day += dt.timedelta(days=1)
    return {"GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}], "ResultsByTime": results,
            "DimensionValueAttributes": []}


def write_snapshots(landing: Landing, days, base_on, tables: dict[str, str], fields: dict[str, dict[str, str]]) -> None:
    """Each day's base (``base_on(day)``: table -> records in our names) landed in the team's own names:
    ``tables`` renames tables, ``fields`` a table's fields."""
    for day in days:
        for table, records in base_on(day).items():
            renames = fields.get(table, {})
            recorded = [{**r, "fields": {renames.get(k, k): v for k, v in r["fields"].items()}} for r in records]
            write_json(landing.airtable_table(day, tables.get(table, table)), {"records": recorded})


def day_events(day: dt.date, events: list[tuple[int, str]], stream: str, lag_ms: int) -> list[dict]:
    """CloudWatch events of one day file as ``filter_log_events`` gives them: (hour, message) each at that hour
    UTC, ingested ``lag_ms`` later, numbered within the day."""
    out = []
    for i, (hour, message) in enumerate(events):
        stamp = int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone.utc).timestamp() * 1000)
        out.append({"logStreamName": stream, "timestamp": stamp, "message": message, "ingestionTime": stamp + lag_ms,
                    "eventId": f"{day:%Y%m%d}{i}"})
    return out


def write_log_days(landing: Landing, groups, start: dt.date, end: dt.date, events) -> None:
    """Each log group's CloudWatch day file for every day from ``start`` to ``end``: ``events(group, day)``."""
    day = start
    while day <= end:
        for group in groups:
            write_json(landing.cloudwatch_day(group, day), events(group, day))
        day += dt.timedelta(days=1)


def worked(fields: dict, changes: list, state) -> dict:
    """A stage's ``fields`` with what its ``changes`` (day, status, realized) say by now (``state``, the last
    change so far): started at the first change, and Done with its completion day and realized cost."""
    if state:
        fields["Start Date"] = changes[0][0].isoformat()
    if fields["Status"] == "Done":
        fields["Completed Date"] = state[0].isoformat()
        fields["Realized Cost"] = state[2]
    return fields


def last_change(changes: list, day: dt.date):
    """The last (day, ...) change on or before ``day`` (None before the first)."""
    past = [c for c in changes if c[0] <= day]
    return past[-1] if past else None


def weekly(first: dt.date, day: dt.date) -> list[dt.date]:
    """``first`` and every week after it, up to ``day``."""
    return [first + dt.timedelta(weeks=k) for k in range((day - first).days // 7 + 1)] if day >= first else []


def phase_status_of(stages: list[dict]) -> str:
    """A phase's status from its stages' (our names): Done when all are, Todo while none started."""
    statuses = {s["Status"] for s in stages}
    return "Done" if statuses == {"Done"} else "Todo" if statuses <= {"Todo"} else "In Progress"
