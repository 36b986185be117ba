"""The dashboard's own promise: every operational health indicator of the latest week is green."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.dashboard.indicators import OK, OPERATIONAL
from bqx_ops.db import table_exists
from bqx_ops.defs.dashboard.assets import METRICS_KEY
from bqx_ops.markdown import table as md_table


@dg.asset_check(asset=METRICS_KEY,
                description="Every operational health indicator of the latest week is ✅ (WARN: the cadence slips).")
def operational_health_is_green(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        exists = table_exists(conn, "dashboard", "success_metrics")
        rows = conn.execute(
            "SELECT period_start, metric, target, current, status FROM dashboard.success_metrics WHERE section = ? "
            "AND period_start = (SELECT max(period_start) FROM dashboard.success_metrics) ORDER BY position",
            [OPERATIONAL]).fetchall() if exists else []
    failing = [[m, t, c, s] for _, m, t, c, s in rows if s != OK]
    week = f"{rows[0][0]:%Y-%m-%d}" if rows else "none"
    description = ("dashboard.success_metrics has no week" if not rows else
                   f"week {week}: {len(failing)} operational indicator(s) not green: "
                   + ", ".join(f"{m} ({s})" for m, _, _, s in failing) if failing else None)
    return dg.AssetCheckResult(
        passed=bool(rows) and not failing, severity=dg.AssetCheckSeverity.WARN, description=description,
        metadata={"week": week, "failing": dg.MetadataValue.json([f[0] for f in failing]),
                  "details": dg.MetadataValue.md(md_table(["metric", "target", "current", "status"], failing))})
