"""The seed's success metrics for Stage 10.6, checked on the weeks just computed.

The checks are partitioned like the weeks (``AssetCheckSpec(partitions_def=...)``): a run
yields one evaluation per week of its partition window, each on its own partition
(defs/cadence/check_periods.py), so a single-run backfill shows exactly which weeks failed.
Missing Realized Costs and Notes are gaps in Airtable (ERROR); budget and timeline variance
outside their bands are facts about the project to report (WARN).
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.defs.cadence.check_periods import evaluations, periods_or_latest
from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS
from bqx_ops.defs.plan_update.week_tables import WeekTables
from bqx_ops.defs.plan_update.tables import SCHEMA
from bqx_ops.defs.plan_update.weeks import period_of
from bqx_ops.lazy import pd
from bqx_ops.markdown import table as md_table
from bqx_ops.plan_update.fmt import pct


def _weeks(context, conn, table: str) -> "list[tuple[str, pd.Timestamp]]":
    """(key, UTC start) of every week of the run; outside a partitioned run, the table's latest week."""
    return [(key, period_of(key).start)
            for key, _ in periods_or_latest(context, conn, PLAN_UPDATE_PARTITIONS, SCHEMA, table)]


def _evaluate(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource, offenders, columns: list[str],
              headers: list[str], describe, severity=dg.AssetCheckSeverity.ERROR):
    """One evaluation per week of the run (``offenders`` of the checked table's rows of that week), each on its
    own partition."""
    (spec,) = context.check_specs
    table = spec.asset_key.path[-1]
    with duckdb.get_connection() as conn:
        weeks = _weeks(context, conn, table)
        tables = WeekTables(conn, [start for _, start in weeks])
        found = {key: offenders(tables.get(table, start)) for key, start in weeks}
    # named by the days it runs (the key is its opening Friday: "Week 2023-03-24" alone reads as the week the
    # plan update of 2023-03-24 reported, one week before the figures described)
    judged = [(week, bad.empty, None if bad.empty else describe(f"{week} – {period_of(week).end.date()}", bad), {
        "week": week, "offending_rows": len(bad),
        "offenders": dg.MetadataValue.md(md_table(headers, bad[columns].astype(object).where(
            bad[columns].notna(), None).values.tolist() if not bad.empty else [])),
    }) for week, bad in found.items()]
    yield from evaluations(context, judged, severity, no_data="no data: no week computed yet")


def _check(table: str, description: str):
    return dg.asset_check(asset=dg.AssetKey([SCHEMA, table]), partitions_def=PLAN_UPDATE_PARTITIONS, pool="duckdb",
                          description=description)


@_check("stage_cost_variance", "Every Done stage has a Realized Cost (seed: all completed stages have it recorded).")
def completed_stages_have_realized_cost(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _evaluate(context, duckdb,
                         lambda df: df[(df["status"] == "Done") & df["realized_cost"].isna()] if not df.empty else df,
                         ["stage_id", "record_id", "name", "owner"], ["stage", "record", "name", "owner"],
                         describe=lambda week, bad: f"Week {week}: Done without Realized Cost: "
                         + ", ".join(f"{r.stage_id} {r.name} ({r.record_id})" for r in bad.itertuples()))


@_check("phase_status_notes", "Every phase has Notes (seed: all phases have Notes with the latest status).")
def every_phase_has_notes(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _evaluate(context, duckdb, lambda df: df[~df["has_notes"].astype(bool)] if not df.empty else df,
                         ["phase_id", "phase_record_id", "name"], ["phase", "record", "name"],
                         describe=lambda week, bad: f"Week {week}: phases without Notes: "
                         + ", ".join(f"{r.phase_id} {r.name} ({r.phase_record_id})" for r in bad.itertuples()))


def _out_of_band(df: "pd.DataFrame") -> "pd.DataFrame":
    return df[df["within_band"].eq(False).fillna(False).astype(bool)] if not df.empty else df


@_check("budget_variance", "Cost variance of completed work within ±15% (WARN: a fact to report).")
def budget_variance_within_band(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _evaluate(context, duckdb, _out_of_band,
                         ["realized_cost", "estimated_cost_done", "variance_pct", "band_pct"],
                         ["realized", "estimated (done)", "variance %", "band %"],
                         describe=lambda week, bad: f"Week {week}: completed work {pct(bad.iloc[0].variance_pct)}"
                         f" against its estimates, outside ±{bad.iloc[0].band_pct:.0f}%.",
                         severity=dg.AssetCheckSeverity.WARN)


@_check("plan_timeline", "Timeline variance (elapsed vs earned working days) within ±20% (WARN).")
def timeline_variance_within_band(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _evaluate(context, duckdb, _out_of_band,
                         ["elapsed_days", "earned_days", "schedule_variance_days", "variance_pct", "band_pct"],
                         ["elapsed", "earned", "days behind", "variance %", "band %"],
                         describe=lambda week, bad: f"Week {week}: {bad.iloc[0].elapsed_days} working days elapsed"
                         f" for {bad.iloc[0].earned_days} earned ({pct(bad.iloc[0].variance_pct)}), outside"
                         f" ±{bad.iloc[0].band_pct:.0f}%.",
                         severity=dg.AssetCheckSeverity.WARN)
