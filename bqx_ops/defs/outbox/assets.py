"""Outbox delivery as an asset: each materialization is one delivery pass, its metadata the state."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox
from bqx_ops.calendar import UTC
from bqx_ops.markdown import table as md_table
from bqx_ops.outbox.delivery import deliver
from bqx_ops.resources.outbox import OutboxDelivery


@dg.asset(
    key=["ops", "outbox_delivery"],
    group_name="outbox",
    owners=["team:COORD-001"],
    kinds={"duckdb", "slack", "airtable", "github"},
    pool="duckdb",
)
def outbox_delivery(context: dg.AssetExecutionContext, duckdb: DuckDBResource, delivery: OutboxDelivery):
    """One delivery pass: send pending intents, recover in-flight ones, record history only."""
    with duckdb.get_connection() as conn:
        report = deliver(conn, delivery.channels(), dt.datetime.now(UTC), delivery.policy())
        counts = outbox.counts_by_status(conn)
    problems = [[k, "retrying", e] for k, e in report.retrying.items()]
    problems += [[k, "dead", e] for k, e in report.dead.items()]
    return dg.MaterializeResult(metadata={
        "delivered": len(report.delivered),
        "recovered_after_crash": len(report.recovered),
        "recorded_only_older_than_horizon": len(report.recorded_only),
        "superseded_before_sent": len(report.superseded),
        "retrying": len(report.retrying),
        "dead_lettered": len(report.dead),
        "outbox_by_status": dg.MetadataValue.json(counts),
        "problems": dg.MetadataValue.md(md_table(["intent", "state", "last error"], problems)),
    })
