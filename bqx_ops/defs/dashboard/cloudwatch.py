"""``dashboard/cloudwatch_publication``: each week's success metrics as CloudWatch custom metrics, and
the CloudWatch dashboard and alarms that show them, all through the outbox (channel ``cloudwatch``)."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox, settings
from bqx_ops.calendar import UTC, naive_utc
from bqx_ops.dashboard.cloudwatch import alarm_requests, dashboard_body, metric_data
from bqx_ops.issue_review.rules import p0_p1_sla_hours
from bqx_ops.db import table_exists, transaction
from bqx_ops.defs.cadence.partitions import WEEKLY_SYNC_PARTITIONS
from bqx_ops.defs.dashboard.assets import GROUP, METRICS_KEY, OWNERS
from bqx_ops.defs.docs_sync.weeks import weeks


def week_values(conn, start: dt.datetime, as_of: dt.datetime) -> dict[str, float | None]:
    """The week's indicator values, plus days since the last issue review done by ``as_of``."""
    rows = conn.execute("SELECT metric, value FROM dashboard.success_metrics WHERE period_start = ?",
                        [naive_utc(start)]).fetchall()
    values = {m: (None if v is None or v != v else float(v)) for m, v in rows}
    values["Issue Review"] = None
    if table_exists(conn, "review", "review_periods"):
        (last,) = conn.execute("SELECT max(period_end) FROM review.review_periods WHERE period_end <= ?",
                               [naive_utc(as_of)]).fetchone()
        if last is not None:
            values["Issue Review"] = round((naive_utc(as_of) - last).total_seconds() / 86400, 3)
    return values


@dg.asset(key=["dashboard", "cloudwatch_publication"], deps=[METRICS_KEY, dg.AssetKey(["review", "review_periods"])],
          partitions_def=WEEKLY_SYNC_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb",
          group_name=GROUP, owners=OWNERS, kinds={"aws", "duckdb"})
def cloudwatch_publication(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Outbox intents: the week's PutMetricData, and PutDashboard / PutMetricAlarm of the operational health."""
    names, now = settings.cloudwatch_names(), dt.datetime.now(UTC)
    namespace, board = names["namespace"], names["dashboard"]
    outcomes: dict[str, int] = {}
    published: dict[str, int] = {}
    with duckdb.get_connection() as conn:
        outbox.ensure_schema(conn)
        if not table_exists(conn, "dashboard", "success_metrics"):
            raise dg.Failure(description="dashboard.success_metrics does not exist: materialize it first.")
        producer = outbox.Producer("dashboard/cloudwatch_publication", None, context.run.run_id)
        intents = []
        for w in weeks(context):
            request = metric_data(week_values(conn, w.start, w.as_of), w.as_of, namespace)
            published[w.key] = len(request["MetricData"])
            if request["MetricData"]:
                intents.append((f"cloudwatch/metrics/{w.key}", {"action": "put_metric_data", "request": request},
                                w.as_of))
        # the dashboard and alarms are configuration, not history: always current, never "recorded only"
        body = dashboard_body(namespace, settings.aws_region(), board)
        intents.append((f"cloudwatch/dashboard/{board}", {"action": "put_dashboard", "request": {
            "DashboardName": board, "DashboardBody": body}}, now))
        for alarm in alarm_requests(namespace, board, settings.sns_topic_arn(), p0_p1_sla_hours()["P0"]):
            intents.append((f"cloudwatch/alarm/{alarm['AlarmName']}", {"action": "put_metric_alarm", "request": alarm},
                            now))
        with transaction(conn):  # the intents, all or none, in one commit
            for key, payload, period_end in intents:
                outcome = outbox.enqueue(conn, key, "cloudwatch", payload, producer, period_end, now)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return dg.MaterializeResult(metadata={
        "namespace": namespace, "dashboard": board, "alarm_topic": settings.sns_topic_arn() or "none configured",
        "metrics_per_week": dg.MetadataValue.json(published), "intents": dg.MetadataValue.json(outcomes)})
