"""Round 5: AWS listings whose next-page token comes back (A, B, A ..), through real boto3 clients: recorded
answers from a local AWS JSON server (CloudWatch Logs, SageMaker), moto's queued results (Cost Explorer).
botocore's paginator only notices one token twice in a row; followed, these never ended. Each: the fetch
stops, nothing half-landed, and the run's problems say why."""

import datetime as dt

import pytest
import requests

from bqx_ops.dashboard import latency
from bqx_ops.dashboard.costs import parse_response
from bqx_ops.landing import Landing, read_json, write_json
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.aws_sources import LiveCloudWatchLogs
from bqx_ops.resources.sagemaker_jobs import LiveSageMakerJobs
from bqx_ops.resources.costs import LiveCosts
from bqx_ops_tests.servers.aws_json import AwsJsonServer, aws_error

UTC = dt.timezone.utc
NEXT = {None: "tokA", "tokA": "tokB", "tokB": "tokA"}  # page 3 names page 2 again


def clients(server) -> AwsClients:
    return AwsClients(endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing", max_attempts=1)


@pytest.fixture
def aws_server():
    def filter_log_events(body):
        token = body.get("nextToken")
        return {"events": [{"eventId": f"e-{token}", "timestamp": body["startTime"], "message": "ERROR boom",
                            "logStreamName": "s", "ingestionTime": body["startTime"]}],
                "searchedLogStreams": [], "nextToken": NEXT[token]}

    def list_training_jobs(body):
        return {"TrainingJobSummaries": [], "NextToken": NEXT[body.get("NextToken")]}

    with AwsJsonServer({"FilterLogEvents": filter_log_events, "ListTrainingJobs": list_training_jobs}) as server:
        yield server


def test_a_filter_log_events_token_that_comes_back_lands_no_half_day_and_says_why(aws_server, tmp_path):
    now = dt.datetime.now(UTC)
    start = dt.datetime(now.year, now.month, now.day, tzinfo=UTC) - dt.timedelta(days=1)
    source = LiveCloudWatchLogs(data_dir=str(tmp_path), aws=clients(aws_server), log_groups=["/aws/lambda/api"])
    stats = source.land(start, start + dt.timedelta(days=2), "", "ERROR", now)
    days = [start.date(), start.date() + dt.timedelta(days=1)]
    assert stats["problems"] == [f"/aws/lambda/api: {d}: FilterLogEvents: the nextToken 'tokA' came back after "
                                 "3 page(s): the listing would never end; stopped; the day was not landed"
                                 for d in days]
    assert stats["fetched_days"] == 0 and len(aws_server.calls("FilterLogEvents")) == 6  # three pages a day
    assert not any(Landing(tmp_path).cloudwatch_day("/aws/lambda/api", d).exists() for d in days)
    _, missing = source.files(start, start + dt.timedelta(days=2))
    assert missing == [f"/aws/lambda/api: no events landed for {d}" for d in days]


def test_a_list_training_jobs_token_that_comes_back_keeps_the_landed_jobs(aws_server, tmp_path):
    source = LiveSageMakerJobs(data_dir=str(tmp_path), aws=clients(aws_server))
    landed = [{"TrainingJobName": "bqx-1", "LastModifiedTime": "2026-03-01T00:00:00.000+00:00"}]
    write_json(source.path, landed)
    stats = source.refresh(dt.datetime(2026, 3, 20, tzinfo=UTC))
    assert stats["problems"] == ["sagemaker: ListTrainingJobs: the NextToken 'tokA' came back after 3 page(s): "
                                 "the listing would never end; stopped; the landed jobs were kept as they were"]
    assert read_json(source.path) == landed and len(aws_server.calls("ListTrainingJobs")) == 3


def test_a_cost_explorer_token_that_comes_back_lands_the_month_as_incomplete(moto_server, tmp_path):
    day = {"TimePeriod": {"Start": "2026-06-01", "End": "2026-06-02"}, "Total": {}, "Estimated": False,
           "Groups": [{"Keys": ["Amazon S3"], "Metrics": {"UnblendedCost": {"Amount": "1.5", "Unit": "USD"}}}]}
    # moto answers each distinct request with the next queued result, the same request with the same one:
    # May; June page 1 (-> tokA); June with tokA (-> tokA again) -- forever, followed
    requests.post(f"{moto_server}/moto-api/static/ce/cost-and-usage-results", json={"results": [
        {"ResultsByTime": []},
        {"ResultsByTime": [day], "NextPageToken": "tokA"},
        {"ResultsByTime": [day], "NextPageToken": "tokA"},
    ]}, timeout=10).raise_for_status()
    costs = LiveCosts(data_dir=str(tmp_path), aws=AwsClients(endpoint_url=moto_server, region_name="us-east-1"))
    assert costs.land(dt.date(2026, 6, 2)) == ["2026-05", "2026-06"]
    june = read_json(Landing(tmp_path).costs_month(2026, 6))
    assert june["NextPageToken"] == "tokA"
    assert parse_response("2026-06.json", june) == ([], [
        "2026-06.json: only part of the answer (it ends with NextPageToken 'tokA': Cost Explorer had more pages); "
        "the month is not counted"])


def test_a_latency_answer_landed_with_its_next_token_keeps_its_points_and_says_it_is_partial():
    doc = {"MetricDataResults": [{"Id": "p95", "Timestamps": ["2026-03-10T00:00:00Z", "2026-03-11T00:00:00Z"],
                                  "Values": [120.0, 80.0], "StatusCode": "Complete"}],
           "Messages": [], "NextToken": "tokA"}
    spec = latency.MetricSpec("AWS/ApiGateway", "Latency", (("ApiName", "inference"),))
    rows, problems = latency.parse_response("2026-03-01.json", doc, spec)
    assert [(r.day.isoformat(), r.p95_ms) for r in rows] == [("2026-03-10", 120.0), ("2026-03-11", 80.0)]
    assert [p.problem for p in problems] == [
        "2026-03-01.json: only part of the answer (it ends with NextToken 'tokA': the fetch stopped at a token "
        "that came back); days after its last point may have none"]



def test_a_listed_job_without_a_name_or_gone_before_it_is_described_is_left_out_and_said(tmp_path):
    def list_training_jobs(body):
        return {"TrainingJobSummaries": [{"TrainingJobName": "bqx-train-1"}, {"TrainingJobStatus": "Failed"},
                                         {"TrainingJobName": "bqx-train-gone"}]}

    def describe_training_job(body):
        if body["TrainingJobName"] == "bqx-train-gone":
            return aws_error(400, "ValidationException", "Requested resource not found.")
        return {"TrainingJobName": body["TrainingJobName"], "TrainingJobStatus": "Completed",
                "LastModifiedTime": 1773100800.0}

    with AwsJsonServer({"ListTrainingJobs": list_training_jobs, "DescribeTrainingJob": describe_training_job}) as srv:
        source = LiveSageMakerJobs(data_dir=str(tmp_path), aws=clients(srv))
        stats = source.refresh(dt.datetime(2026, 3, 20, tzinfo=UTC))
    assert [j["TrainingJobName"] for j in read_json(source.path)] == ["bqx-train-1"]
    assert stats["fetched"] == 1 and stats["problems"] == [
        "sagemaker: a listed job without a TrainingJobName ({'TrainingJobStatus': 'Failed'}); left out",
        "sagemaker: job 'bqx-train-gone' was listed but cannot be described (An error occurred "
        "(ValidationException) when calling the DescribeTrainingJob operation: Requested resource not found.); "
        "left out"]


def test_a_month_cost_explorer_refuses_keeps_its_last_landed_file_and_is_a_data_problem(tmp_path):
    """Cost Explorer answers June and refuses May (DataUnavailableException): June is landed, May's file
    from an earlier fetch stays as it was and still counts, and the refusal is a cost problem of May with
    Cost Explorer's reason; the asset succeeds (it failed with boto's error)."""
    import dagster as dg
    import duckdb

    from bqx_ops.defs.dashboard.assets import daily_costs
    from bqx_ops.resources.factory import build_resources

    today = dt.datetime.now(dt.timezone.utc).date()
    this = today.replace(day=1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    earlier = {"ResultsByTime": [{"TimePeriod": {"Start": f"{last:%Y-%m}-02", "End": f"{last:%Y-%m}-03"},
                                  "Groups": [{"Keys": ["AWS Lambda"],
                                              "Metrics": {"UnblendedCost": {"Amount": "3.25", "Unit": "USD"}}}]}]}
    write_json(Landing(tmp_path).costs_month(last.year, last.month), earlier)

    def get_cost_and_usage(body):
        if body["TimePeriod"]["Start"] == last.isoformat():
            return aws_error(400, "DataUnavailableException", "Data is not available for that month")
        return {"ResultsByTime": [], "GroupDefinitions": body["GroupBy"]}

    with AwsJsonServer({"GetCostAndUsage": get_cost_and_usage}) as server:
        resources = build_resources("local", tmp_path)
        resources["aws_costs"] = LiveCosts(data_dir=str(tmp_path), aws=clients(server))
        assert dg.materialize([daily_costs], resources=resources).success
    assert read_json(Landing(tmp_path).costs_month(last.year, last.month)) == earlier  # not overwritten
    assert Landing(tmp_path).costs_month(this.year, this.month).exists()
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        problems = conn.execute("SELECT month, problem, no_data FROM aws.cost_problems").fetchall()
        costs = conn.execute("SELECT service, amount_usd FROM aws.daily_costs").fetchall()
    assert costs == [("AWS Lambda", 3.25)]
    [(month, problem, no_data)] = problems
    assert month == f"{last:%Y-%m}" and not no_data
    assert "DataUnavailableException" in problem and "last landed file" in problem
