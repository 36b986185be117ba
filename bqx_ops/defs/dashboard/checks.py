"""The dashboard's own promise: every operational health indicator of each week is green.

Partitioned like the dashboard: a run (or a single-run backfill) judges each of its weeks on its own
partition, so the UI and the demo summary show which weeks were not green, not only the last.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.dashboard.indicators import OK, OPERATIONAL
from bqx_ops.defs.cadence.check_periods import evaluations, periods_or_latest
from bqx_ops.defs.cadence.partitions import WEEKLY_SYNC_PARTITIONS
from bqx_ops.defs.dashboard.assets import METRICS_KEY
from bqx_ops.markdown import table as md_table


@dg.asset_check(asset=METRICS_KEY, partitions_def=WEEKLY_SYNC_PARTITIONS, pool="duckdb",
                description="Every operational health indicator of each week is ✅ (WARN: the cadence slips).")
def operational_health_is_green(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    judged = []
    with duckdb.get_connection() as conn:
        for week, start in periods_or_latest(context, conn, WEEKLY_SYNC_PARTITIONS, "dashboard",
                                             "success_metrics"):
            rows = conn.execute(
                "SELECT metric, target, current, status FROM dashboard.success_metrics WHERE section = ? "
                "AND period_start = ? ORDER BY position", [OPERATIONAL, start]).fetchall()
            failing = [[m, t, c, s] for m, t, c, s in rows if s != OK]
            description = (f"week {week}: no indicator computed" if not rows else
                           f"week {week}: {len(failing)} operational indicator(s) not green: "
                           + ", ".join(f"{m} ({s})" for m, _, _, s in failing) if failing else None)
            judged.append((week, bool(rows) and not failing, description, {
                "week": week, "failing": dg.MetadataValue.json([f[0] for f in failing]),
                "details": dg.MetadataValue.md(md_table(["metric", "target", "current", "status"], failing))}))
    yield from evaluations(context, judged, dg.AssetCheckSeverity.WARN,
                           no_data="no data: dashboard.success_metrics has no week")
