"""API latency p95: the parser on recorded GetMetricData responses, the request shape against moto,
and the sample's regression caught by the dashboard (expectations from the landed JSON)."""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.dashboard.latency import MetricSpec, merge, merge_pages, parse_response, request, week_p95
from bqx_ops.defs.dashboard.assets import success_metrics
from bqx_ops.defs.dashboard.latency import api_latency
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import write_sample

SPEC = MetricSpec("AWS/ApiGateway", "Latency", (("ApiName", "inference"),))
# a recorded GetMetricData page as boto3 returns it (datetimes), and one as landed (ISO text)
RECORDED = {"MetricDataResults": [{"Id": "p95", "Label": "Latency", "StatusCode": "Complete",
                                   "Timestamps": [dt.datetime(2026, 5, 11, tzinfo=dt.timezone.utc),
                                                  dt.datetime(2026, 5, 12, tzinfo=dt.timezone.utc)],
                                   "Values": [142.5, 88.25]}],
            "Messages": [], "ResponseMetadata": {"HTTPStatusCode": 200}}


def test_the_parser_reads_recorded_and_landed_responses_alike():
    live, _ = parse_response("live", RECORDED, SPEC)
    landed = json.loads(json.dumps(RECORDED, default=lambda t: t.isoformat()))
    replay, problems = parse_response("landed", landed, SPEC)
    assert live == replay and problems == []
    assert [(p.day.isoformat(), p.p95_ms) for p in live] == [("2026-05-11", 142.5), ("2026-05-12", 88.25)]


def test_bad_points_are_left_out_with_a_reason_never_guessed():
    doc = {"MetricDataResults": [{"Id": "p95", "StatusCode": "PartialData", "Timestamps": ["2026-05-11T00:00:00Z",
           "yesterday", "2026-05-13T00:00:00Z", "2026-05-14T00:00:00Z"], "Values": [50, 60, -1, "fast"]}]}
    rows, problems = parse_response("f.json", doc, SPEC)
    assert [p.p95_ms for p in rows] == [50.0]
    assert len(problems) == 4 and "PartialData" in problems[0].problem
    assert [p.problem for p in parse_response("x.json", ["not", "a", "response"], SPEC)[1]] == [
        "x.json: not a GetMetricData response (no MetricDataResults list)"]
    micro = MetricSpec("AWS/SageMaker", "ModelLatency", (), to_ms=0.001)
    assert parse_response("m", {"MetricDataResults": [{"Id": "p95", "Timestamps": ["2026-05-11T00:00:00Z"],
                                                       "Values": [85000]}]}, micro)[0][0].p95_ms == 85.0


def test_hostile_points_are_reported_with_their_day_never_crash_nor_win_silently():
    """A time before year 1 once shifted to UTC, a NaN, an absurd 1e300 ms and two points of one day
    (the worst is kept: a 500 ms breach never vanishes behind a later quiet point)."""
    doc = {"MetricDataResults": [{"Id": "p95", "Timestamps": [
        "0001-01-01T00:00:00+05:00", "2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z",
        "2026-03-12T12:00:00Z", "2026-03-13T00:00:00Z"], "Values": [10, float("nan"), 1e300, 500.0, 80.0, 70.0]}]}
    rows, problems = parse_response("f.json", doc, SPEC)
    assert [(p.day.isoformat(), p.p95_ms) for p in rows] == [("2026-03-12", 500.0), ("2026-03-13", 70.0)]
    assert [(p.day and p.day.isoformat()) for p in problems] == [None, "2026-03-10", "2026-03-11", "2026-03-12"]
    assert "outside 2000-01-01 .. 2099-12-31" in problems[0].problem and "implausible" in problems[2].problem
    assert "second point for 2026-03-12; the worst of the two counted" in problems[3].problem


def test_pages_merge_and_a_later_file_wins_a_day():
    pages = [{"MetricDataResults": [{"Id": "p95", "Timestamps": ["2026-05-11T00:00:00Z"], "Values": [1.0]}],
              "NextToken": "t"},
             {"MetricDataResults": [{"Id": "p95", "Timestamps": ["2026-05-12T00:00:00Z"], "Values": [2.0]}]}]
    assert merge_pages(pages)["MetricDataResults"][0]["Values"] == [1.0, 2.0]
    a, _ = parse_response("a", merge_pages(pages), SPEC)
    b, _ = parse_response("b", {"MetricDataResults": [{"Id": "p95", "Timestamps": ["2026-05-12T00:00:00Z"],
                                                       "Values": [5.0]}]}, SPEC)
    assert [p.p95_ms for p in merge([("b", b), ("a", a)])] == [1.0, 5.0]


def test_the_week_is_the_seven_days_ended_by_the_as_of_instant():
    points, _ = parse_response("x", {"MetricDataResults": [{"Id": "p95", "Timestamps": [
        f"2026-05-{d:02d}T00:00:00Z" for d in range(3, 20)], "Values": list(range(3, 20))}]}, SPEC)
    # Monday 2026-05-18 09:00: Monday 11th .. Sunday 17th; the 18th has not ended
    assert week_p95(points, dt.datetime(2026, 5, 18, 9)) == (17.0, dt.date(2026, 5, 17), 7)
    assert week_p95(points, dt.datetime(2026, 7, 1)) is None


def test_the_request_matches_the_cloudwatch_api_model_and_pages_are_followed():
    """botocore's Stubber validates every argument against the service model (moto cannot answer
    a percentile with data: its serializer fails on the missing value)."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    start = dt.datetime(2026, 5, 11, tzinfo=dt.timezone.utc)
    args = request(SPEC, start, start + dt.timedelta(days=7))
    with Stubber(client) as stub:
        stub.add_response("get_metric_data", {**RECORDED, "NextToken": "n"}, args)
        stub.add_response("get_metric_data", RECORDED, {**args, "NextToken": "n"})
        assert client.get_metric_data(**args)["NextToken"] == "n"
        client.get_metric_data(**args, NextToken="n")
        stub.assert_no_pending_responses()
    assert args["MetricDataQueries"][0]["MetricStat"] == {
        "Metric": {"Namespace": "AWS/ApiGateway", "MetricName": "Latency",
                   "Dimensions": [{"Name": "ApiName", "Value": "inference"}]}, "Period": 86400, "Stat": "p95"}


def test_live_latency_lands_what_moto_answers(tmp_path):
    from moto import mock_aws

    from bqx_ops.resources.aws import AwsClients
    from bqx_ops.resources.metrics import LiveLatency

    with mock_aws():
        source = LiveLatency(data_dir=str(tmp_path), namespace=SPEC.namespace, metric=SPEC.metric,
                             dimensions={"ApiName": "inference"}, aws=AwsClients(region_name="us-east-1"))
        assert source.land(dt.date(2026, 5, 26)) == ["2026-05-11.json"]
    [path] = source.files()
    rows, problems = parse_response(path.name, json.loads(path.read_text()), SPEC)
    assert rows == [] and problems == []  # an API with no traffic: no points, "no data" on the dashboard


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    data = tmp_path_factory.mktemp("latency")
    write_sample(data, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    resources = build_resources("local", data)
    weeks = ["2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25"]
    tags = {"dagster/asset_partition_range_start": weeks[0], "dagster/asset_partition_range_end": weeks[-1]}
    assert dg.materialize([api_latency], resources=resources).success
    assert dg.materialize([success_metrics], resources=resources, tags=tags,
                          selection=[success_metrics]).success
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT period_start, value, status FROM dashboard.success_metrics "
                            "WHERE metric = 'API Latency' ORDER BY period_start").fetchall()
    [path] = (data / "landing" / "aws" / "metrics").glob("*/2026-05.json")
    [series] = json.loads(path.read_text())["MetricDataResults"]
    return dict(zip([t[:10] for t in series["Timestamps"]], series["Values"])), rows


def test_the_dashboard_turns_red_in_the_regression_week_and_matches_the_landed_values(regression):
    landed, rows = regression
    for start, value, status in rows:
        days = [(start + dt.timedelta(days=i)).strftime("%Y-%m-%d") for i in range(7)]
        expected = max(landed[d] for d in days)
        assert value == expected
        assert status == ("✅" if expected < 90 else "⚠️" if expected < 100 else "❌")
    assert [s for _, _, s in rows] == ["✅", "❌", "❌", "✅"]  # deployed on the 11th, rolled back after the 20th
