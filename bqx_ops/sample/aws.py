"""CloudWatch log events, SageMaker DescribeTrainingJob responses and Cost Explorer responses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from . import training
from .timeline import DAY, LOG_GROUPS, SAMPLE_START, at, d, days, epoch_ms, rng

LAMBDA, SAGEMAKER, PIPELINE = LOG_GROUPS
ACCOUNT = "123456789012"
REGION = "us-east-1"
PAIRS = ("EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "USDCHF", "EURGBP", "NZDUSD", "EURJPY")

LAMBDA_LIVE = d("2026-01-30")  # inference Lambda deployed (stage 9.2)
PIPELINE_LIVE = d("2025-08-25")  # ingestion started (phase 1)
DRIFT_LIVE = d("2026-02-23")  # drift detection (stage 10.2)
API_LIVE = d("2026-02-06")
# day -> (group, template, number of events, first hour, last hour)
INCIDENTS = {
    d("2026-03-04"): (LAMBDA, "timeout", 214, 7, 15),
    d("2026-05-12"): (LAMBDA, "timeout", 138, 7, 13),
    d("2026-03-06"): (PIPELINE, "rows", 41, 1, 4),
    d("2026-03-09"): (PIPELINE, "rows", 24, 1, 3),
    d("2026-06-29"): (PIPELINE, "athena", 36, 20, 24),
    d("2026-06-30"): (PIPELINE, "athena", 52, 0, 9),
}
PIPELINE_STREAMS = {"rows": "ingest", "outliers": "quality", "slowdown": "features", "drift": "drift",
                    "athena": "scheduler"}


def _req(r) -> str:
    h = f"{r.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _message(kind: str, r, moment: dt.datetime) -> str:
    req, pair, day = _req(r), r.choice(PAIRS), moment.date()
    return {
        # /aws/lambda/bqx-ml-inference
        "timeout": f"{moment.isoformat(timespec='milliseconds').replace('+00:00', 'Z')} {req} "
                   f"Task timed out after {30 + r.random() * 0.09:.2f} seconds",
        "model404": f"[ERROR] ModelNotLoadedError: s3://bqx-ml-models/ensemble/v{r.randint(3, 7)}/model.tar.gz "
                    f"not found\tRequestId: {req}",
        "latency": f"[WARN] latency {r.randint(101, 900)} ms exceeds p95 budget of 100 ms for horizon "
                   f"w{15 * r.randint(1, 6)} (RequestId: {req})",
        "nan_input": f"[ERROR] ValueError: Input contains NaN for feature bqx_{pair.lower()}_lag_{r.randint(1, 60)} "
                     f"(RequestId: {req})",
        "killed": f"RequestId: {req} Error: Runtime exited with error: signal: killed Runtime.ExitError",
        # /bqx-ml/pipeline
        "rows": f"ERROR ingest: bqx-db export for {pair} {day} returned {r.randint(300, 900)} rows, expected 1440",
        "outliers": f"WARN quality: {r.randint(2, 60)} outliers clipped in bqx_{pair.lower()} "
                    f"(robust z > {r.uniform(6, 9):.1f})",
        "slowdown": f"ERROR feature_store: PutObject failed for s3://bqx-ml-features/date={day}/"
                    f"part-{r.randint(0, 99999):05d}.parquet: SlowDown (retry {r.randint(1, 5)}/5)",
        "drift": f"WARN drift: PSI {r.uniform(0.2, 0.6):.3f} for feature bqx_{pair.lower()}_vol_{r.randint(5, 120)} "
                 f"exceeds threshold 0.2",
        "athena": 'Exception in thread "scheduler" botocore.exceptions.ReadTimeoutError: Read timeout on endpoint '
                  f'URL: "https://athena.{REGION}.amazonaws.com/" (query {req})',
    }[kind]


def _job_message(job: training.Job, r) -> str | None:
    if job.failure_kind == "quota":
        return None  # never started: no log stream
    if job.failure_kind == "oom":
        return (f"[ERROR] RuntimeError: CUDA out of memory. Tried to allocate {r.uniform(0.5, 4):.2f} GiB "
                f"(GPU 0; 15.78 GiB total capacity; {r.uniform(12, 15.5):.2f} GiB already allocated)")
    if job.failure_kind == "nan":
        return (f"[ERROR] ValueError: Input contains NaN, infinity or a value too large for dtype('float32'). "
                f"(epoch {r.randint(1, 40)}, step {r.randint(100, 90000)})")
    if job.failure_kind == "disk":
        return f"[ERROR] OSError: [Errno 28] No space left on device: '/opt/ml/input/data/train/part-{r.randint(0, 99):05d}.parquet'"
    if job.failure_kind == "internal":
        return f"Exception: training job {job.name} terminated: InternalServerError (attempt {r.randint(1, 3)})"
    if job.status == "Stopped":
        return f"[WARN] Received SIGTERM: training job {job.name} stopped at epoch {r.randint(2, 30)}"
    roll = r.random()
    if roll < 0.25:
        return f"[WARN] validation:r2 did not improve for {r.randint(3, 10)} epochs; early stopping at epoch {r.randint(12, 80)}"
    if roll < 0.35:
        return f"[WARN] NaN loss detected at step {r.randint(100, 90000)}; skipping batch"
    return None


def _event(r, group: str, stream: str, moment: dt.datetime, message: str) -> dict:
    ts = epoch_ms(moment)
    return {"logStreamName": stream, "timestamp": ts, "message": message,
            "ingestionTime": ts + r.randint(150, 2500), "eventId": str(r.randrange(10**55, 10**56))}


def jobs_by_day() -> dict[dt.date, list[training.Job]]:
    out: dict[dt.date, list[training.Job]] = defaultdict(list)
    for job in training.jobs():
        out[job.day].append(job)
    return out


def cloudwatch_events(group: str, day: dt.date, day_jobs: list[training.Job]) -> list[dict]:
    r = rng("cloudwatch", group, day)
    moment = lambda lo=0, hi=24: at(day) + dt.timedelta(milliseconds=r.randrange(lo * 3_600_000, hi * 3_600_000))  # noqa: E731
    events = []
    if group == LAMBDA and day >= LAMBDA_LIVE:
        for _ in range(r.choice((0, 0, 1, 1, 2, 3, 5, 8))):
            kind = r.choices(("timeout", "model404", "latency", "nan_input", "killed"), (2, 1, 6, 2, 1))[0]
            events.append((moment(), kind))
    elif group == PIPELINE and day >= PIPELINE_LIVE:
        kinds = ["rows", "outliers", "slowdown", "athena"] + (["drift"] if day >= DRIFT_LIVE else [])
        weights = [1, 5, 2, 1] + ([4 if day >= d("2026-06-08") else 1] if day >= DRIFT_LIVE else [])
        for _ in range(r.choice((0, 1, 2, 2, 3, 4, 6, 9))):
            events.append((moment(), r.choices(kinds, weights)[0]))
    incident = INCIDENTS.get(day)
    if incident and incident[0] == group:
        _, kind, count, lo, hi = incident
        events += [(moment(lo, hi), kind) for _ in range(count)]
    out = []
    for when, kind in events:
        stream = (f"{day:%Y/%m/%d}/[$LATEST]{r.getrandbits(128):032x}" if group == LAMBDA
                  else f"{PIPELINE_STREAMS[kind]}/{day}")
        out.append(_event(r, group, stream, when, _message(kind, r, when)))
    if group == SAGEMAKER:
        for job in day_jobs:
            message = _job_message(job, r)
            if message:
                stream = f"{job.name}/algo-1-{int(job.started.timestamp())}"
                when = job.ended - dt.timedelta(seconds=r.randint(1, 30))
                out.append(_event(r, group, stream, when, message))
    return sorted(out, key=lambda e: (e["timestamp"], e["eventId"]))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment else None


def describe_training_job(job: training.Job) -> dict:
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{job.name}"
    out = {
        "TrainingJobName": job.name, "TrainingJobArn": arn, "TrainingJobStatus": job.status,
        "SecondaryStatus": job.status,
        "HyperParameters": {"model": job.model, "horizon": job.horizon, "features": "387"},
        "AlgorithmSpecification": {
            "TrainingImage": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/bqx-ml-train:{job.model.lower()}-1.4",
            "TrainingInputMode": "File", "EnableSageMakerMetricsTimeSeries": True,
            "MetricDefinitions": [{"Name": "validation:r2", "Regex": "validation:r2=([0-9\\.]+)"}]},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/bqx-ml-sagemaker-execution",
        "OutputDataConfig": {"S3OutputPath": "s3://bqx-ml-models/training/"},
        "ResourceConfig": {"InstanceType": job.instance, "InstanceCount": 1, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": 14400},
        "CreationTime": _iso(job.created), "TrainingEndTime": _iso(job.ended),
        "LastModifiedTime": _iso(job.ended + dt.timedelta(seconds=3)),
        "EnableNetworkIsolation": False, "EnableManagedSpotTraining": False,
    }
    steps = [("Starting", job.created, job.started or job.ended, "Preparing the instances for training")]
    if job.started:
        out["TrainingStartTime"] = _iso(job.started)
        out["TrainingTimeInSeconds"] = out["BillableTimeInSeconds"] = job.billable_seconds
        download_end = job.started + dt.timedelta(seconds=40)
        steps += [("Downloading", job.started, download_end, "Downloading input data"),
                  ("Training", download_end, job.ended, "Training image download completed. Training in progress.")]
    if job.status == "Completed":
        out["ModelArtifacts"] = {"S3ModelArtifacts": f"s3://bqx-ml-models/training/{job.name}/output/model.tar.gz"}
        out["FinalMetricDataList"] = [
            {"MetricName": "validation:r2", "Value": job.r2, "Timestamp": _iso(job.ended)},
            {"MetricName": "train:loss", "Value": round((1 - job.r2) * 0.8, 6), "Timestamp": _iso(job.ended)}]
        steps += [("Uploading", job.ended, job.ended, "Uploading generated training model"),
                  ("Completed", job.ended, job.ended, "Training job completed")]
    elif job.status == "Failed":
        out["FailureReason"] = job.failure
        steps.append(("Failed", job.ended, job.ended, "Training job failed"))
    else:
        steps.append(("Stopped", job.ended, job.ended, "Training job stopped"))
    out["SecondaryStatusTransitions"] = [
        {"Status": s, "StartTime": _iso(a), "EndTime": _iso(b), "StatusMessage": m} for s, a, b, m in steps]
    return out


def _amount(value: float) -> str:
    text = f"{value:.10f}".rstrip("0")
    whole, frac = text.split(".")
    return f"{whole}.{frac.ljust(4, '0')}"


def daily_costs(day: dt.date, day_jobs: list[training.Job]) -> dict[str, float]:
    r = rng("costs", day)
    if day < SAMPLE_START:
        return {}
    age = (day - SAMPLE_START).days
    weekday = day.weekday() < 5
    incident = INCIDENTS.get(day)
    costs = {
        "Amazon SageMaker": sum(job.cost for job in day_jobs)
        + (r.uniform(0.25, 1.2) if weekday and day >= d("2025-09-15") else 0),
        "AWS Lambda": (r.uniform(0.3, 0.8) if day >= LAMBDA_LIVE else r.uniform(0.005, 0.04) if day >= PIPELINE_LIVE
                       else 0) * (4 if incident and incident[0] == LAMBDA else 1),
        "Amazon Simple Storage Service": 0.02 + 0.0009 * age + r.uniform(0, 0.03),
        "AmazonCloudWatch": r.uniform(0.05, 0.15) + (0.5 if incident else 0),
        "Amazon API Gateway": r.uniform(0.08, 0.25) if day >= API_LIVE else 0,
        "Amazon Athena": r.uniform(0.02, 0.3) if weekday and day >= d("2025-09-15") else 0,
        "AWS Key Management Service": 1 / 30,
        "Amazon EC2 Container Registry (ECR)": 0.0033 + age * 0.00002,
    }
    return {service: value for service, value in costs.items() if value > 0}


def cost_month(first: dt.date, last: dt.date, jobs_by_day, estimated_from: dt.date) -> dict:
    """GetCostAndUsage (DAILY, grouped by SERVICE) for the days first..last of one month."""
    results = []
    for day in days(first, last):
        costs = daily_costs(day, jobs_by_day.get(day, []))
        results.append({
            "TimePeriod": {"Start": day.isoformat(), "End": (day + DAY).isoformat()}, "Total": {},
            "Groups": [{"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": _amount(v), "Unit": "USD"}}}
                       for service, v in costs.items()],
            "Estimated": day >= estimated_from,
        })
    return {"GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}], "ResultsByTime": results,
            "DimensionValueAttributes": []}
