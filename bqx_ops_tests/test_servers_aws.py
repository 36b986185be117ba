"""The moto_server fixture: boto3 against a real moto server on 127.0.0.1."""

from __future__ import annotations

import os
import time

import boto3

# redundant (and harmless) once the root conftest lists the plugin
pytest_plugins = ["bqx_ops_tests.servers.fixtures"]


GROUP = "/aws/sagemaker/TrainingJobs"
# CloudWatch (and moto) reject events older than 14 days: use recent timestamps
T = (int(time.time()) - 3600) * 1000


def test_cloudwatch_logs_round_trip(moto_server):
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert os.environ["AWS_ENDPOINT_URL"] == moto_server
    logs = boto3.client("logs", endpoint_url=moto_server, region_name="us-east-1")
    assert logs.describe_log_groups()["logGroups"] == []  # state was reset

    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="job-1/algo-1")
    put = logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="job-1/algo-1",
        logEvents=[
            {"timestamp": T + i * 1000, "message": f"epoch={i} loss={1 / (i + 1):.3f}"} for i in range(5)
        ]
        + [{"timestamp": T + 10_000, "message": "ERROR out of memory"}],
    )
    assert "rejectedLogEventsInfo" not in put

    events = logs.filter_log_events(logGroupName=GROUP, startTime=T, endTime=T + 3_000)["events"]
    assert [e["message"] for e in events] == ["epoch=0 loss=1.000", "epoch=1 loss=0.500", "epoch=2 loss=0.333", "epoch=3 loss=0.250"]
    errors = logs.filter_log_events(logGroupName=GROUP, filterPattern="ERROR")["events"]
    assert [e["message"] for e in errors] == ["ERROR out of memory"]
    assert errors[0]["logStreamName"] == "job-1/algo-1"


def test_state_is_reset_between_tests(moto_server):
    # the env points boto3 at moto even without endpoint_url
    logs = boto3.client("logs")
    assert logs.describe_log_groups()["logGroups"] == []
