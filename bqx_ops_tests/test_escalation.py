"""Escalation paths for missed activities (seed thresholds), as pure rules."""

import datetime as dt

from bqx_ops.escalation import RULES, overdue

UTC = dt.timezone.utc
RULE = {r.name: r for r in RULES}
MON = dt.datetime(2025, 11, 17, 9, tzinfo=UTC)  # a sync tick


def test_a_sync_missed_by_more_than_three_days_notifies_rm_001_once_per_missed_monday():
    last_done = MON - dt.timedelta(days=7)  # the previous Monday's sync ran
    assert overdue(RULE["repository_sync"], last_done, MON + dt.timedelta(days=3)) is None
    esc = overdue(RULE["repository_sync"], last_done, MON + dt.timedelta(days=3, minutes=1))
    assert esc.key == "escalation/repository_sync/2025-11-17"
    assert "COORD-001 -> RM-001 notification" in esc.text()
    # a week later it is still the same first missed Monday: the same key, so one intent
    assert overdue(RULE["repository_sync"], last_done, MON + dt.timedelta(days=9)).key == esc.key


def test_a_sync_that_ran_after_its_tick_is_not_escalated():
    assert overdue(RULE["repository_sync"], MON + dt.timedelta(hours=1), MON + dt.timedelta(days=5)) is None


def test_an_issue_review_is_escalated_only_when_a_second_review_is_missed_too():
    last_done = dt.datetime(2025, 11, 1, 11, tzinfo=UTC)  # the 1 Nov review ran
    assert overdue(RULE["issue_review"], last_done, dt.datetime(2025, 11, 30, 23, tzinfo=UTC)) is None
    esc = overdue(RULE["issue_review"], last_done, dt.datetime(2025, 12, 1, 10, tzinfo=UTC))
    assert esc.key == "escalation/issue_review/2025-11-15" and "QA-001 -> ARCH-001" in esc.text()


def test_a_360_assessment_more_than_two_weeks_past_due_is_an_urgent_escalation():
    last_done = dt.datetime(2025, 9, 26, 18, tzinfo=UTC)
    q4 = dt.datetime(2025, 12, 26, 9, tzinfo=UTC)
    assert overdue(RULE["assessment_360"], last_done, q4 + dt.timedelta(days=14)) is None
    esc = overdue(RULE["assessment_360"], last_done, q4 + dt.timedelta(days=14, hours=1))
    assert esc.key == "escalation/assessment_360/2025-12-26" and "urgent escalation" in esc.text()


def test_a_plan_update_missed_by_a_week_escalates_to_rm_001():
    fri = dt.datetime(2025, 11, 21, 16, tzinfo=UTC)
    esc = overdue(RULE["plan_update"], fri - dt.timedelta(days=7), fri + dt.timedelta(days=7, seconds=1))
    assert esc.key == "escalation/plan_update/2025-11-21"


def test_the_sensor_requests_one_escalation_run_and_the_job_enqueues_slack_and_sns(tmp_path):
    import dagster as dg
    import duckdb

    from bqx_ops.defs.cadence.jobs import escalation_job
    from bqx_ops.defs.cadence.sensors import escalation_sensor
    from bqx_ops.resources.factory import build_resources

    key = dg.AssetKey(["docs", "weekly_sync"])
    sensor = escalation_sensor("local", {"repository_sync": key})
    with dg.instance_for_test() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(key))  # done just now: quiet
        with dg.build_sensor_context(instance=instance) as context:
            assert list(sensor(context) or []) == []
    with dg.instance_for_test() as instance:  # never done: the first missed Monday is escalated
        with dg.build_sensor_context(instance=instance) as context:
            [request] = list(sensor(context))
        assert request.run_key.startswith("escalation/repository_sync/")
        resources = build_resources("local", tmp_path)
        for _ in range(2):  # a rerun of the same escalation enqueues nothing new
            assert escalation_job.execute_in_process(run_config=request.run_config, resources=resources).success
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb")) as conn:
        rows = conn.execute("SELECT key, channel, status FROM ops.outbox ORDER BY key").fetchall()
    assert [(k.rsplit("/", 1)[1], c, s) for k, c, s in rows] == [("slack", "slack", "pending"), ("sns", "sns", "pending")]


def test_a_title_or_action_ending_in_a_full_stop_reads_as_one_sentence_in_every_channel():
    from bqx_ops.issue_review.escalate import IssueEscalation, intents

    e = IssueEscalation(fingerprint="f", priority="P1", title="GPU quota not provisioned.", source="github",
                        owner="Ops", escalate_to="Architect", action="Approve the quota request.",
                        created_at=dt.datetime(2026, 3, 1), due_at=dt.datetime(2026, 3, 8), url=None, sns=True,
                        relevance_task=False)
    texts = [payload.get("text") or payload.get("message") for _, channel, payload in intents(e)
             if channel in ("slack", "sns")]
    assert len(texts) == 2 and all(".." not in t for t in texts), texts
    assert "GPU quota not provisioned. Source: github f." in texts[1]
    assert all("Approve the quota request. " in t for t in texts)


def test_the_time_an_escalation_names_is_never_rounded_up_past_the_truth():
    from bqx_ops.issue_review.escalate import IssueEscalation, intents

    # a team's 1.5 h P0 SLA: "more than 2 h" would be false; 36.25 h is "more than 36.2 h"; 10 days stay 10
    for sla, words in ((dt.timedelta(hours=1.5), "more than 1.5 h"), (dt.timedelta(hours=36.25), "more than 36.2 h"),
                       (dt.timedelta(days=10), "more than 10 days")):
        e = IssueEscalation(fingerprint="f", priority="P0", title="API down", source="github", owner="Ops",
                            escalate_to="Architect", action="Meet", created_at=dt.datetime(2026, 3, 1),
                            due_at=dt.datetime(2026, 3, 1) + sla, url=None, sns=True, relevance_task=False)
        texts = [payload.get("text") or payload.get("message") for _, channel, payload in intents(e)
                 if channel in ("slack", "sns")]
        assert texts and all(words in t for t in texts), (words, texts)
    # a missed activity says "1 day", never "1.0 days"; 3 days and an hour is "3 days" (cut to a tenth: 3.04)
    last_done = MON - dt.timedelta(days=7)
    review = RULE["repository_sync"]
    late = overdue(review, last_done, MON + dt.timedelta(days=3, hours=1))
    assert "has not run for 3 days:" in late.text() and "has not run for 3 days:" in late.slack_text()
    one_day = type(late)(late.rule, late.due_at, dt.timedelta(days=1))
    assert "has not run for 1 day:" in one_day.text()
