"""Column types of the plan tables, and how a run's weeks become one typed frame per table.

Every plan table starts with the week's ``period_start`` (the partition key's time,
the io manager's ``partition_expr``), ``period_end`` (the as-of instant), the
``snapshot_date`` it was computed from and the row's ``position`` in the week (the
computed order: stage order, phase order, date order), so readers can restore it.
"""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.db import table_exists
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.markdown import table as md_table

GROUP = "plan_update"
OWNERS = ["team:COORD-001"]
SCHEMA = "plan"
PARTITION_META = {"partition_expr": "period_start"}

PERIOD_COLUMNS = {"period_start": "datetime64[us]", "period_end": "datetime64[us]", "snapshot_date": "datetime64[us]",
                  "position": "Int64"}
F, I, B, S, T = "float64", "Int64", "boolean", "string", "datetime64[us]"

BUDGET_COLUMNS = {
    "budget": F, "estimated_cost_all_stages": F, "stages": I, "done_stages": I, "costed_stages": I,
    "done_without_cost": I, "estimated_cost_done": F, "realized_cost": F, "variance_usd": F, "variance_pct": F,
    "overrun": B, "band_pct": F, "within_band": B, "budget_spent_pct": F, "over_budget": B,
    "spent_cost": F, "done_without_estimate": I,  # appended: see add_new_columns
}
PLAN_TIMELINE_COLUMNS = {
    "plan_start": T, "plan_complete": B, "days_min": I, "days_max": I, "planned_days": I, "earned_days": I,
    "elapsed_days": I, "schedule_variance_days": I, "variance_pct": F, "forecast_days": F, "band_pct": F,
    "within_band": B, "stages_without_days": S,  # "1.2 (Done), 3.1 (In Progress)": no Estimated Days
    "start_problem": S,  # appended (add_new_columns): why the elapsed days cannot be counted from the Start Date
}
R2_TREND_COLUMNS = {
    "current_r2": F, "horizons": I, "window_days": I, "window_start": T, "window_start_r2": F, "trend_delta": F,
    "trend": S, "target_min": F, "target_max": F, "on_target": B, "evaluations": I, "drops": I,
    "other_horizons": S,  # appended (add_new_columns): Ensemble horizons the plan does not list, not in the mean
}
FORECAST_COLUMNS = {
    "budget": F, "realized_cost": F, "open_stages": I, "adjusted_open_cost": F, "open_without_estimate": I,
    "adjusted_open_days": F, "done_without_cost": I, "done_without_cost_estimate": F, "plan_cost_ratio": F,
    "forecast_cost": F, "variance_usd": F, "variance_pct": F, "band_pct": F, "within_band": B,
}
DASHBOARD_COLUMNS = {
    "plan_id": S, "phases_total": I, "phases_complete": I, "phases_in_progress": I, "phases_todo": I,
    "budget": F, "realized_cost": F, "budget_variance_pct": F, "days_min": I, "days_max": I, "elapsed_days": I,
    "schedule_variance_days": I, "r2_current": F, "r2_target_min": F, "r2_target_max": F, "r2_trend": S,
    "phases_line": S, "budget_line": S, "timeline_line": S, "r2_line": S, "block": S,
    "snapshot_age_days": I,  # days from the as-of snapshot to the week's end: > 7, no snapshot in the week
}
LEARNING_COLUMNS = {"record_id": S, "title": S, "date": T, "stage_id": S, "what_worked": S, "what_didn_t": S,
                    "created_time": T}
DECISION_COLUMNS = {"record_id": S, "title": S, "date": T, "stage_id": S, "decision": S, "rationale": S,
                    "decided_by": S, "created_time": T}


def stamp(week, rows: list[dict]) -> list[dict]:
    """Prefix each row with the week's period columns and its position in the week."""
    period = {"period_start": week.period.start.replace(tzinfo=None),
              "period_end": week.period.end.replace(tzinfo=None), "snapshot_date": week.snapshot_date}
    return [{**period, "position": i, **row} for i, row in enumerate(rows)]


def table_frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    return frame(rows, {**PERIOD_COLUMNS, **columns})


def out(name: str, description: str, owners: list[str] | None = None, kinds: set[str] | None = None) -> dg.AssetOut:
    return dg.AssetOut(
        key=[SCHEMA, name], description=description, group_name=GROUP, owners=owners or OWNERS,
        kinds=kinds or {"duckdb", "pandas"}, metadata=PARTITION_META,
    )


def add_new_columns(duckdb: DuckDBResource, name: str, df: pd.DataFrame) -> None:
    """A table written before a column was added to it gets that column (NULL in its older rows).

    The io manager inserts a frame by position, so new columns are only ever appended to a table's
    column list, and ``ALTER TABLE ... ADD COLUMN`` appends them in the same order."""
    with duckdb.get_connection() as conn:
        if not table_exists(conn, SCHEMA, name):
            return
        have = {r[0].lower() for r in conn.execute(f"DESCRIBE {SCHEMA}.{name}").fetchall()}
        frame_types = conn.execute("DESCRIBE SELECT * FROM df").fetchall()
        for column, kind, *_ in frame_types:
            if column.lower() not in have:
                conn.execute(f'ALTER TABLE {SCHEMA}.{name} ADD COLUMN "{column}" {kind}')


def output(duckdb: DuckDBResource, name: str, df: pd.DataFrame, preview: list[str] | None = None,
           **metadata) -> dg.Output:
    """The table's Output, created empty first when there are no rows (the io manager skips empty frames)."""
    add_new_columns(duckdb, name, df)
    ensure_table(duckdb, [SCHEMA, name], df)
    meta = {"dagster/row_count": len(df), "weeks": int(df["period_start"].nunique()), **metadata}
    if preview:
        head = df[preview].head(10).astype(object).where(df[preview].head(10).notna(), None)
        meta["preview"] = dg.MetadataValue.md(md_table(preview, head.values.tolist(), limit=60))
    return dg.Output(df, output_name=name, metadata=meta)
