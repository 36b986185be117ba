"""Escalation of unresolved issues over a scripted history: the sensor at chosen instants, each
run it requests executed, the GitHub landing file rewritten as the history unfolds."""

import datetime as dt
import hashlib
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.issue_review.escalations import unresolved_issue_job, unresolved_issue_sensor
from bqx_ops.landing import Landing, write_json
from bqx_ops.resources.factory import build_resources

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
H, D = dt.timedelta(hours=1), dt.timedelta(days=1)


def issue(number, title, labels, closed_at=None):
    return {"number": number, "title": title, "created_at": T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "state": "closed" if closed_at else "open", "html_url": f"https://github.com/o/r/issues/{number}",
            "closed_at": closed_at.strftime("%Y-%m-%dT%H:%M:%SZ") if closed_at else None,
            "labels": [{"name": label} for label in labels]}


def github_at(now):
    """What GitHub says at ``now``: #1 P0 closed after 30 h, #2 P1 closed after 3 days, #3 P3 open,
    #4 P2 raised to P1 on day 20, #5 P0 closed after 20 h (inside its SLA)."""
    closed = lambda after: T0 + after if now >= T0 + after else None  # noqa: E731
    return [
        issue(1, "Inference API down", ["priority:P0", "category:infrastructure"], closed(30 * H)),
        issue(2, "Feature importance wrong", ["priority:P1", "category:model-performance"], closed(3 * D)),
        issue(3, "Typo in the README", ["priority:P3", "category:infrastructure"]),
        issue(4, "Missing bars for EURUSD", ["priority:P1" if now >= T0 + 20 * D else "priority:P2",
                                              "category:data-quality"]),
        issue(5, "Scheduler stuck", ["priority:P0", "category:infrastructure"], closed(20 * H)),
    ]


def fp(number):
    return "github-" + hashlib.sha256(f"github\x1f{number}".encode()).hexdigest()[:12]


# instants the sensor looks at: around every SLA, after every resolution, and again much later
LOOKS = [1 * H, 23 * H, 24 * H, 25 * H, 26 * H, 31 * H, 3 * D, 8 * D, 14 * D, 14 * D + 2 * H, 15 * D,
         20 * D + H, 21 * D, 30 * D + H, 31 * D, 40 * D]


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    data = tmp_path_factory.mktemp("unresolved")
    resources = build_resources("local", data)
    requested = []
    with dg.instance_for_test() as instance:
        cursor = None
        for offset in LOOKS:
            now = T0 + offset
            write_json(Landing(data).github_issues, github_at(now))
            sensor = unresolved_issue_sensor("local", clock=lambda now=now: now)
            with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
                result = sensor(context)
                cursor = context.cursor
            for request in result if isinstance(result, list) else [result]:
                if isinstance(request, dg.RunRequest):
                    requested.append(request.run_key)
                    assert unresolved_issue_job.execute_in_process(
                        run_config=request.run_config, resources=resources, instance=instance).success
        # the same tick again: skipped, nothing requested
        with dg.build_sensor_context(instance=instance, cursor=cursor) as context:
            again = unresolved_issue_sensor("local", clock=lambda: T0 + LOOKS[-1])(context)
        assert isinstance(again, dg.SkipReason)
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT key, channel, version, payload_json, period_end FROM ops.outbox "
                            "WHERE starts_with(key, 'escalation/issue/') ORDER BY key").fetchall()
    return requested, rows


def test_one_run_per_look_keyed_by_its_hour(replay):
    requested, _ = replay
    assert requested == [f"unresolved-issues/{T0 + o:%Y-%m-%dT%H}:00" for o in LOOKS]


def test_each_issue_is_escalated_once_per_level_and_never_after_resolution(replay):
    _, rows = replay
    expected = {
        (fp(1), "P0", "slack"), (fp(1), "P0", "sns"),  # open at 24 h, closed at 30 h
        (fp(4), "P2", "slack"),  # 2 weeks as P2
        (fp(4), "P1", "slack"), (fp(4), "P1", "sns"),  # raised to P1 on day 20: already past a week
        (fp(3), "P3", "slack"), (fp(3), "P3", "airtable"),  # a month old: still relevant?
    }  # #2 and #5 were resolved inside their SLA: never escalated
    got = [tuple(key.split("/")[2:]) for key, *_ in rows]
    assert sorted(got) == sorted(expected)
    assert all(version == 1 for _, _, version, _, _ in rows)


def test_escalations_are_dated_at_the_first_look_past_the_sla(replay):
    _, rows = replay
    first = {tuple(k.split("/")[2:4]): p for k, _, _, _, p in rows}
    # due at 08:30; the 08:30 look is the 08:00 tick (not yet due), so the 09:30 look (09:00 tick) escalates
    assert first[(fp(1), "P0")] == (T0 + 25 * H).replace(minute=0, tzinfo=None)
    assert first[(fp(4), "P2")] == (T0 + 14 * D + 2 * H).replace(minute=0, tzinfo=None)
    assert first[(fp(3), "P3")] == (T0 + 30 * D + H).replace(minute=0, tzinfo=None)


def test_messages_name_the_role_the_owner_and_the_issue(replay):
    _, rows = replay
    payload = {tuple(k.split("/")[2:]): json.loads(p) for k, _, _, p, _ in rows}
    p0 = payload[(fp(1), "P0", "slack")]["text"]
    assert "*RM-001*: emergency meeting" in p0 and "Owner: *INFRA-001*" in p0 and "#1 Inference API down" in p0
    assert "*ARCH-001*: intervention" in payload[(fp(4), "P1", "slack")]["text"]
    assert "*QA-001*: re-prioritize" in payload[(fp(4), "P2", "slack")]["text"]
    task = payload[(fp(3), "P3", "airtable")]
    [fields] = task["records"]
    assert task["merge_on"] == ["Task Key"] and fields["Task Key"] == f"{fp(3)}-relevance"
    assert fields["Owner"] == "INFRA-001" and fields["Name"].startswith("Still relevant? #3 Typo")
    assert payload[(fp(1), "P0", "sns")]["subject"].startswith("P0 issue unresolved: RM-001")


def test_a_mapped_role_is_a_real_slack_mention():
    from bqx_ops.slack_text import mention

    assert mention("RM-001", {"RM-001": "U0123ABC"}) == "<@U0123ABC>"
    assert mention("QA-001", {"QA-001": "S0456DEF"}) == "<!subteam^S0456DEF>"
    assert mention("ML-001", {"ML-001": "<!channel>"}) == "*ML-001*"  # not an id: no mention at all


def test_a_reminder_goes_to_the_configured_channel_and_mentions_its_owner(tmp_path, monkeypatch):
    from bqx_ops.defs.cadence.jobs import reminder_job
    from bqx_ops.outbox.delivery import Intent
    from bqx_ops.resources.channels import slack_request

    config = tmp_path / "team.yaml"
    config.write_text('slack: {channel: "C0TEAMCHAN"}\nreminders: {plan_update: [COORD-001, RM-001]}\n')
    monkeypatch.setenv("BQX_OPS_CONFIG", str(config))
    monkeypatch.setenv("BQX_OPS_SLACK_MENTIONS", "COORD-001=U0COORD1")
    run_config = {"ops": {"enqueue_reminder": {"config": {
        "reminder": "plan_update_reminder", "due_at": "2025-11-14T15:00:00+00:00"}}}}
    assert reminder_job.execute_in_process(run_config=run_config,
                                           resources=build_resources("local", tmp_path)).success
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb")) as conn:
        [(payload,)] = conn.execute("SELECT payload_json FROM ops.outbox").fetchall()
    payload = json.loads(payload)
    assert payload["text"].startswith("Reminder for <@U0COORD1>, *RM-001*: ")  # unmapped: the role in bold
    intent = Intent(key="k", version=1, channel="slack", payload=payload, attempts=0)
    assert slack_request(intent, "#elsewhere")["channel"] == "C0TEAMCHAN"
