"""The plan's own success metrics, checked on each Airtable snapshot of the run.

The data checks are partitioned like the snapshots (``AssetCheckSpec(partitions_def=...)``):
a run yields one evaluation per snapshot day of its window, each on that day's partition, so
a single-run backfill shows in the UI and in the demo summary exactly which snapshots failed.
Each check names the offending records, so a failure says what to fix in Airtable. The
quarantine check looks at the latest snapshot only (WARN).
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.asof import as_of_snapshot, previous_snapshot, read_as_of, read_snapshots
from bqx_ops.base_schema import STATUSES
from bqx_ops.db import table_exists
from bqx_ops.defs.airtable.assets import SNAPSHOT_PARTITIONS
from bqx_ops.defs.cadence.check_periods import evaluations
from bqx_ops.markdown import table as md_table

LATEST = dt.date.max


def _names(df, limit: int = 20) -> str:
    """'10.5 Repository sync (recXXXX), ...' for the first ``limit`` stages."""
    items = [f"{r.stage_id} {r.name} ({r.record_id})" for r in df.itertuples()]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _snapshot_days(context, conn) -> list[dt.date]:
    """The snapshot days of the run's partition window, oldest first; a window without one: the
    snapshot its last day reads (judged on that day's partition); no partition: the latest."""
    if not (context.has_partition_key_range or context.has_partition_key):
        day = as_of_snapshot(conn, LATEST)
        return [day] if day else []
    keys = sorted(context.partition_keys)
    first, last = dt.date.fromisoformat(keys[0]), dt.date.fromisoformat(keys[-1])
    if not table_exists(conn, "airtable", "raw_records"):
        return []
    days = [r[0].date() for r in conn.execute(
        "SELECT DISTINCT snapshot_date FROM airtable.raw_records WHERE snapshot_date BETWEEN ? AND ? ORDER BY 1",
        [dt.datetime.combine(first, dt.time()), dt.datetime.combine(last, dt.time())]).fetchall()]
    return days or ([last] if as_of_snapshot(conn, last) else [])


def _per_snapshot(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource, table: str, judge,
                  severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR):
    """One evaluation per snapshot day of the run (``judge(conn, read, day)`` -> passed, description,
    metadata), each on that day's partition. ``read(day)`` is ``read_as_of(conn, table, day)``, the
    window's snapshot days of the table read in one query."""
    partitioned = context.has_partition_key_range or context.has_partition_key
    with duckdb.get_connection() as conn:
        days = _snapshot_days(context, conn)
        window = read_snapshots(conn, table, days)

        def read(on: dt.date):
            return (on, window[on].copy()) if on in window else read_as_of(conn, table, on)

        judged = [(day.isoformat() if partitioned else None, *judge(conn, read, day)) for day in days]
    yield from evaluations(context, judged, severity=severity, no_data="no data: no snapshot taken yet")


def _check(table: str, description: str):
    return dg.asset_check(asset=dg.AssetKey(["airtable", table]), partitions_def=SNAPSHOT_PARTITIONS, pool="duckdb",
                          description=description)


@_check("stages", "Every Done stage has a Realized Cost.")
def done_stages_have_realized_cost(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    def judge(conn, read, on):
        day, stages = read(on)
        bad = stages[(stages["status"] == "Done") & stages["realized_cost"].isna()]
        return bad.empty, None if bad.empty else f"Snapshot {day}: Done stages without Realized Cost: {_names(bad)}", {
            "snapshot_date": str(day),
            "offending_records": len(bad),
            "offenders": dg.MetadataValue.md(
                md_table(["stage", "record", "name"], bad[["stage_id", "record_id", "name"]].values.tolist())),
        }

    yield from _per_snapshot(context, duckdb, "stages", judge)


@_check("phases", "Every phase has Notes with its latest status.")
def phases_have_notes(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    def judge(conn, read, on):
        day, phases = read(on)
        bad = phases[phases["notes"].isna() | (phases["notes"].fillna("").str.strip() == "")]
        return bad.empty, None if bad.empty else f"Snapshot {day}: phases without Notes: " + ", ".join(
            f"{r.phase_id} {r.name} ({r.record_id})" for r in bad.itertuples()), {
            "snapshot_date": str(day), "offending_records": len(bad)}

    yield from _per_snapshot(context, duckdb, "phases", judge)


@_check("stages", "Stage statuses only move forward (Todo -> In Progress -> Done) between consecutive snapshots "
                  "(WARN: a stage re-opened is real work, a slip is a typo: either way for a person to confirm).")
def stage_statuses_move_forward(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    rank = {s: i for i, s in enumerate(STATUSES)}

    def judge(conn, read, on):
        day, now = read(on)
        before_day = previous_snapshot(conn, day) if day else None
        _, before = read(before_day) if before_day else (None, now.iloc[0:0])
        merged = now.merge(before, on="record_id", suffixes=("", "_before"))
        backwards = merged[merged["status"].map(rank) < merged["status_before"].map(rank)]
        rows = [[r.stage_id, r.record_id, r.status_before, r.status] for r in backwards.itertuples()]
        return backwards.empty, None if backwards.empty else f"Snapshot {day}: stages moved backwards: " + ", ".join(
            f"{s} {b} -> {a}" for s, _, b, a in rows), {
            "snapshot_date": str(day),
            "compared_with": str(before_day),
            "backwards": dg.MetadataValue.md(md_table(["stage", "record", "before", "now"], rows)),
        }

    yield from _per_snapshot(context, duckdb, "stages", judge, severity=dg.AssetCheckSeverity.WARN)


@dg.asset_check(
    asset=dg.AssetKey(["airtable", "quarantine"]),
    description="No record of the latest snapshot is quarantined (WARN: bad input is data, not a crash).",
)
def latest_snapshot_has_no_quarantined_records(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        day, q = read_as_of(conn, "quarantine", LATEST)
    rows = q[["table_name", "record_id", "reason"]].values.tolist()
    return dg.AssetCheckResult(
        passed=q.empty,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if q.empty else "Quarantined: "
        + "; ".join(f"{t} {r}: {why}" for t, r, why in rows[:10]),
        metadata={
            "snapshot_date": str(day),
            "quarantined": len(q),
            "records": dg.MetadataValue.md(md_table(["table", "record", "reason"], rows)),
        },
    )
