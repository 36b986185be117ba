"""Each source's issues (pure): GitHub listing, SageMaker jobs, CloudWatch files, Airtable history."""

import datetime as dt
import json
import statistics

import duckdb
import pandas as pd

from bqx_ops.config_sections import SageMakerSection
from bqx_ops.issue_review import cloudwatch
from bqx_ops.issue_review.airtable_issues import blocker_issues, quarantine_issues
from bqx_ops.issue_review.episodes import episode_starts, log_issues
from bqx_ops.issue_review.github_issues import github_issues
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.issue_review.sagemaker import sagemaker_issues
from bqx_ops.issue_review.stats import close_time_summary, resolution_stats
from bqx_ops.issue_review.triage import build_inventory
from bqx_ops.issue_review.trend import trend

RULES = load_rules(path="")
AS_OF = dt.datetime(2026, 3, 15, 10)


def gh(number, created, closed=None, pr=False, **extra):
    item = {"number": number, "title": f"Issue {number}", "created_at": created, "closed_at": closed,
            "state": "closed" if closed else "open", "labels": [], "html_url": f"https://github.com/o/r/issues/{number}"}
    if pr == "key":
        item["pull_request"] = {"url": "x"}
    elif pr == "url":
        item["html_url"] = f"https://github.com/o/r/pull/{number}"
    return {**item, **extra}


def test_pull_requests_are_recognised_from_the_listing_alone():
    items = [gh(1, "2026-03-01T00:00:00Z"), gh(2, "2026-03-01T00:00:00Z", pr="key"),
             gh(3, "2026-03-01T00:00:00Z", pr="url"), gh(4, "2026-03-01T00:00:00Z", pull_request=None)]
    found, problems = github_issues(items)
    assert [f.source_ref for f in found] == ["1", "4"] and problems == []  # a null pull_request marks nothing


def test_a_reopened_issue_is_open_whatever_its_old_closed_at_and_bad_items_are_reported():
    items = [gh(1, "2026-03-01T00:00:00Z", closed="2026-03-02T00:00:00Z", state="open"),
             {"number": "x"}, "garbage", gh(4, "not a date")]
    found, problems = github_issues(items)
    assert [(f.source_ref, f.resolved_at) for f in found] == [("1", None)]
    assert len(problems) == 3


def test_deleted_users_null_bodies_and_string_labels_are_fine():
    [found], _ = github_issues([gh(7, "2026-03-01T00:00:00Z", user=None, body=None, title=None,
                                   labels=["priority:P1", {"name": "category:cost"}, {"no": "name"}])])
    assert found.author == "ghost" and found.title == "#7 (no title)"
    assert found.labels == ("category:cost", "priority:P1")


def job(name, status, ended, r2=None, reason=None, model="XGBoost", horizon="w30"):
    out = {"TrainingJobName": name, "TrainingJobStatus": status, "TrainingEndTime": ended,
           "HyperParameters": {"model": model, "horizon": horizon}}
    if r2 is not None:
        out["FinalMetricDataList"] = [{"MetricName": "validation:r2", "Value": r2}]
    if reason:
        out["FailureReason"] = reason
    return out


def test_a_failed_job_is_open_until_a_later_completed_job_of_the_same_model_and_horizon():
    jobs = [job("a-01", "Failed", "2026-03-10T01:00:00.000+00:00", reason="CUDA out of memory"),
            job("a-02", "Completed", "2026-03-10T03:00:00.000+00:00", r2=0.9),
            job("b-01", "Failed", "2026-03-11T01:00:00.000+00:00", reason="ResourceLimitExceeded", horizon="w60"),
            job("c-01", "Failed", "2026-03-16T01:00:00.000+00:00", reason="not yet happened")]
    found, _ = sagemaker_issues(jobs, AS_OF, RULES.sagemaker)
    by_ref = {f.source_ref: f for f in found}
    assert sorted(by_ref) == ["a-01", "b-01"]  # c-01 ended after the as-of instant
    assert by_ref["a-01"].resolved_at == dt.datetime(2026, 3, 10, 3) and by_ref["b-01"].resolved_at is None
    inv = build_inventory(found, RULES, ReviewPeriod(dt.datetime(2026, 3, 1, 10), AS_OF)).set_index("source_ref")
    assert inv.loc["b-01", "priority"] == "P1" and inv.loc["a-01", "priority"] == "P2"


def test_a_model_or_horizon_padded_with_spaces_is_the_same_series():
    jobs = [job("a-01", "Failed", "2026-03-10T01:00:00.000+00:00", reason="CUDA out of memory", model="XGBoost "),
            job("a-02", "Completed", "2026-03-10T03:00:00.000+00:00", r2=0.9, horizon="w30 ")]
    by_ref = {f.source_ref: f for f in sagemaker_issues(jobs, AS_OF, RULES.sagemaker)[0]}
    assert by_ref["a-01"].resolved_at == dt.datetime(2026, 3, 10, 3)  # the completed retry is the same model


def test_a_failed_job_retried_under_another_name_resolves_when_the_retry_succeeds():
    def bare(name, status, ended):  # no hyperparameters: only the names tell a retry from its job
        return {"TrainingJobName": name, "TrainingJobStatus": status, "TrainingEndTime": ended,
                **({"FailureReason": "OOM"} if status == "Failed" else {})}
    jobs = [bare("fc-lstm-train", "Failed", "2026-03-10T01:00:00Z"),
            bare("fc-lstm-train-retry-2", "Completed", "2026-03-11T01:00:00Z"),
            bare("fc-xgb-train", "Failed", "2026-03-10T02:00:00Z")]
    rules = {**RULES.sagemaker, "retry_pattern": SageMakerSection().retry_pattern}
    by_ref = {f.source_ref: f for f in sagemaker_issues(jobs, AS_OF, rules)[0]}
    assert by_ref["fc-lstm-train"].resolved_at == dt.datetime(2026, 3, 11, 1)
    assert by_ref["fc-xgb-train"].resolved_at is None  # another model: its own failure stays open
    # without the configured rule the retry is another job, and the failure stays open
    plain = {f.source_ref: f for f in sagemaker_issues(jobs, AS_OF, RULES.sagemaker)[0]}
    assert plain["fc-lstm-train"].resolved_at is None


def test_a_job_whose_retry_fails_again_is_one_open_failure_until_a_retry_completes():
    """One problem, one issue: a retry failing again before any job of the series completes is the first
    failure still open, named in it, never a second P1; a failure after the fix is a new issue."""
    jobs = [job("q-01", "Failed", "2026-03-02T03:00:00Z", reason="ResourceLimitExceeded"),
            job("q-01-retry-1", "Failed", "2026-03-02T08:00:00Z", reason="ResourceLimitExceeded"),
            job("q-01-retry-2", "Completed", "2026-03-03T05:00:00Z", r2=0.8),
            job("q-02", "Failed", "2026-03-09T01:00:00Z", reason="ResourceLimitExceeded")]
    found, _ = sagemaker_issues(jobs, AS_OF, RULES.sagemaker)
    by_ref = {f.source_ref: f for f in found}
    assert sorted(by_ref) == ["q-01", "q-02"]
    first = by_ref["q-01"]
    assert first.title == "Training job q-01 failed 2 times: ResourceLimitExceeded"
    assert "failed again: q-01-retry-1 at 2026-03-02 08:00" in first.detail
    assert (first.created_at, first.resolved_at) == (dt.datetime(2026, 3, 2, 3), dt.datetime(2026, 3, 3, 5))
    assert by_ref["q-02"].resolved_at is None and "failed again" not in by_ref["q-02"].detail
    # before the retry failed, the same issue, one failure
    [early], _ = sagemaker_issues(jobs, dt.datetime(2026, 3, 2, 5), RULES.sagemaker)
    assert early.source_ref == "q-01" and early.title == "Training job q-01 failed: ResourceLimitExceeded"


def test_a_metric_drop_between_completed_jobs_is_a_degradation_until_it_recovers():
    jobs = [job("x-01", "Completed", "2026-03-01T00:00:00Z", r2=0.90),
            job("x-02", "Completed", "2026-03-05T00:00:00Z", r2=0.83),  # -0.07: P1
            job("x-03", "Completed", "2026-03-08T00:00:00Z", r2=0.85),  # still 0.05 below 0.90
            job("x-04", "Completed", "2026-03-12T00:00:00Z", r2=0.89),  # back within 0.02
            job("x-05", "Completed", "2026-03-13T00:00:00Z", r2=0.86)]  # -0.03: P2
    found, _ = sagemaker_issues(jobs, AS_OF, RULES.sagemaker)
    assert [(f.source_ref, f.priority, f.resolved_at) for f in found] == [
        ("x-02/validation:r2", "P1", dt.datetime(2026, 3, 12)), ("x-05/validation:r2", "P2", None)]


def write_day(path, events):
    path.write_text(json.dumps(events))
    return path


def ms(moment):
    return int(moment.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def test_log_events_are_filtered_normalized_and_grouped_per_log_group(tmp_path):
    t = dt.datetime(2026, 3, 10, 12)
    events = [
        {"timestamp": ms(t), "message": "2026-03-10T12:00:00.000Z 1b4e28ba-2fa1-11d2-883f-0016d3cca427 Task timed out after 30.02 seconds"},
        {"timestamp": ms(t + dt.timedelta(hours=1)), "message": "2026-03-10T13:00:00.000Z 6fa459ea-ee8a-3ca4-894e-db77e160355e Task timed out after 30.07 seconds"},
        {"timestamp": ms(t), "message": "INFO all good"},  # what moto returns for an OR pattern
        {"timestamp": ms(t), "message": "[WARN] latency 310 ms exceeds p95 budget of 100 ms"},
        {"timestamp": ms(AS_OF + dt.timedelta(minutes=1)), "message": "ERROR after the window"},
        {"timestamp": ms(t)},  # no message
    ]
    files = [("/a", write_day(tmp_path / "a.json", events)), ("/b", write_day(tmp_path / "b.json", events[:1])),
             ("/c", write_day(tmp_path / "c.json", [])), ("/d", tmp_path / "missing.json")]
    broken = tmp_path / "broken.json"
    broken.write_text("[{not json")
    files.append(("/e", broken))
    start, end = cloudwatch.window(AS_OF, 14)
    with duckdb.connect() as conn:
        groups, problems = cloudwatch.aggregate(conn, files, start, end, RULES.cloudwatch)
    assert [(g["log_group"], g["normalized"], g["events"], g["warnings"]) for g in groups] == [
        ("/a", "<time> <id> Task timed out after <n> seconds", 2, 0),
        ("/a", "[WARN] latency <n> ms exceeds p<n> budget of <n> ms", 1, 1),
        ("/b", "<time> <id> Task timed out after <n> seconds", 1, 0),
    ]
    assert len([p for p in problems if "unreadable log file" in p]) == 2
    # the event without a message is not counted, and not dropped silently either
    assert [p for p in problems if "unreadable" not in p] == [
        "/a: 1 event(s) in a.json whose message is not text (null, missing, a number or an object) not counted"]
    issues = log_issues(groups, AS_OF, RULES.cloudwatch)
    assert issues[0].first_seen == t and issues[0].last_seen == t + dt.timedelta(hours=1)
    assert issues[0].resolved_at == t + dt.timedelta(hours=1)  # quiet for more than 72 h before the review
    details = sorted(i.detail.split(";")[0] for i in issues)  # counts read as counts: "1 event", never "1 events"
    assert details == ["ERROR: 1 event (0 warnings)", "ERROR: 2 events (0 warnings)", "WARN: 1 event (1 warning)"]


def test_the_log_window_is_the_14_days_before_the_review():
    start, end = cloudwatch.window(AS_OF, 14)
    days = cloudwatch.window_days(start, end)
    assert start == dt.datetime(2026, 3, 1, 10) and len(days) == 15
    assert days[0] == dt.date(2026, 3, 1) and days[-1] == dt.date(2026, 3, 15)


def notes_rows(rows):
    return pd.DataFrame([dict(zip(("snapshot_date", "table", "record_id", "label", "name", "owner", "notes"), r))
                         for r in rows])


def test_a_blocker_note_is_an_issue_from_its_first_snapshot_until_the_note_changes():
    d = dt.date
    rows = [(d(2025, 12, 12), "Stages", "rec74", "7.4", "Distributed training", "ML-001", "Blocked: waiting on RM-001 sign-off"),
            (d(2025, 12, 15), "Stages", "rec74", "7.4", "Distributed training", "ML-001", "Blocked: waiting on RM-001 sign-off"),
            # 12-16 .. 01-02: the record was quarantined (absent): still the same blocker
            (d(2026, 1, 5), "Stages", "rec74", "7.4", "Distributed training", "ML-001", "Quota granted; running"),
            (d(2026, 1, 5), "Stages", "rec13", "1.3", "Lambda", "INFRA-001", "Unblocked yesterday"),
            (d(2026, 1, 5), "Phases", "recP9", "P9", "Serving", "INFRA-001", "In progress; blocker: certificate")]
    found = blocker_issues(notes_rows(rows), RULES.notes_blocker)
    assert [(f.title[:22], f.created_at, f.resolved_at, f.stage_owner) for f in found] == [
        ("Phase P9 Serving: In p", dt.datetime(2026, 1, 5), None, "INFRA-001"),
        ("Stage 7.4 Distributed ", dt.datetime(2025, 12, 12), dt.datetime(2026, 1, 5), "ML-001")]
    inv = build_inventory(found, RULES, ReviewPeriod(dt.datetime(2026, 1, 1, 10), dt.datetime(2026, 1, 15, 10)))
    assert dict(zip(inv["title"].str[:8], inv["category"])) == {"Phase P9": "Infrastructure", "Stage 7.": "Timeline Delays"}


def test_a_quarantined_record_is_an_issue_for_each_run_of_consecutive_snapshots():
    d = dt.date
    days = [d(2026, 1, 1), d(2026, 1, 2), d(2026, 1, 5), d(2026, 1, 9), d(2026, 1, 12)]
    q = pd.DataFrame([{"snapshot_date": day, "table_name": "Stages", "record_id": "rec1", "reason": "bad status"}
                      for day in (days[0], days[1], days[3], days[4])])
    found = quarantine_issues(q, days, RULES.derived["quarantine"])
    assert [(f.created_at.date(), f.resolved_at and f.resolved_at.date()) for f in found] == [
        (d(2026, 1, 1), d(2026, 1, 5)), (d(2026, 1, 9), None)]
    assert found[0].fingerprint != found[1].fingerprint


def test_resolution_statistics_match_an_independent_computation():
    period = ReviewPeriod(dt.datetime(2026, 3, 1, 10), AS_OF)
    closes = [1.5, 30, 4, 200, 12, 48, 7]
    found = [github_issues([gh(i, "2026-03-02T00:00:00Z", labels=[{"name": "priority:P1" if i % 2 else "priority:P2"},
                                                                    {"name": "category:cost"}],
                               closed=(dt.datetime(2026, 3, 2) + dt.timedelta(hours=h)).isoformat() + "Z")])[0][0]
             for i, h in enumerate(closes)]
    inv = build_inventory(found, RULES, period)
    stats = resolution_stats(inv, trend(inv, None, period), period).set_index(["dimension", "value"])
    overall = stats.loc[("all", "all")]
    assert overall["resolved"] == 7 and overall["new"] == 7 and overall["open"] == 0
    assert overall["avg_hours_to_close"] == round(statistics.mean(closes), 4)
    assert overall["median_hours_to_close"] == statistics.median(closes)
    assert overall["p90_hours_to_close"] == round(statistics.quantiles(closes, n=10, method="inclusive")[-1], 4)
    p1 = [h for i, h in enumerate(closes) if i % 2]
    assert stats.loc[("priority", "P1"), "median_hours_to_close"] == statistics.median(p1)
    assert stats.loc[("priority", "P0"), "resolved"] == 0 and pd.isna(stats.loc[("priority", "P0"), "avg_hours_to_close"])
    assert close_time_summary([]) == (None, None, None)


def test_the_trend_says_new_resolved_still_open_and_priority_changes():
    p1 = ReviewPeriod(dt.datetime(2026, 2, 15, 10), dt.datetime(2026, 3, 1, 10))
    p2 = ReviewPeriod(dt.datetime(2026, 3, 1, 10), AS_OF)

    def items(second: bool):
        return [gh(1, "2026-02-20T00:00:00Z", labels=[{"name": "priority:P2" if second else "priority:P3"}]),
                gh(2, "2026-02-20T00:00:00Z", closed="2026-03-05T00:00:00Z" if second else None),
                gh(3, "2026-03-02T00:00:00Z"), gh(4, "2026-03-02T00:00:00Z", closed="2026-03-03T00:00:00Z")]
    before = build_inventory(github_issues(items(False))[0], RULES, p1)
    now = build_inventory(github_issues(items(True))[0], RULES, p2)
    changes = trend(now, before, p2)
    got = {t.split()[0]: (c, bool(m)) for t, c, m in zip(changes["title"], changes["change"], changes["priority_changed"])}
    assert got == {"#1": ("still_open", True), "#2": ("resolved", False), "#3": ("new", False),
                   "#4": ("new_resolved", False)}


def test_resolved_counts_every_issue_the_trend_resolves_even_one_its_source_no_longer_reports():
    """#2 closed in the period (2026-03-01 10:00 -> 03-05 00:00: 86 h to close); #5, open at the previous
    review (labelled P1), is gone from the listing: "Resolved since the last review" lists both, so the
    summary's Resolved is 2, P1's is 1, and the time to close is #2's alone (#5's is not known)."""
    p1 = ReviewPeriod(dt.datetime(2026, 2, 15, 10), dt.datetime(2026, 3, 1, 10))
    p2 = ReviewPeriod(dt.datetime(2026, 3, 1, 10), AS_OF)
    items = [gh(1, "2026-02-20T00:00:00Z"), gh(2, "2026-03-01T10:00:00Z", closed="2026-03-05T00:00:00Z"),
             gh(5, "2026-02-20T00:00:00Z", labels=[{"name": "priority:P1"}])]
    before = build_inventory(github_issues(items)[0], RULES, p1)
    now = build_inventory(github_issues(items[:2])[0], RULES, p2)
    changes = trend(now, before, p2)
    listed = changes.loc[changes["change"].isin(["resolved", "new_resolved"]), "title"]  # as the report lists them
    assert sorted(listed) == ["#2 Issue 2", "#5 Issue 5"]
    stats = resolution_stats(now, changes, p2, previous=before).set_index(["dimension", "value"])
    assert stats.loc[("all", "all"), "resolved"] == 2 and stats.loc[("all", "all"), "open"] == 1
    assert stats.loc[("priority", "P1"), "resolved"] == 1 and stats.loc[("source", "github"), "resolved"] == 2
    assert stats.loc[("all", "all"), "avg_hours_to_close"] == 86.0
    assert pd.isna(stats.loc[("priority", "P1"), "avg_hours_to_close"])


def test_an_issue_whose_episode_ended_and_began_again_is_a_resolution_and_a_new_issue_not_still_open():
    """A log pattern, P0 open since 02-20 at the 03-01 review (breached); quiet, then a new episode from 03-12
    at P1 (the rules' priority for its events now). By the README's episodes the P0 episode was resolved and a
    new one began: Resolved 1 (the P0's), New 1 (the P1's), no "priority change" from P0 to P1 by anyone."""
    from dataclasses import replace

    from bqx_ops.issue_review.model import Found

    p1 = ReviewPeriod(dt.datetime(2026, 2, 15, 10), dt.datetime(2026, 3, 1, 10))
    p2 = ReviewPeriod(dt.datetime(2026, 3, 1, 10), AS_OF)

    def log(created, priority):
        return Found(source="cloudwatch", source_ref="/g|ERROR disk full", kind="log_pattern", title="disk full",
                     created_at=created, priority=priority, category="Infrastructure", rule="test")
    before = build_inventory([log(dt.datetime(2026, 2, 20), "P0")], RULES, p1)
    now = build_inventory([log(dt.datetime(2026, 3, 12), "P1")], RULES, p2)
    assert bool(before["breached"].iloc[0])
    changes = trend(now, before, p2)
    assert list(changes["change"]) == ["recurred"] and not changes["priority_changed"].iloc[0]
    stats = resolution_stats(now, changes, p2, previous=before).set_index(["dimension", "value"])
    assert stats.loc[("all", "all"), ["open", "new", "resolved"]].tolist() == [1, 1, 1]
    assert stats.loc[("priority", "P0"), ["open", "new", "resolved"]].tolist() == [0, 0, 1]
    assert stats.loc[("priority", "P1"), ["open", "new", "resolved"]].tolist() == [1, 1, 0]
    # the new episode over by the review too (one event on 03-12, quiet since): still both episodes
    quiet = build_inventory([replace(log(dt.datetime(2026, 3, 12), "P1"), resolved_at=dt.datetime(2026, 3, 12))],
                            RULES, p2)
    again = trend(quiet, before, p2)
    assert list(again["change"]) == ["recurred"]
    stats = resolution_stats(quiet, again, p2, previous=before).set_index(["dimension", "value"])
    assert stats.loc[("all", "all"), ["open", "new", "resolved"]].tolist() == [0, 1, 2]


def test_a_day_files_implausible_timestamps_are_reported_by_every_window_that_reads_it_as_it_is_now(tmp_path):
    """The count of a day file's events with an implausible timestamp is the file's own (kept between
    looks of a replay): every window reading the file reports it, and a file rewritten is counted anew."""
    day = dt.date(2026, 3, 10)
    good = {"timestamp": ms(dt.datetime(2026, 3, 10, 12)), "message": "ERROR disk full"}
    in_seconds = {"timestamp": ms(dt.datetime(2026, 3, 10, 12)) // 1000, "message": "ERROR disk full"}
    (tmp_path / "g").mkdir()
    path = write_day(tmp_path / "g" / f"{day}.json", [good, in_seconds])
    other = write_day(tmp_path / f"{day}.json", [good])
    files = [("/g", path), ("/other", other)]

    def counted(as_of: dt.datetime) -> list[str]:
        start, end = cloudwatch.window(as_of, 14)
        with duckdb.connect() as conn:
            groups, problems = cloudwatch.aggregate(conn, files, start, end, RULES.cloudwatch)
        assert sum(g["events"] for g in groups) == 2  # the good events of both files
        return problems

    first, second = counted(dt.datetime(2026, 3, 12)), counted(dt.datetime(2026, 3, 13))
    assert first == second and len(first) == 1 and "/g: 1 event(s) in 2026-03-10.json" in first[0]
    write_day(path, [good, in_seconds, {"timestamp": None, "message": "ERROR no time"}])
    [again] = counted(dt.datetime(2026, 3, 14))
    assert "/g: 2 event(s) in 2026-03-10.json" in again


def latest_episode(moments, quiet=dt.timedelta(hours=72)):
    """The first event of the latest run of ``moments`` with no gap of ``quiet`` or more (plain Python)."""
    moments = sorted(moments)
    begin = moments[0]
    for earlier, later in zip(moments, moments[1:]):
        begin = later if later - earlier >= quiet else begin
    return begin


def test_a_log_issue_is_created_at_the_first_event_of_its_episode_looking_back_as_far_as_needed(tmp_path):
    d = dt.datetime
    stories = {  # message -> event times, all before the review's instant
        "ERROR chronic": [d(2026, 1, 30)] + [d(2026, 2, 5) + dt.timedelta(hours=47 * i) for i in range(16)],
        "ERROR came back": [d(2026, 2, 28), d(2026, 3, 2), d(2026, 3, 10)],  # a new episode inside the window
        "ERROR late": [d(2026, 2, 27), d(2026, 3, 5)],  # quiet 6 days before its first event in the window
        "ERROR old": [d(2026, 2, 1), d(2026, 2, 20)],  # nothing in the window: no issue
    }
    days = {}
    for message, moments in stories.items():
        for moment in moments:
            days.setdefault(moment.date(), []).append({"timestamp": ms(moment), "message": message})
    folder = tmp_path / "g"
    folder.mkdir()
    for day, events in days.items():
        write_day(folder / f"{day}.json", events)

    def log_files(lo, hi):
        paths = [folder / f"{day}.json" for day in cloudwatch.window_days(lo, hi)]
        return [("/g", p) for p in paths if p.exists()], []

    start, end = cloudwatch.window(AS_OF, 14)
    files, _ = log_files(start, end)
    broken = tmp_path / "broken.json"
    broken.write_text("[{not json")
    for window_files in (files, files + [("/g", broken)]):  # one read of all the files, and file by file
        with duckdb.connect() as conn:
            groups, _ = cloudwatch.aggregate(conn, window_files, start, end, RULES.cloudwatch)
            starts, problems = episode_starts(conn, groups, start, log_files, RULES.cloudwatch)
        issues = {i.source_ref.split("|")[1]: i for i in log_issues(groups, AS_OF, RULES.cloudwatch, starts)}
        assert set(issues) == {"ERROR chronic", "ERROR came back", "ERROR late"} and problems == []
        for message, issue in issues.items():
            assert issue.created_at == latest_episode([m for m in stories[message] if m < AS_OF]), message
        assert issues["ERROR chronic"].created_at == d(2026, 2, 5)  # three look-back windows before the review's
    # a bound on the look-back is said, and the creation is the first event within it
    bounded = {**RULES.cloudwatch, "episode_lookback_days": 20}
    with duckdb.connect() as conn:
        groups, _ = cloudwatch.aggregate(conn, files, start, end, bounded)
        starts, problems = episode_starts(conn, groups, start, log_files, bounded)
    limit = start - dt.timedelta(days=20)
    chronic = [m for m in stories["ERROR chronic"] if m >= limit]
    assert starts[("/g", "ERROR chronic")] == ms(min(chronic))
    assert len(problems) == 1 and "1 issue(s) already active 20 days before the log window" in problems[0]


def test_an_episode_open_at_the_last_review_that_ended_keeps_its_row_and_its_time_to_close(tmp_path):
    """Events of one pattern: 03-02, 03-03 (open at a review on 03-05 10:00), 03-05 12:00, quiet for 108 h, then one
    event on 03-10. The 03-15 review's window holds both episodes: the first is its own row, resolved at 03-05
    12:00 after 84 h (03-02 00:00 -> 03-05 12:00), counted once as resolved with that time; the 03-10 one is the
    issue's latest, new. Neither is "recurred" (resolved with no time known) nor counted twice."""
    d = dt.datetime
    first = [d(2026, 3, 2), d(2026, 3, 3), d(2026, 3, 5, 12)]
    events = [{"timestamp": ms(t), "message": "ERROR disk full"} for t in first + [d(2026, 3, 10)]]
    folder = tmp_path / "g"
    folder.mkdir()
    for e in events:
        day = dt.datetime.fromtimestamp(e["timestamp"] / 1000, dt.timezone.utc).date()
        path = folder / f"{day}.json"
        write_day(path, (json.loads(path.read_text()) if path.exists() else []) + [e])

    def found(as_of):
        start, end = cloudwatch.window(as_of, 14)
        files = [("/g", p) for p in sorted(folder.glob("*.json"))]
        with duckdb.connect() as conn:
            groups, _ = cloudwatch.aggregate(conn, files, start, end, RULES.cloudwatch)
            starts, _ = episode_starts(conn, groups, start, lambda lo, hi: ([], []), RULES.cloudwatch)
        return log_issues(groups, as_of, RULES.cloudwatch, starts)

    p1 = ReviewPeriod(d(2026, 2, 20, 10), d(2026, 3, 5, 10))
    p2 = ReviewPeriod(d(2026, 3, 5, 10), d(2026, 3, 15, 10))
    before = build_inventory(found(p1.end), RULES, p1)
    assert list(before["state"]) == ["open"] and list(before["event_count"]) == [2]
    issues = found(p2.end)
    assert [(i.created_at, i.resolved_at, i.event_count) for i in issues] == [
        (d(2026, 3, 2), d(2026, 3, 5, 12), 3), (d(2026, 3, 10), d(2026, 3, 10), 1)]
    assert issues[0].source_ref == "/g|ERROR disk full|since-20260302T000000"
    assert issues[1].fingerprint == before["fingerprint"].iloc[0]  # the issue itself keeps its fingerprint
    now = build_inventory(issues, RULES, p2)
    changes = trend(now, before, p2).set_index("fingerprint")["change"].to_dict()
    assert changes == {issues[0].fingerprint: "resolved", issues[1].fingerprint: "new_resolved"}
    stats = resolution_stats(now, trend(now, before, p2), p2, previous=before).set_index(["dimension", "value"])
    assert stats.loc[("all", "all"), ["open", "new", "resolved"]].tolist() == [0, 1, 2]
    # times to close: 84 h and 0 h (a single event): mean 42 h, never "0 h, and one unknown"
    assert stats.loc[("all", "all"), "avg_hours_to_close"] == 42.0


def test_a_review_reads_its_whole_period_from_the_project_start_on():
    # a project started on the 20th: its first review period began on the 15th, before the project, and its
    # days before the start are no missing day files; a later 16-day period is read whole, a 14-day one too
    first = cloudwatch.review_window(dt.datetime(2026, 3, 15, 10), dt.datetime(2026, 4, 1, 10), 14, dt.date(2026, 3, 20))
    assert first == (dt.datetime(2026, 3, 20), dt.datetime(2026, 4, 1, 10))
    later = cloudwatch.review_window(dt.datetime(2026, 4, 15, 10), dt.datetime(2026, 5, 1, 10), 14, dt.date(2026, 3, 20))
    assert later == (dt.datetime(2026, 4, 15, 10), dt.datetime(2026, 5, 1, 10))
    assert cloudwatch.review_window(dt.datetime(2026, 3, 2, 10), AS_OF, 14, None) == (dt.datetime(2026, 3, 1, 10), AS_OF)
