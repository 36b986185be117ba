"""The seed's success metrics for Stage 10.6, checked on the weeks just computed.

The checks are partitioned like the weeks (``AssetCheckSpec(partitions_def=...)``): a run
yields one evaluation per week of its partition window, each on its own partition, so a
single-run backfill of 40 weeks shows in the UI (and in the demo summary) exactly which
weeks failed. Missing Realized Costs and Notes are gaps in Airtable (ERROR); budget and
timeline variance outside their bands are facts about the project to report (WARN).
"""

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from bqx_ops.db import table_exists
from bqx_ops.defs.plan_update.outputs import week_table
from bqx_ops.defs.plan_update.tables import SCHEMA
from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS
from bqx_ops.defs.plan_update.weeks import period_of, run_weeks
from bqx_ops.markdown import table as md_table
from bqx_ops.plan_update.fmt import pct


def _weeks(context, conn, table: str) -> list[tuple[str, pd.Timestamp]]:
    keys = [key for key, _ in run_weeks(context)]
    if not keys:
        exists = table_exists(conn, SCHEMA, table)
        latest = conn.execute(f"SELECT max(period_start) FROM {SCHEMA}.{table}").fetchone()[0] if exists else None
        keys = [latest.strftime("%Y-%m-%d")] if latest is not None else []
    return [(key, period_of(key).start) for key in keys]


def _evaluate(context, duckdb: DuckDBResource, table: str, offenders) -> dict:
    """{week key: offending rows} for each week evaluated, and the latest week."""
    with duckdb.get_connection() as conn:
        weeks = _weeks(context, conn, table)
        found = {key: offenders(week_table(conn, table, start)) for key, start in weeks}
    return {"by_week": found, "latest": weeks[-1][0] if weeks else None}


def _result(found: dict, what: str, columns: list[str], headers: list[str], severity=dg.AssetCheckSeverity.ERROR,
            describe=None, *, table: str, name: str):
    """One evaluation per week of the run, each on its own partition, then the check's output."""
    key = dg.AssetKey([SCHEMA, table])
    if found["latest"] is None:
        yield dg.AssetCheckResult(passed=True, severity=severity, description="no data: no week computed yet")
        return
    for week, bad in found["by_week"].items():
        description = None if bad.empty else (describe(week, bad) if describe else f"Week {week}: {what}.")
        yield dg.AssetCheckEvaluation(
            asset_key=key, check_name=name, passed=bad.empty, severity=severity, description=description,
            partition=week,
            metadata={
                "week": week, "offending_rows": len(bad),
                "offenders": dg.MetadataValue.md(md_table(headers, bad[columns].astype(object).where(
                    bad[columns].notna(), None).values.tolist() if not bad.empty else [])),
            },
        )
    yield dg.Output(None)


def _check(table: str, description: str):
    return dg.asset_check(asset=dg.AssetKey([SCHEMA, table]), partitions_def=PLAN_UPDATE_PARTITIONS, pool="duckdb",
                          description=description)


@_check("stage_cost_variance", "Every Done stage has a Realized Cost (seed: all completed stages have it recorded).")
def completed_stages_have_realized_cost(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    found = _evaluate(context, duckdb, "stage_cost_variance",
                      lambda df: df[(df["status"] == "Done") & df["realized_cost"].isna()] if not df.empty else df)
    yield from _result(found, "Done stages without Realized Cost", ["stage_id", "record_id", "name", "owner"],
                       ["stage", "record", "name", "owner"],
                       describe=lambda week, bad: f"Week {week}: Done without Realized Cost: "
                       + ", ".join(f"{r.stage_id} {r.name} ({r.record_id})" for r in bad.itertuples()),
                       table="stage_cost_variance", name="completed_stages_have_realized_cost")


@_check("phase_status_notes", "Every phase has Notes (seed: all phases have Notes with the latest status).")
def every_phase_has_notes(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    found = _evaluate(context, duckdb, "phase_status_notes",
                      lambda df: df[~df["has_notes"].astype(bool)] if not df.empty else df)
    yield from _result(found, "phases without Notes", ["phase_id", "phase_record_id", "name"],
                       ["phase", "record", "name"],
                       describe=lambda week, bad: f"Week {week}: phases without Notes: "
                       + ", ".join(f"{r.phase_id} {r.name} ({r.phase_record_id})" for r in bad.itertuples()),
                       table="phase_status_notes", name="every_phase_has_notes")


def _out_of_band(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["within_band"].eq(False).fillna(False).astype(bool)] if not df.empty else df


@_check("budget_variance", "Cost variance of completed work within ±15% (WARN: a fact to report).")
def budget_variance_within_band(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    found = _evaluate(context, duckdb, "budget_variance", _out_of_band)
    yield from _result(found, "budget variance outside ±15%",
                       ["realized_cost", "estimated_cost_done", "variance_pct", "band_pct"],
                       ["realized", "estimated (done)", "variance %", "band %"], dg.AssetCheckSeverity.WARN,
                       describe=lambda week, bad: f"Week {week}: completed work {pct(bad.iloc[0].variance_pct)}"
                       f" against its estimates, outside ±{bad.iloc[0].band_pct:.0f}%.",
                       table="budget_variance", name="budget_variance_within_band")


@_check("plan_timeline", "Timeline variance (elapsed vs earned working days) within ±20% (WARN).")
def timeline_variance_within_band(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    found = _evaluate(context, duckdb, "plan_timeline", _out_of_band)
    yield from _result(found, "timeline variance outside ±20%",
                       ["elapsed_days", "earned_days", "schedule_variance_days", "variance_pct", "band_pct"],
                       ["elapsed", "earned", "days behind", "variance %", "band %"], dg.AssetCheckSeverity.WARN,
                       describe=lambda week, bad: f"Week {week}: {bad.iloc[0].elapsed_days} working days elapsed"
                       f" for {bad.iloc[0].earned_days} earned ({pct(bad.iloc[0].variance_pct)}), outside"
                       f" ±{bad.iloc[0].band_pct:.0f}%.",
                       table="plan_timeline", name="timeline_variance_within_band")
