"""Partitioned asset checks: one evaluation per period of the run, each on its own partition.

Shared by the snapshot checks (one partition per snapshot day), the plan-update checks (one per
week), the review checks (one per review) and the dashboard's (one per week), so a single-run
backfill shows in the UI and in the demo summary which periods failed.
"""

import datetime as dt

import dagster as dg

from bqx_ops.db import table_exists


def evaluations(context: dg.AssetCheckExecutionContext, judged: list[tuple[str | None, bool, str | None, dict]],
                severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR, no_data: str = "no data"):
    """Yield one evaluation per (partition, passed, description, metadata) of ``judged``, then the check's
    output; nothing judged: one passing result that says ``no_data``."""
    (spec,) = context.check_specs  # the checked asset and the check's name, as the decorator declared them
    if not judged:
        yield dg.AssetCheckResult(passed=True, severity=severity, description=no_data)
        return
    for partition, passed, description, metadata in judged:
        yield dg.AssetCheckEvaluation(asset_key=spec.asset_key, check_name=spec.name, passed=passed, severity=severity,
                                      description=description, partition=partition, metadata=metadata)
    yield dg.Output(None)


def run_periods(context, partitions_def: dg.TimeWindowPartitionsDefinition) -> list[tuple[str, dt.datetime]]:
    """(partition key, naive UTC start) of every period of the run, oldest first; none outside a partitioned run."""
    if not (context.has_partition_key_range or context.has_partition_key):
        return []
    out = []
    for key in sorted(context.partition_keys):
        start = partitions_def.time_window_for_partition_key(key).start
        out.append((key, start.astimezone(dt.timezone.utc).replace(tzinfo=None)))
    return out


def periods_or_latest(context, conn, partitions_def: dg.TimeWindowPartitionsDefinition,
                      schema: str, table: str) -> list[tuple[str, dt.datetime]]:
    """The run's periods; outside a partitioned run, the latest ``period_start`` of the checked table."""
    periods = run_periods(context, partitions_def)
    if periods or not table_exists(conn, schema, table):
        return periods
    latest = conn.execute(f"SELECT max(period_start) FROM {schema}.{table}").fetchone()[0]
    return [] if latest is None else [(latest.strftime("%Y-%m-%d"), latest)]
