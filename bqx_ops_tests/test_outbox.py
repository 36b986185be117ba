"""The outbox: idempotent intents, exactly-once delivery to sinks, horizon, dead letters."""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops import outbox
from bqx_ops.defs.cadence.jobs import reminder_job
from bqx_ops.defs.outbox.assets import outbox_delivery
from bqx_ops.defs.outbox.checks import no_dead_lettered_intents
from bqx_ops.outbox.delivery import DeliveryPolicy, deliver
from bqx_ops.resources.channels import SinkChannel
from bqx_ops.resources.factory import build_resources
from bqx_ops.resources.outbox import OutboxDelivery

NOW = dt.datetime(2025, 11, 15, 10, 5, tzinfo=dt.timezone.utc)
PRODUCER = outbox.Producer(asset="issue_review/report", partition="2025-11-01", run_id="run-1")


@pytest.fixture
def conn():
    with duckdb.connect(":memory:") as c:
        yield c


def enqueue(conn, key="issue-review/2025-11-15/slack/p0-p1-summary", text="2 P0 issues", period_end=NOW):
    return outbox.enqueue(conn, key, "slack", {"text": text}, PRODUCER, period_end=period_end, now=NOW)


def rows(conn):
    return conn.execute("SELECT key, version, status, payload_json FROM ops.outbox ORDER BY key, version").fetchall()


def sink_lines(tmp_path, channel="slack"):
    path = tmp_path / "sinks" / f"{channel}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_enqueueing_the_same_intent_again_is_a_no_op(conn):
    assert [enqueue(conn) for _ in range(3)] == ["created", "unchanged", "unchanged"]
    assert len(rows(conn)) == 1


def test_a_changed_payload_before_delivery_replaces_the_pending_intent(conn):
    enqueue(conn, text="2 P0 issues")
    assert enqueue(conn, text="3 P0 issues") == "replaced"
    [(_, version, status, payload)] = rows(conn)
    assert (version, status, json.loads(payload)["text"]) == (1, "pending", "3 P0 issues")


def test_a_changed_payload_after_delivery_is_a_new_version_not_a_second_message(conn, tmp_path):
    enqueue(conn, text="2 P0 issues")
    deliver(conn, OutboxDelivery(data_dir=str(tmp_path)).channels(), NOW)
    assert enqueue(conn, text="2 P0 issues") == "unchanged"
    assert enqueue(conn, text="3 P0 issues") == "new_version"
    report = deliver(conn, OutboxDelivery(data_dir=str(tmp_path)).channels(), NOW)
    assert report.delivered == ["issue-review/2025-11-15/slack/p0-p1-summary#v2"]
    assert [(line["version"], line["request"]["text"]) for line in sink_lines(tmp_path)] == [
        (1, "2 P0 issues"), (2, "3 P0 issues")]


def test_inside_one_transaction_intents_follow_the_same_rules_as_one_by_one(conn, tmp_path):
    """A transaction reads the latest versions once and keeps them current with its own writes: the
    same outcomes and rows as enqueues outside any transaction (the rules above)."""
    from bqx_ops.db import transaction

    enqueue(conn, key="delivered", text="v1")
    deliver(conn, OutboxDelivery(data_dir=str(tmp_path)).channels(), NOW)
    with transaction(conn):
        got = [enqueue(conn, key="new", text="a"), enqueue(conn, key="new", text="a"),  # created, then a no-op
               enqueue(conn, key="new", text="b"),  # pending: replaced
               enqueue(conn, key="delivered", text="v1"), enqueue(conn, key="delivered", text="v2"),
               enqueue(conn, key="delivered", text="v2"), enqueue(conn, key="delivered", text="v3")]
    assert got == ["created", "unchanged", "replaced", "unchanged", "new_version", "unchanged", "replaced"]
    assert [(k, v, s, json.loads(p)["text"]) for k, v, s, p in rows(conn)] == [
        ("delivered", 1, "delivered", "v1"), ("delivered", 2, "pending", "v3"), ("new", 1, "pending", "b")]
    with pytest.raises(RuntimeError), transaction(conn):  # rolled back: nothing of it is remembered either
        enqueue(conn, key="gone", text="x")
        raise RuntimeError("abort")
    assert enqueue(conn, key="gone", text="x") == "created"


def test_every_intent_is_delivered_once_and_a_second_pass_sends_nothing(conn, tmp_path):
    for n in range(5):
        enqueue(conn, key=f"k/{n}", text=f"message {n}")
    channels = OutboxDelivery(data_dir=str(tmp_path)).channels()
    assert len(deliver(conn, channels, NOW).delivered) == 5
    second = deliver(conn, channels, NOW)
    assert second.delivered == [] and second.recovered == []
    assert sorted(line["key"] for line in sink_lines(tmp_path)) == [f"k/{n}" for n in range(5)]


def test_intents_for_periods_older_than_the_horizon_are_recorded_but_not_sent(conn, tmp_path):
    enqueue(conn, key="old", period_end=NOW - dt.timedelta(days=8))
    enqueue(conn, key="recent", period_end=NOW - dt.timedelta(days=6))
    report = deliver(conn, OutboxDelivery(data_dir=str(tmp_path)).channels(), NOW)
    assert report.recorded_only == ["old#v1"] and report.delivered == ["recent#v1"]
    assert [line["key"] for line in sink_lines(tmp_path)] == ["recent"]
    assert outbox.counts_by_status(conn) == {"delivered": 1, "recorded_only": 1}


def test_a_failing_channel_retries_with_back_off_then_dead_letters(conn, tmp_path):
    (tmp_path / "sinks").write_text("not a directory")  # every send now fails for real
    channels = {"slack": SinkChannel(tmp_path / "sinks", "slack")}
    enqueue(conn)
    policy = DeliveryPolicy(max_attempts=3, backoff=dt.timedelta(minutes=1))
    first = deliver(conn, channels, NOW, policy)
    assert list(first.retrying) == ["issue-review/2025-11-15/slack/p0-p1-summary#v1"]
    assert deliver(conn, channels, NOW + dt.timedelta(seconds=30), policy).retrying == {}  # backing off
    deliver(conn, channels, NOW + dt.timedelta(minutes=1), policy)
    third = deliver(conn, channels, NOW + dt.timedelta(minutes=3), policy)
    [(key, error)] = third.dead.items()
    assert "NotADirectoryError" in error or "FileExistsError" in error
    assert conn.execute("SELECT status, attempts FROM ops.outbox").fetchall() == [("dead", 3)]


def test_an_intent_left_in_flight_by_a_crash_is_recovered_not_resent(conn, tmp_path):
    enqueue(conn)
    channels = OutboxDelivery(data_dir=str(tmp_path)).channels()
    deliver(conn, channels, NOW)
    # What a crash between send and record leaves behind: sent, but still marked in flight.
    conn.execute("UPDATE ops.outbox SET status = 'sending', delivered_at = NULL")
    report = deliver(conn, channels, NOW)
    assert report.recovered == ["issue-review/2025-11-15/slack/p0-p1-summary#v1"]
    assert report.delivered == [] and len(sink_lines(tmp_path)) == 1


def test_a_payload_changed_while_a_crash_left_its_send_open_is_sent_once_never_as_a_second_message(conn, tmp_path):
    """Killed after the claim of v1, before its line reached the sink; the report then changed (v2)."""
    channels = OutboxDelivery(data_dir=str(tmp_path)).channels()
    enqueue(conn, text="2 P0 issues")
    conn.execute("UPDATE ops.outbox SET status = 'sending', attempts = 1")  # the crash: claimed, never sent
    assert enqueue(conn, text="3 P0 issues") == "new_version"  # v1 may have been sent: not replaced
    report = deliver(conn, channels, NOW)
    assert report.superseded == ["issue-review/2025-11-15/slack/p0-p1-summary#v1"]
    assert report.delivered == ["issue-review/2025-11-15/slack/p0-p1-summary#v2"]
    [line] = sink_lines(tmp_path)
    assert (line["version"], line["request"]["text"], "updates" in line) == (2, "3 P0 issues", False)
    assert [r[2] for r in rows(conn)] == ["recorded_only", "delivered"]
    assert deliver(conn, channels, NOW).delivered == []


def test_a_payload_changed_while_a_crash_left_a_sent_message_unrecorded_edits_that_message(conn, tmp_path):
    channels = OutboxDelivery(data_dir=str(tmp_path)).channels()
    enqueue(conn, text="2 P0 issues")
    deliver(conn, channels, NOW)
    conn.execute("UPDATE ops.outbox SET status = 'sending', external_ref = NULL")  # sent, never recorded
    assert enqueue(conn, text="3 P0 issues") == "new_version"
    report = deliver(conn, channels, NOW)
    assert report.recovered == ["issue-review/2025-11-15/slack/p0-p1-summary#v1"]
    first, second = sink_lines(tmp_path)
    assert second["version"] == 2 and second["updates"] == "sink:slack.jsonl:issue-review/2025-11-15/slack/p0-p1-summary#v1"


def test_a_newer_version_waits_while_the_channel_cannot_tell_whether_the_older_one_arrived(conn, tmp_path):
    class Blind(SinkChannel):  # a real sink whose look-up fails, as Slack's history answering 500
        def find_delivered(self, intent):
            raise ConnectionError("history unavailable")

    enqueue(conn, text="2 P0 issues")
    conn.execute("UPDATE ops.outbox SET status = 'sending', attempts = 1")
    enqueue(conn, text="3 P0 issues")
    report = deliver(conn, {"slack": Blind(tmp_path / "sinks", "slack")}, NOW)
    assert report.delivered == [] and sink_lines(tmp_path) == []  # v2 would post a second message
    assert [r[2] for r in rows(conn)] == ["pending", "pending"]
    later = deliver(conn, OutboxDelivery(data_dir=str(tmp_path)).channels(), NOW + dt.timedelta(hours=1))
    assert later.superseded == ["issue-review/2025-11-15/slack/p0-p1-summary#v1"]
    assert [line["version"] for line in sink_lines(tmp_path)] == [2]


def test_a_sink_line_torn_by_a_crash_is_no_delivery_and_never_blocks_the_next_pass(conn, tmp_path):
    """Killed while writing its line: the intent is still 'sending', the sink ends in half a line.
    The next pass resends it (the torn line is cut off) and delivers what else is due."""
    enqueue(conn, key="a/slack/one", text="first")
    channels = OutboxDelivery(data_dir=str(tmp_path)).channels()
    deliver(conn, channels, NOW)
    enqueue(conn, key="b/slack/two", text="second")
    path = tmp_path / "sinks" / "slack.jsonl"
    whole = path.read_text()
    path.write_text(whole + '{"key": "b/slack/two", "request": {"te')  # the crash, mid-line
    conn.execute("UPDATE ops.outbox SET status = 'sending' WHERE key = 'b/slack/two'")
    enqueue(conn, key="c/slack/three", text="third")
    report = deliver(conn, channels, NOW)
    assert sorted(report.delivered) == ["b/slack/two#v1", "c/slack/three#v1"] and report.recovered == []
    assert [line["key"] for line in sink_lines(tmp_path)] == ["a/slack/one", "b/slack/two", "c/slack/three"]
    assert deliver(conn, channels, NOW).delivered == []  # and a further pass sends nothing


def test_running_a_producer_three_times_enqueues_one_intent_and_delivery_shows_in_dagster(tmp_path):
    resources = build_resources("local", tmp_path)
    config = {"ops": {"enqueue_reminder": {"config": {
        "reminder": "plan_update_reminder", "due_at": "2025-11-14T15:00:00+00:00"}}}}
    for _ in range(3):
        assert reminder_job.execute_in_process(run_config=config, resources=resources).success
    result = dg.materialize([outbox_delivery, no_dead_lettered_intents], resources=resources)
    [mat] = result.asset_materializations_for_node("ops__outbox_delivery")
    assert mat.metadata["recorded_only_older_than_horizon"].value == 1  # 2025 is long past
    assert mat.metadata["delivered"].value == 0
    assert result.get_asset_check_evaluations()[0].passed
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb")) as c:
        assert c.execute("SELECT key, status FROM ops.outbox").fetchall() == [
            ("reminder/plan_update_reminder/2025-11-14", "recorded_only")]


def test_an_sns_subject_is_ascii_one_line_and_at_most_100_characters():
    """SNS refuses a Subject that is not ASCII (or holds a line break, or is longer than 100): a team whose
    people have non-ASCII names would have every SNS escalation dead-lettered."""
    from bqx_ops.resources.channels import sns_subject

    assert sns_subject("P1 issue unresolved: Łukasz Żółć intervention") == "P1 issue unresolved: Lukasz Zolc intervention"
    assert sns_subject("Søren Ågård:\nemergency ß") == "Soren Agard: emergency ss"
    long = sns_subject("é" * 150 + "x")
    assert long == "e" * 99 and all(ord(c) < 128 for c in sns_subject("设计 ☕")) and sns_subject("设计") == "??"
