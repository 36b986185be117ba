"""Airtable snapshots in DuckDB: raw records, then one validated table per entity.

Daily partitions, one per snapshot day. A backfill over many days runs as one
run (single-run policy): each asset walks ``context.partition_time_window``.
Writes go through dagster-duckdb-pandas, whose delete-then-insert per window
makes re-materializing a partition idempotent.
"""

import datetime as dt
import json

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.base_schema import TABLES
from bqx_ops.db import table_exists
from bqx_ops.calendar import UTC
from bqx_ops.config import project_start
from bqx_ops.frames import QUARANTINE_COLUMNS, RAW_COLUMNS, frame, table_columns
from bqx_ops.lazy import pd
from bqx_ops.markdown import table as md_table
from bqx_ops.resources.airtable import AirtableSource, SnapshotUnavailable
from bqx_ops.sanitize import json_text, visible
from bqx_ops.snapshot_problems import EMPTY, MISSING, GoodCopy, fill_gaps, stray_entries
from bqx_ops.validation import UNREADABLE, parse_snapshot

SNAPSHOT_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=project_start().isoformat(), end_offset=1, timezone="UTC"
)  # end_offset=1: today's partition exists, so today's snapshot can be taken
GROUP = "airtable_snapshots"
OWNERS = ["team:COORD-001"]
PARTITION_META = {"partition_expr": "snapshot_date"}


def window_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    start, end = context.partition_time_window
    days, day = [], start.date()
    while day < end.date():
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def ensure_table(duckdb: DuckDBResource, key: list[str], df: "pd.DataFrame") -> None:
    """dagster-duckdb-pandas skips empty outputs without creating the table; create it
    empty with the frame's schema so downstream SQL and users always find it."""
    if df.empty:
        schema, table = key
        with duckdb.get_connection() as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} AS SELECT * FROM df LIMIT 0")


def preview(df: "pd.DataFrame", columns: list[str], limit: int = 8) -> dg.MetadataValue:
    rows = df[columns].head(limit).astype(object).where(df[columns].head(limit).notna(), None)
    return dg.MetadataValue.md(md_table(columns, rows.values.tolist(), limit=60))


@dg.asset(
    key=["airtable", "raw_records"],
    partitions_def=SNAPSHOT_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    group_name=GROUP,
    owners=OWNERS,
    kinds={"airtable", "duckdb"},
    metadata=PARTITION_META,
)
def raw_records(
    context: dg.AssetExecutionContext, airtable: AirtableSource, duckdb: DuckDBResource
):
    """Every record of every table in each day's Airtable snapshot, verbatim."""
    days = window_days(context)
    today = dt.datetime.now(UTC).date()
    rows, taken, absent, empty = [], [], [], []
    stray = airtable.landing.airtable_stray_entries()
    if stray:
        context.log.warning(f"not snapshot folders (named YYYY-MM-DD), ignored: {', '.join(stray)}")
    for day in days:
        try:
            airtable.land_snapshot(day, today)
        except SnapshotUnavailable as exc:
            if len(days) == 1:  # asked for exactly this day: say clearly why it cannot be had
                raise dg.Failure(description=str(exc)) from None
            absent.append(day)
            continue
        snapshot = airtable.read_snapshot(day)
        if not any(snapshot.values()):
            # a snapshot folder without a single record is no snapshot: the as-of rule then reads the
            # previous one whole (every table's last good copy); said in the metadata and the log
            empty.append(day)
            context.log.warning(f"the Airtable snapshot of {day} holds no record at all; it is not used")
            continue
        taken.append(day)
        for table_name, records in snapshot.items():
            for position, record in enumerate(records):
                is_record = isinstance(record, dict)
                rows.append({
                    "snapshot_date": day,
                    "table_name": table_name,
                    "position": position,
                    "record_id": visible(record["id"]) if is_record and isinstance(record.get("id"), str) else None,
                    "created_time": visible(record.get("createdTime")) if is_record else None,
                    "record_json": json_text(record, sort_keys=True),  # lossless even with lone surrogates
                })
    df = frame(rows, RAW_COLUMNS)
    ensure_table(duckdb, ["airtable", "raw_records"], df)
    context.add_output_metadata({
        "dagster/row_count": len(df),
        "snapshots": dg.MetadataValue.text(", ".join(d.isoformat() for d in taken) or "none"),
        "days_without_snapshot": len(absent),
        "snapshots_without_records": dg.MetadataValue.text(", ".join(d.isoformat() for d in empty) or "none"),
        "not_snapshot_folders": dg.MetadataValue.text(", ".join(stray) or "none"),  # quarantined as snapshot problems
    })
    return df


def _last_good_before(duckdb: DuckDBResource, first) -> dict[str, GoodCopy]:
    """Per table, its records in the latest snapshot before ``first`` where it was readable and not
    empty (what a table missing from a snapshot of this run falls back to; see snapshot_problems)."""
    with duckdb.get_connection() as conn:
        if not table_exists(conn, "airtable", "raw_records"):
            return {}
        rows = conn.execute(f"""
            WITH good AS (
                SELECT table_name, max(snapshot_date) AS day FROM airtable.raw_records
                WHERE snapshot_date < ? AND NOT (record_id IS NULL AND contains(record_json, '"{UNREADABLE}"'))
                GROUP BY table_name)
            SELECT r.table_name, r.snapshot_date, r.record_json FROM airtable.raw_records r
            JOIN good g ON r.table_name = g.table_name AND r.snapshot_date = g.day
            ORDER BY r.table_name, r.position""", [pd.Timestamp(first).to_pydatetime()]).fetchall()
    out: dict[str, GoodCopy] = {}
    for table_name, day, record_json in rows:
        out.setdefault(table_name, GoodCopy(pd.Timestamp(day).date(), [])).records.append(json.loads(record_json))
    return out


def first_landed(airtable: AirtableSource, mapping) -> dict[str, dt.date | None]:
    """The first snapshot day holding each optional table's file (None: none ever does). Point in time:
    up to that day a base has not had the table yet and it reads as empty (no snapshot problem); from
    then on, a snapshot without it is one."""
    days = airtable.snapshot_dates()
    return {t.name: next((day for day in days if airtable.has_table_file(day, t.name, mapping)), None)
            for t in TABLES if t.optional}


def _not_there_yet(first: dict[str, dt.date | None], table: str, day: dt.date) -> bool:
    return table in first and (first[table] is None or day < first[table])


def _out(key: list[str], description: str, owners: list[str]) -> dg.AssetOut:
    return dg.AssetOut(
        key=key,
        description=description,
        group_name=GROUP,
        owners=owners,
        kinds={"airtable", "duckdb"},
        metadata=PARTITION_META,
    )


_OUTS = {
    f"airtable__{t.asset_name}": _out(
        ["airtable", t.asset_name], f"Validated {t.name} records of each daily snapshot.", OWNERS
    )
    for t in TABLES
}
_OUTS["airtable__quarantine"] = _out(
    ["airtable", "quarantine"],
    "Airtable records that failed validation, with every reason and the raw record.",
    ["team:QA-001"],
)


@dg.multi_asset(
    outs=_OUTS,
    ins={"raw": dg.AssetIn(raw_records.key)},
    partitions_def=SNAPSHOT_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb",
    name="airtable_tables",
)
def airtable_tables(
    context: dg.AssetExecutionContext, airtable: AirtableSource, duckdb: DuckDBResource, raw
):
    """Validate each snapshot: typed tables for the good records, quarantine for the rest."""
    mapping = airtable.mapping()
    first = first_landed(airtable, mapping)
    stray = airtable.landing.airtable_stray_entries()
    typed: dict[str, list[dict]] = {t.name: [] for t in TABLES}
    quarantined: list[dict] = []
    raw = raw.sort_values(["snapshot_date", "table_name", "position"])
    last_good = _last_good_before(duckdb, raw["snapshot_date"].min()) if len(raw) else {}
    known: dict = {}  # records validated in this run, by their fields: most are unchanged between snapshots
    for snapshot_ts, day_rows in raw.groupby("snapshot_date", sort=True):
        day = pd.Timestamp(snapshot_ts).date()
        tables: dict[str, list] = {}
        for table_name, record_json in zip(day_rows["table_name"], day_rows["record_json"]):
            tables.setdefault(table_name, []).append(json.loads(record_json))
        states = {t.name: EMPTY if _not_there_yet(first, t.name, day)
                  or airtable.has_table_file(day, t.name, mapping) else MISSING for t in TABLES}
        tables, problems = fill_gaps(day, tables, states, [t.name for t in TABLES], last_good)
        quarantined.extend(problems)
        quarantined.extend(stray_entries(day, stray))  # 2026-3-14/: never read, never silently
        parsed = parse_snapshot(day, tables, mapping, known)
        for name, rows in parsed.rows.items():
            typed[name].extend(rows)
        quarantined.extend(parsed.quarantine)

    for t in TABLES:
        df = frame(typed[t.name], table_columns(t))
        ensure_table(duckdb, ["airtable", t.asset_name], df)
        yield dg.Output(df, output_name=f"airtable__{t.asset_name}", metadata={
            "dagster/row_count": len(df),
            "quarantined_rows": sum(1 for q in quarantined if q["table_name"] == t.name),
            "preview": preview(df, ["snapshot_date", "record_id", *list(table_columns(t))[3:6]]),
        })
    qdf = frame(quarantined, QUARANTINE_COLUMNS)
    ensure_table(duckdb, ["airtable", "quarantine"], qdf)
    yield dg.Output(qdf, output_name="airtable__quarantine", metadata={
        "dagster/row_count": len(qdf),
        "preview": preview(qdf, ["snapshot_date", "table_name", "record_id", "reason"]),
    })
