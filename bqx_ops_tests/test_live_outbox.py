"""Outbox delivery with the real clients: Slack, Airtable, GitHub against local servers, SNS on moto."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time

import boto3
import duckdb
import pytest

from bqx_ops import outbox
from bqx_ops.outbox.delivery import DeliveryPolicy, deliver
from bqx_ops.resources.airtable import LiveAirtable
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.github import LiveGitHub
from bqx_ops.resources.outbox import LiveOutboxDelivery
from bqx_ops.resources.slack import BqxSlackResource
from bqx_ops.slack_text import escape
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN, GITHUB_TOKEN, SLACK_TOKEN
from bqx_ops_tests.servers.slack import SlackServer

NOW = dt.datetime.now(dt.timezone.utc)
BASE, REPO = "appBQXML00000001", "bqx-labs/bqx-ml"
PRODUCER = outbox.Producer(asset="test", partition="2025-11-15", run_id="r1")


def live_delivery(tmp_path, slack_url, airtable_url=None, github_url=None, sns_endpoint=None, topic=None):
    return LiveOutboxDelivery(
        data_dir=str(tmp_path),
        backoff_seconds=0,
        slack=BqxSlackResource(token=SLACK_TOKEN, base_url=f"{slack_url}/api/", max_retries=8,
                               channel="#bqx-ml-operations"),
        aws=AwsClients(endpoint_url=sns_endpoint, region_name="us-east-1", sns_topic_arn=topic),
        airtable=LiveAirtable(data_dir=str(tmp_path), api_key=AIRTABLE_TOKEN, base_id=BASE,
                              endpoint_url=airtable_url or "http://127.0.0.1:9", backoff_factor=0.05),
        github=LiveGitHub(token=GITHUB_TOKEN, repo=REPO, base_url=github_url or "http://127.0.0.1:9",
                          seconds_between_requests=None, seconds_between_writes=None),
    )


def enqueue(conn, key, channel, payload):
    return outbox.enqueue(conn, key, channel, payload, PRODUCER, period_end=NOW, now=NOW)


def test_a_hostile_issue_title_reaches_slack_escaped(slack_server, tmp_path):
    title = "<!channel> @here *boom*"
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "issue-review/2025-11-15/slack/p0-p1-summary", "slack",
                {"text": f"P0: {escape(title)}"})
        deliver(conn, live_delivery(tmp_path, slack_server.url).channels(), NOW)
    [message] = slack_server.messages_in("#bqx-ml-operations")
    assert "<!channel>" not in message["text"] and "&lt;!channel&gt;" in message["text"]
    assert "@here" not in message["text"] and "*boom*" not in message["text"]


@pytest.mark.slow
def test_with_30_percent_429_and_503_every_intent_is_delivered_exactly_once(
    slack_server, airtable_server, github_server, moto_server, tmp_path
):
    airtable_server.set_records(BASE, "Tasks", [])
    github_server.add_repo(REPO, [])
    sns = boto3.client("sns", endpoint_url=moto_server, region_name="us-east-1")
    topic = sns.create_topic(Name="bqx-ml-operational-alerts")["TopicArn"]
    for server in (slack_server, airtable_server, github_server):
        server.fault_rate(0.3, statuses=(429, 503), seed=7, retry_after=0)
    delivery = live_delivery(tmp_path, slack_server.url, airtable_server.url, github_server.url, moto_server, topic)
    with duckdb.connect(":memory:") as conn:
        for n in range(8):
            enqueue(conn, f"slack/{n}", "slack", {"text": f"message {n}"})
        for batch in range(3):  # 25 task rows in 3 intents: batches above Airtable's 10 per request
            records = [{"Task Key": f"gh-{batch}-{n}", "Name": f"Task {batch}.{n}", "Status": "Todo"}
                       for n in range(9 if batch < 2 else 7)]
            enqueue(conn, f"tasks/upsert/{batch}", "airtable",
                    {"table": "Tasks", "merge_on": ["Task Key"], "records": records})
        for phase in range(3):
            enqueue(conn, f"release/phase-{phase}", "github", {
                "tag": f"phase-{phase}-done", "name": f"Phase {phase} complete", "body": "Done.",
                "target_sha": "a" * 40})
        enqueue(conn, "sns/missed-sync", "sns", {"subject": "Missed sync", "message": "Sync missed by 3 days"})
        policy = DeliveryPolicy(max_attempts=10, backoff=dt.timedelta(0))
        for _ in range(10):  # passes until nothing is pending (each failure waits for a later pass)
            deliver(conn, delivery.channels(), NOW, policy)
            if outbox.counts_by_status(conn) == {"delivered": 15}:
                break
        assert outbox.counts_by_status(conn) == {"delivered": 15}
        served = len(slack_server.requests) + len(airtable_server.requests) + len(github_server.requests)
        second = deliver(conn, delivery.channels(), NOW, policy)
        assert second.delivered == [] and second.recovered == []
        assert len(slack_server.requests) + len(airtable_server.requests) + len(github_server.requests) == served
    faults = sum(1 for s in (slack_server, airtable_server, github_server) for r in s.requests if r.fault)
    assert faults > 10  # the faults really happened
    assert sorted(m["text"] for m in slack_server.messages_in("#bqx-ml-operations")) == [
        f"message {n}" for n in range(8)]
    tasks = airtable_server.records(BASE, "Tasks")
    assert len(tasks) == 25 and len({t["fields"]["Task Key"] for t in tasks}) == 25
    assert sorted(r["tag_name"] for r in github_server.releases[REPO]) == [
        "phase-0-done", "phase-1-done", "phase-2-done"]
    annotated = {t["sha"] for t in github_server.tags[REPO]}  # refs point at tag objects, not commits
    assert all(github_server.refs[REPO][f"refs/tags/phase-{p}-done"] in annotated for p in range(3))


class StallingSlack(SlackServer):
    """Stores a posted message, then never answers: the sender dies between send and record."""

    stall = threading.Event()

    def handle(self, req):
        response = super().handle(req)
        if req.path.endswith("chat.postMessage") and self.stall.is_set():
            time.sleep(60)
        return response


CHILD = """
import datetime as dt, sys, duckdb
sys.path.insert(0, {repo!r})
from bqx_ops.outbox.delivery import deliver
from bqx_ops_tests.test_live_outbox import live_delivery
from pathlib import Path
with duckdb.connect({db!r}) as conn:
    deliver(conn, live_delivery(Path({tmp!r}), {url!r}).channels(), dt.datetime.now(dt.timezone.utc))
"""


@pytest.mark.slow
def test_killing_delivery_between_send_and_record_loses_nothing_and_sends_nothing_twice(tmp_path):
    db = str(tmp_path / "bqx_ops.duckdb")
    with duckdb.connect(db) as conn:
        enqueue(conn, "sync/2025-11-17/slack/completed", "slack", {"text": "Sync completed"})
    with StallingSlack(token=SLACK_TOKEN) as server:
        server.stall.set()
        code = CHILD.format(repo=os.getcwd(), db=db, tmp=str(tmp_path), url=server.url)
        child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        deadline = time.monotonic() + 30
        while not server.messages_in("#bqx-ml-operations") and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)  # Slack has the message; the sender never recorded it
        child.wait()
        server.stall.clear()
        with duckdb.connect(db) as conn:
            assert conn.execute("SELECT status FROM ops.outbox").fetchall() == [("sending",)]
            report = deliver(conn, live_delivery(tmp_path, server.url).channels(), NOW)
            assert report.recovered == ["sync/2025-11-17/slack/completed#v1"] and report.delivered == []
            assert conn.execute("SELECT status FROM ops.outbox").fetchall() == [("delivered",)]
        assert len(server.messages_in("#bqx-ml-operations")) == 1


def test_sns_has_no_history_so_a_crash_can_resend_with_the_same_idempotency_key(moto_server, tmp_path):
    """The documented at-least-once window: subscribers de-duplicate on the message attribute."""
    sns = boto3.client("sns", endpoint_url=moto_server, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_server, region_name="us-east-1")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    delivery = live_delivery(tmp_path, "http://127.0.0.1:9", sns_endpoint=moto_server, topic=topic)
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "escalation/sync-missed", "sns", {"subject": "Missed sync", "message": "3 days"})
        deliver(conn, delivery.channels(), NOW)
        conn.execute("UPDATE ops.outbox SET status = 'sending'")  # what a crash after send leaves
        report = deliver(conn, delivery.channels(), NOW)
    assert report.delivered == ["escalation/sync-missed#v1"]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    keys = [json.loads(m["Body"])["MessageAttributes"]["idempotency_key"]["Value"] for m in messages]
    assert keys == ["escalation/sync-missed#v1"] * 2


def test_a_new_version_of_a_delivered_intent_edits_the_slack_message_instead_of_repeating_it(
    slack_server, tmp_path
):
    channels = live_delivery(tmp_path, slack_server.url).channels()
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "issue-review/2025-11-15/slack/p0-p1-summary", "slack", {"text": "2 P0 issues"})
        deliver(conn, channels, NOW)
        assert enqueue(conn, "issue-review/2025-11-15/slack/p0-p1-summary", "slack",
                       {"text": "3 P0 issues"}) == "new_version"
        report = deliver(conn, channels, NOW)
        refs = conn.execute("SELECT external_ref FROM ops.outbox ORDER BY version").fetchall()
    assert report.delivered == ["issue-review/2025-11-15/slack/p0-p1-summary#v2"]
    [message] = slack_server.messages_in("#bqx-ml-operations")
    assert message["text"] == "3 P0 issues"
    assert refs[0] == refs[1]  # the same message, edited


def test_a_new_version_of_a_release_intent_edits_the_release(github_server, tmp_path):
    github_server.add_repo(REPO, [])
    channels = live_delivery(tmp_path, "http://127.0.0.1:9", github_url=github_server.url).channels()
    release = {"tag": "phase-3-done", "name": "Phase 3 complete", "body": "v1", "target_sha": "b" * 40}
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "release/phase-3", "github", release)
        deliver(conn, channels, NOW)
        enqueue(conn, "release/phase-3", "github", {**release, "body": "v2, with the realized cost"})
        deliver(conn, channels, NOW)
    [only] = github_server.releases[REPO]
    assert only["body"] == "v2, with the realized cost" and len(github_server.tags[REPO]) == 1


def test_an_alert_without_a_topic_says_which_variable_is_missing(moto_server, tmp_path):
    delivery = live_delivery(tmp_path, "http://127.0.0.1:9", sns_endpoint=moto_server, topic=None)
    with duckdb.connect(":memory:") as conn:
        enqueue(conn, "escalation/review-missed", "sns", {"subject": "Missed review", "message": "2 days"})
        report = deliver(conn, delivery.channels(), NOW)
        [(status, error)] = conn.execute("SELECT status, last_error FROM ops.outbox").fetchall()
    assert report.delivered == [] and status == "pending"  # kept: it is sent once the topic is set
    assert "BQX_OPS_SNS_TOPIC_ARN" in error
