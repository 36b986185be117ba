"""The live CloudWatch Logs and SageMaker sources: boto3 (via AwsClients) against moto."""

import datetime as dt

import boto3
import duckdb
from moto.backends import get_backend

from bqx_ops.landing import Landing, dumps, read_json
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.aws_sources import LiveCloudWatchLogs
from bqx_ops.resources.sagemaker_jobs import LiveSageMakerJobs
from bqx_ops.issue_review import cloudwatch
from bqx_ops.issue_review.cloudwatch_events import from_epoch_ms
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.issue_review.sagemaker import sagemaker_issues

UTC = dt.timezone.utc
RULES = load_rules(path="")
GROUPS = ["/aws/lambda/bqx-ml-inference", "/bqx-ml/pipeline"]
ACCOUNT, REGION = "123456789012", "us-east-1"


def aws(url: str) -> AwsClients:
    return AwsClients(region_name=REGION, endpoint_url=url)


def today() -> dt.datetime:
    now = dt.datetime.now(UTC)
    return dt.datetime(now.year, now.month, now.day, tzinfo=UTC)


def put(logs, group: str, moments_and_messages: list[tuple[dt.datetime, str]]) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s1")
    events = [{"timestamp": int(m.timestamp() * 1000), "message": text} for m, text in sorted(moments_and_messages)]
    logs.put_log_events(logGroupName=group, logStreamName="s1", logEvents=events)


def test_log_events_are_paged_per_day_filtered_in_our_code_and_grouped(moto_server, tmp_path):
    logs = boto3.client("logs", endpoint_url=moto_server, region_name=REGION)
    day1, day2 = today() - dt.timedelta(days=2), today() - dt.timedelta(days=1)
    lam = [(day1 + dt.timedelta(minutes=i), f"Task timed out after 30.{i:02d} seconds") for i in range(23)]
    lam += [(day2 + dt.timedelta(minutes=i), f"INFO request {i} ok") for i in range(9)]  # moto returns these too
    lam += [(day2 + dt.timedelta(minutes=30 + i), f"[WARN] latency {300 + i} ms exceeds p95 budget") for i in range(4)]
    put(logs, GROUPS[0], lam)
    put(logs, GROUPS[1], [(day2 + dt.timedelta(hours=3), "ERROR ingest: bqx-db export for EURUSD returned 3 rows, expected 1440")])
    source = LiveCloudWatchLogs(data_dir=str(tmp_path), aws=aws(moto_server), log_groups=GROUPS, page_size=5)
    start, end = day1, today()

    stats = source.land(start, end, RULES.cloudwatch["filter_pattern"], RULES.cloudwatch["match"], dt.datetime.now(UTC))

    landing = Landing(tmp_path)
    landed = read_json(landing.cloudwatch_day(GROUPS[0], day2.date()))
    assert [e["message"][:6] for e in landed] == ["[WARN]"] * 4  # the INFO events were dropped here
    assert landing.cloudwatch_day(GROUPS[0], day1.date()).read_text() == dumps(
        read_json(landing.cloudwatch_day(GROUPS[0], day1.date())))  # the landing zone's canonical bytes
    assert stats["events"] == 23 + 4 + 1 and stats["fetched_days"] == 4
    files, missing = source.files(start, end)
    with duckdb.connect() as conn:
        groups, problems = cloudwatch.aggregate(conn, files, start.replace(tzinfo=None), end.replace(tzinfo=None),
                                                RULES.cloudwatch)
    assert problems == [] and missing == []
    assert [(g["log_group"], g["events"], g["warnings"]) for g in groups] == [
        (GROUPS[0], 23, 0), (GROUPS[0], 4, 4), (GROUPS[1], 1, 0)]
    first, last = from_epoch_ms(groups[0]["first_ms"]), from_epoch_ms(groups[0]["last_ms"])
    assert (first, last) == (day1.replace(tzinfo=None), (day1 + dt.timedelta(minutes=22)).replace(tzinfo=None))


def test_days_fetched_after_they_ended_are_final_and_not_fetched_again(moto_server, tmp_path):
    logs = boto3.client("logs", endpoint_url=moto_server, region_name=REGION)
    put(logs, GROUPS[0], [(today() - dt.timedelta(hours=20), "ERROR boom")])
    # settle_minutes=0: yesterday is final as soon as it has ended, whatever the time of day the test
    # runs (with the default 30, a run in the first half hour after midnight UTC found it still open)
    source = LiveCloudWatchLogs(data_dir=str(tmp_path), aws=aws(moto_server), log_groups=GROUPS[:1],
                                settle_minutes=0)
    window = (today() - dt.timedelta(days=1), today() + dt.timedelta(hours=1))
    first = source.land(*window, "?ERROR", "ERROR", dt.datetime.now(UTC))
    again = source.land(*window, "?ERROR", "ERROR", dt.datetime.now(UTC))
    assert first["fetched_days"] == 2
    assert again["skipped_final"] == 1 and again["fetched_days"] == 1  # today may still grow


def test_a_missing_log_group_is_reported_not_fatal(moto_server, tmp_path):
    source = LiveCloudWatchLogs(data_dir=str(tmp_path), aws=aws(moto_server), log_groups=["/does/not/exist"])
    stats = source.land(today() - dt.timedelta(days=1), today(), "?ERROR", "ERROR", dt.datetime.now(UTC))
    assert stats["problems"] == ["/does/not/exist: log group not found"]
    assert not list(tmp_path.rglob("*.tmp"))


def create_job(sm, name: str, model: str, horizon: str) -> None:
    sm.create_training_job(
        TrainingJobName=name,
        HyperParameters={"model": model, "horizon": horizon},
        AlgorithmSpecification={"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/bqx:1",
                                "TrainingInputMode": "File"},
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/bqx-ml-sagemaker-execution",
        OutputDataConfig={"S3OutputPath": "s3://bqx-ml-models/training/"},
        ResourceConfig={"InstanceType": "ml.m5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )


def set_outcome(name: str, ended: dt.datetime, status: str = "Completed", reason: str | None = None,
                r2: float | None = None) -> None:
    """moto completes every job at once; failures and metrics are set on its backend, in-process."""
    job = get_backend("sagemaker")[ACCOUNT][REGION].training_jobs[name]
    job.training_job_status = status
    job.training_end_time = job.last_modified_time = ended.replace(tzinfo=None)
    job.creation_time = job.training_start_time = (ended - dt.timedelta(hours=1)).replace(tzinfo=None)  # before it
    if reason:
        job.failure_reason = reason
    job.final_metric_data_list = [] if r2 is None else [
        {"MetricName": "validation:r2", "Value": r2, "Timestamp": ended.replace(tzinfo=None)}]


def test_training_failures_and_degradations_come_from_describe_training_job(moto_server, tmp_path):
    sm = boto3.client("sagemaker", endpoint_url=moto_server, region_name=REGION)
    t = today() - dt.timedelta(days=3)
    plan = [("bqx-ml-xgboost-w30-a-01", "Completed", None, 0.90), ("bqx-ml-xgboost-w30-b-01", "Failed",
             "AlgorithmError: CUDA out of memory", None), ("bqx-ml-xgboost-w30-b-02", "Completed", None, 0.82),
            ("bqx-ml-lstm-w15-c-01", "Failed", "ResourceLimitExceeded: quota is 0", None)]
    for i, (name, status, reason, r2) in enumerate(plan):
        create_job(sm, name, name.split("-")[2], name.split("-")[3])
        set_outcome(name, t + dt.timedelta(hours=i), status, reason, r2)
    source = LiveSageMakerJobs(data_dir=str(tmp_path), aws=aws(moto_server))

    stats = source.refresh(dt.datetime.now(UTC))

    jobs, problems = source.read()
    assert stats["fetched"] == 4 and problems == []
    assert [j["TrainingJobStatus"] for j in jobs] == ["Failed", "Completed", "Failed", "Completed"]  # by name
    assert all(j["TrainingEndTime"].endswith("+00:00") for j in jobs)
    found, _ = sagemaker_issues(jobs, dt.datetime.now(UTC).replace(tzinfo=None), RULES.sagemaker)
    by_ref = {f.source_ref: f for f in found}
    assert sorted(by_ref) == ["bqx-ml-lstm-w15-c-01", "bqx-ml-xgboost-w30-b-01",
                              "bqx-ml-xgboost-w30-b-02/validation:r2"]
    assert by_ref["bqx-ml-xgboost-w30-b-01"].resolved_at == (t + dt.timedelta(hours=2)).replace(tzinfo=None)
    assert by_ref["bqx-ml-lstm-w15-c-01"].resolved_at is None
    assert by_ref["bqx-ml-xgboost-w30-b-02/validation:r2"].priority == "P1"  # 0.08 > 0.05


def test_the_next_refresh_merges_changed_jobs_by_name(moto_server, tmp_path):
    sm = boto3.client("sagemaker", endpoint_url=moto_server, region_name=REGION)
    t = today() - dt.timedelta(days=1)
    create_job(sm, "bqx-ml-ensemble-w15-x-01", "Ensemble", "w15")
    set_outcome("bqx-ml-ensemble-w15-x-01", t, "Completed", r2=0.95)
    source = LiveSageMakerJobs(data_dir=str(tmp_path), aws=aws(moto_server))
    source.refresh(dt.datetime.now(UTC))
    create_job(sm, "bqx-ml-ensemble-w15-x-02", "Ensemble", "w15")
    set_outcome("bqx-ml-ensemble-w15-x-02", t + dt.timedelta(hours=5), "Failed", "InternalServerError")

    source.refresh(dt.datetime.now(UTC))

    jobs, _ = source.read()
    assert [(j["TrainingJobName"][-4:], j["TrainingJobStatus"]) for j in jobs] == [("x-01", "Completed"),
                                                                                  ("x-02", "Failed")]
