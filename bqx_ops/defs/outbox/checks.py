"""The outbox is healthy while nothing is dead-lettered."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox
from bqx_ops.defs.outbox.assets import outbox_delivery
from bqx_ops.markdown import table as md_table


@dg.asset_check(asset=outbox_delivery, description="Nothing in the outbox is dead-lettered.")
def no_dead_lettered_intents(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        outbox.ensure_schema(conn)
        dead = conn.execute(
            "SELECT key, version, channel, attempts, last_error FROM ops.outbox WHERE status = ? ORDER BY key",
            [outbox.DEAD],
        ).fetchall()
    return dg.AssetCheckResult(
        passed=not dead,
        description=None if not dead else f"{len(dead)} dead-lettered: " + ", ".join(f"{k}#v{v}" for k, v, *_ in dead),
        metadata={"dead": dg.MetadataValue.md(md_table(["key", "version", "channel", "attempts", "last error"],
                                                        [list(r) for r in dead]))},
    )
