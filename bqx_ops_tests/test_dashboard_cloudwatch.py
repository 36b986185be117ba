"""The success metrics on CloudWatch (moto): PutMetricData, PutDashboard and PutMetricAlarm through the
outbox's cloudwatch channel; republishing changes nothing. Expectations from SQL and the landed JSON."""

import datetime as dt
import json

import boto3
import dagster as dg
import duckdb
import pytest
from moto import mock_aws

from bqx_ops.dashboard.cloudwatch import METRICS, metric_data
from bqx_ops.defs.dashboard.assets import success_metrics
from bqx_ops.defs.dashboard.cloudwatch import cloudwatch_publication
from bqx_ops.defs.dashboard.latency import api_latency
from bqx_ops.outbox.delivery import DeliveryPolicy, deliver
from bqx_ops.resources.cloudwatch_channel import CloudWatchChannel
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import write_sample

WEEKS = ["2026-05-04", "2026-05-11", "2026-05-18"]
TAGS = {"dagster/asset_partition_range_start": WEEKS[0], "dagster/asset_partition_range_end": WEEKS[-1]}
NAMESPACE, BOARD = "Team/Ops", "team-operational-health"
NOW = dt.datetime(2026, 5, 25, 12)  # delivered the week after: inside the outbox horizon
POLICY = DeliveryPolicy(horizon=dt.timedelta(days=30))


def test_no_data_is_not_published():
    request = metric_data({"API Latency": None, "P0 Issues": 0.0}, dt.datetime(2026, 5, 18, 9), "N")
    assert [(d["MetricName"], d["Value"]) for d in request["MetricData"]] == [("P0IssuesPastSLA", 0.0)]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    data = tmp_path_factory.mktemp("cloudwatch")
    write_sample(data, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    with mock_aws(), pytest.MonkeyPatch.context() as env:
        topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="ops")["TopicArn"]
        env.setenv("BQX_OPS_SNS_TOPIC_ARN", topic)
        config = data / "team.yaml"  # the sample's configuration with the team's CloudWatch names
        config.write_text((data / "bqx_ops.yaml").read_text().replace("dashboard_name: bqx-ml-operational-health",
                          f"dashboard_name: {BOARD}").replace("metrics_namespace: BQX-ML/Operations",
                                                              f"metrics_namespace: {NAMESPACE}"))
        env.setenv("BQX_OPS_CONFIG", str(config))
        env.setenv("AWS_REGION", "us-east-1")
        resources = build_resources("local", data)
        assert dg.materialize([api_latency], resources=resources).success
        assert dg.materialize([success_metrics], resources=resources, tags=TAGS).success
        cw = boto3.client("cloudwatch", region_name="us-east-1")
        channels = {"cloudwatch": CloudWatchChannel(cw)}
        passes = []
        for _ in range(2):  # publish, then publish again
            result = dg.materialize([cloudwatch_publication], resources=resources, tags=TAGS)
            mat = result.asset_materializations_for_node("dashboard__cloudwatch_publication")[0]
            with duckdb.connect(str(data / "bqx_ops.duckdb")) as conn:
                report = deliver(conn, channels, NOW, POLICY)
            passes.append((mat.metadata["intents"].value, report))
        state = {
            "metrics": cw.list_metrics(Namespace=NAMESPACE)["Metrics"],
            "latency": cw.get_metric_statistics(
                Namespace=NAMESPACE, MetricName="ApiLatencyP95", Dimensions=[{"Name": "Section", "Value": "Project"}],
                StartTime=dt.datetime(2026, 5, 11), EndTime=dt.datetime(2026, 5, 26), Period=86400,
                Statistics=["Maximum", "SampleCount"])["Datapoints"],
            "dashboard": cw.get_dashboard(DashboardName=BOARD),
            "alarms": cw.describe_alarms(AlarmNamePrefix=BOARD)["MetricAlarms"],
            "topic": topic,
        }
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        values = conn.execute("SELECT period_start, metric, value FROM dashboard.success_metrics "
                              "WHERE value IS NOT NULL AND NOT isnan(value)").fetchall()
    return data, passes, state, values


def test_every_metric_with_a_value_is_published_with_its_section_dimension(published):
    _, _, state, values = published
    expected = {m.name for m in METRICS if m.indicator in {metric for _, metric, _ in values}}
    got = {(m["MetricName"], m["Dimensions"][0]["Value"]) for m in state["metrics"]}
    assert {name for name, _ in got} == expected
    assert all(section == next(m.section for m in METRICS if m.name == name) for name, section in got)


def test_the_latency_datapoints_are_the_weeks_worst_daily_p95_from_the_landed_json(published):
    data, _, state, _ = published
    [path] = (data / "landing" / "aws" / "metrics").glob("*/2026-05.json")
    [series] = json.loads(path.read_text())["MetricDataResults"]
    landed = dict(zip([t[:10] for t in series["Timestamps"]], series["Values"]))
    expected = {}
    for week in WEEKS:  # the datapoints are stamped at each week's end, Monday 09:00
        start = dt.date.fromisoformat(week)
        end = start + dt.timedelta(days=7)
        expected[end] = max(landed[(start + dt.timedelta(days=i)).isoformat()] for i in range(7))
    got = {p["Timestamp"].date(): (p["Maximum"], p["SampleCount"]) for p in state["latency"]}
    assert got == {day: (value, 1.0) for day, value in expected.items()}  # once, even after republishing


def test_the_dashboard_shows_every_metric_and_the_alarms_go_to_the_operations_topic(published):
    _, _, state, _ = published
    body = json.loads(state["dashboard"]["DashboardBody"])
    shown = [w["properties"]["metrics"][0][1] for w in body["widgets"] if w["type"] == "metric"]
    assert shown == [m.name for m in METRICS]
    alarms = {a["AlarmName"]: a for a in state["alarms"]}
    assert sorted(alarms) == [f"{BOARD}-missed-sync", f"{BOARD}-overdue-review", f"{BOARD}-p0-issues"]
    assert all(a["AlarmActions"] == [state["topic"]] and a["Namespace"] == NAMESPACE for a in alarms.values())
    assert alarms[f"{BOARD}-p0-issues"]["Threshold"] == 0 and alarms[f"{BOARD}-missed-sync"]["Threshold"] == 7


def test_republishing_enqueues_and_sends_nothing(published):
    _, passes, _, _ = published
    (first_intents, first), (second_intents, second) = passes
    assert first_intents == {"created": 3 + 1 + 3} and len(first.delivered) == 7  # 3 weeks, dashboard, 3 alarms
    assert second_intents == {"unchanged": 7} and second.delivered == [] and second.recorded_only == []
