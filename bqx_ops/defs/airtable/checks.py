"""The plan's own success metrics, checked on the latest Airtable snapshot.

Each check names the offending records, so a failure says what to fix in Airtable.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.asof import previous_snapshot, read_as_of
from bqx_ops.base_schema import STATUSES
from bqx_ops.markdown import table as md_table

LATEST = dt.date.max


def _names(df, limit: int = 20) -> str:
    """'10.5 Repository sync (recXXXX), ...' for the first ``limit`` stages."""
    items = [f"{r.stage_id} {r.name} ({r.record_id})" for r in df.itertuples()]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


@dg.asset_check(asset=dg.AssetKey(["airtable", "stages"]), description="Every Done stage has a Realized Cost.")
def done_stages_have_realized_cost(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        day, stages = read_as_of(conn, "stages", LATEST)
    bad = stages[(stages["status"] == "Done") & stages["realized_cost"].isna()]
    return dg.AssetCheckResult(
        passed=bad.empty,
        description=None if bad.empty else f"Done stages without Realized Cost: {_names(bad)}",
        metadata={
            "snapshot_date": str(day),
            "offending_records": len(bad),
            "offenders": dg.MetadataValue.md(
                md_table(["stage", "record", "name"], bad[["stage_id", "record_id", "name"]].values.tolist())
            ),
        },
    )


@dg.asset_check(asset=dg.AssetKey(["airtable", "phases"]), description="Every phase has Notes with its latest status.")
def phases_have_notes(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        day, phases = read_as_of(conn, "phases", LATEST)
    bad = phases[phases["notes"].isna() | (phases["notes"].fillna("").str.strip() == "")]
    return dg.AssetCheckResult(
        passed=bad.empty,
        description=None if bad.empty else "Phases without Notes: "
        + ", ".join(f"{r.phase_id} {r.name} ({r.record_id})" for r in bad.itertuples()),
        metadata={"snapshot_date": str(day), "offending_records": len(bad)},
    )


@dg.asset_check(
    asset=dg.AssetKey(["airtable", "stages"]),
    description="Stage statuses only move forward (Todo -> In Progress -> Done) between consecutive snapshots.",
)
def stage_statuses_move_forward(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        day, now = read_as_of(conn, "stages", LATEST)
        before_day = previous_snapshot(conn, day) if day else None
        _, before = read_as_of(conn, "stages", before_day) if before_day else (None, now.iloc[0:0])
    rank = {s: i for i, s in enumerate(STATUSES)}
    merged = now.merge(before, on="record_id", suffixes=("", "_before"))
    backwards = merged[merged["status"].map(rank) < merged["status_before"].map(rank)]
    rows = [[r.stage_id, r.record_id, r.status_before, r.status] for r in backwards.itertuples()]
    return dg.AssetCheckResult(
        passed=backwards.empty,
        description=None if backwards.empty else "Stages moved backwards: "
        + ", ".join(f"{s} {b} -> {a}" for s, _, b, a in rows),
        metadata={
            "snapshot_date": str(day),
            "compared_with": str(before_day),
            "backwards": dg.MetadataValue.md(md_table(["stage", "record", "before", "now"], rows)),
        },
    )


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
