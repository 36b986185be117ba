"""Issues derived from the plan tables (R² drops, cost overruns, timeline delays), pure."""

import datetime as dt

import pandas as pd

from bqx_ops.config import RecurringStagesSection
from bqx_ops.issue_review.derived import cost_issues, done_since, r2_issues, reopened_days, timeline_issues
from bqx_ops.issue_review.model import fingerprint
from bqx_ops.issue_review.rules import load_rules

DERIVED = load_rules(path="").derived


def results(*rows):
    return pd.DataFrame([{"record_id": f"rec{i}", "result_id": f"R{i}", "model": m, "horizon": h,
                          "evaluated_on": pd.Timestamp(day), "r2": r2} for i, (m, h, day, r2) in enumerate(rows)])


def test_an_r2_drop_above_005_is_a_p1_until_a_later_evaluation_recovers():
    found = r2_issues(results(("Ensemble", "w60", "2025-12-15", 0.90), ("Ensemble", "w60", "2025-12-29", 0.83),
                              ("Ensemble", "w60", "2026-01-05", 0.84), ("Ensemble", "w60", "2026-01-12", 0.86),
                              ("LSTM", "w15", "2026-01-05", 0.80), ("LSTM", "w15", "2026-01-12", 0.75)), DERIVED["r2_drop"])
    assert [(f.priority, f.category, f.created_at.date(), f.resolved_at and f.resolved_at.date()) for f in found] == [
        ("P1", "Model Performance", dt.date(2025, 12, 29), dt.date(2026, 1, 12))]  # 0.05 exactly is not a drop


def stages(*rows):
    keys = ("record_id", "stage_id", "name", "phase_id", "status", "owner", "estimated_cost", "realized_cost",
            "start_date", "completed_date", "estimated_days")
    return pd.DataFrame([dict(zip(keys, r)) for r in rows])


def test_cost_overruns_are_ranked_by_variance_and_close_with_their_phase_or_their_task():
    s = stages(("recA", "7.1", "TFT", "recP7", "Done", "ML-001", 40, 54, None, pd.Timestamp("2026-01-09"), 5),
               ("recB", "7.2", "Tuning", "recP7", "Done", "ML-001", 40, 47, None, pd.Timestamp("2026-01-10"), 5),
               ("recC", "7.3", "Export", "recP7", "Done", "ML-001", 40, 45, None, pd.Timestamp("2026-01-11"), 5),
               ("recD", "8.1", "Stack", "recP8", "Done", "ARCH-001", 20, 30, None, pd.Timestamp("2026-01-20"), 5))
    phases = pd.DataFrame([{"record_id": "recP7", "status": "Done", "end_date": pd.Timestamp("2026-01-16")},
                           {"record_id": "recP8", "status": "In Progress", "end_date": None}])
    found = {f.stage_record_id: f for f in cost_issues(s, phases, None, DERIVED["cost_overrun"])}
    assert sorted(found) == ["recA", "recB", "recD"]  # 7.3 is +12.5%: inside the ±15% band
    assert (found["recA"].priority, found["recB"].priority, found["recD"].priority) == ("P1", "P2", "P1")
    assert found["recA"].resolved_at == dt.datetime(2026, 1, 16) and found["recD"].resolved_at is None
    assert found["recA"].created_at == dt.datetime(2026, 1, 9) and found["recD"].stage_owner == "ARCH-001"
    tasks = pd.DataFrame([{"task_key": fingerprint("derived", "cost_overrun/recD"), "status": "Done",
                           "last_modified": pd.Timestamp("2026-01-27 09:00")}])
    [closed] = [f for f in cost_issues(s, phases, tasks, DERIVED["cost_overrun"]) if f.stage_record_id == "recD"]
    assert closed.resolved_at == dt.datetime(2026, 1, 27)


def test_a_cost_overrun_closes_with_a_done_phase_that_has_no_end_date():
    """A base that never fills a phase's End Date: the phase is Done all the same, so the overrun closes
    when the phase was last modified (else at its snapshot), never stays open for ever."""
    s = stages(("recA", "2.2", "LSTM", "recP2", "Done", "ML-001", 100, 130, None, pd.Timestamp("2023-01-20"), 5))
    phases = pd.DataFrame([{"record_id": "recP2", "status": "Done", "end_date": None,
                            "last_modified": pd.Timestamp("2023-02-10 08:00"), "snapshot_date": pd.Timestamp("2023-03-31")}])
    [found] = cost_issues(s, phases, None, DERIVED["cost_overrun"])
    assert found.created_at == dt.datetime(2023, 1, 20) and found.resolved_at == dt.datetime(2023, 2, 10)
    no_stamp = phases.assign(last_modified=None)
    [found] = cost_issues(s, no_stamp, None, DERIVED["cost_overrun"])
    assert found.resolved_at == dt.datetime(2023, 3, 31)
    still = phases.assign(status="In Progress")
    assert cost_issues(s, still, None, DERIVED["cost_overrun"])[0].resolved_at is None


def test_a_cost_overrun_closes_when_its_phase_was_first_seen_done_not_at_its_latest_edit():
    """Phase recP2 (no End Date) is In Progress on 02-13, Done from the 02-15 snapshot on; the 03-14 snapshot
    has it edited that day (Last Modified moves with every edit, the plan update's write-back included). The
    overrun closed on 02-15: dated by the latest edit it would be resolved again in every later review."""
    s = stages(("recA", "2.2", "LSTM", "recP2", "Done", "ML-001", 100, 130, None, pd.Timestamp("2023-01-20"), 5))
    history = pd.DataFrame([{"snapshot_date": pd.Timestamp(d), "table": "Phases", "record_id": "recP2", "status": st}
                            for d, st in [("2023-02-13", "In Progress"), ("2023-02-15", "Done"),
                                          ("2023-03-01", "Done"), ("2023-03-14", "Done")]])
    assert done_since(history) == {"recP2": dt.date(2023, 2, 15)}
    phases = pd.DataFrame([{"record_id": "recP2", "status": "Done", "end_date": None,
                            "last_modified": pd.Timestamp("2023-03-14 08:00"), "snapshot_date": pd.Timestamp("2023-03-14")}])
    [found] = cost_issues(s, phases, None, DERIVED["cost_overrun"], done_since(history))
    assert found.resolved_at == dt.datetime(2023, 2, 15)
    # re-opened, then Done again: closed at the start of the latest Done run
    again = pd.concat([history, history.assign(snapshot_date=pd.Timestamp("2023-03-20"), status="In Progress"),
                       history.assign(snapshot_date=pd.Timestamp("2023-03-22"), status="Done")]).drop_duplicates()
    assert done_since(again) == {"recP2": dt.date(2023, 3, 22)}


def test_a_reopened_stage_is_late_from_its_reopening_never_while_it_was_done():
    """Started 12-12 with 10 days, Done 12-23, In Progress again from the 01-04 snapshot: past its estimate
    by its Start Date since 12-26, but it was Done then; the delay opens at the re-opening."""
    history = pd.DataFrame([{"snapshot_date": pd.Timestamp(d), "table": "Stages", "record_id": rid, "status": st}
                            for d, rid, st in [("2022-12-21", "recR", "In Progress"), ("2022-12-23", "recR", "Done"),
                                               ("2023-01-02", "recR", "Done"), ("2023-01-04", "recR", "In Progress"),
                                               ("2023-01-06", "recR", "In Progress"),
                                               ("2023-01-04", "recN", "In Progress")]])
    assert reopened_days(history) == {"recR": [dt.date(2023, 1, 4)]}
    now = stages(("recR", "2.2", "LSTM", "recP2", "In Progress", "ML-001", 10, None, pd.Timestamp("2022-12-12"), None, 10),
                 ("recN", "2.4", "Plain", "recP2", "In Progress", "ML-001", 10, None, pd.Timestamp("2022-12-12"), None, 10))
    rules = {**DERIVED["timeline"], "reopened": reopened_days(history)}
    by_stage = {f.stage_record_id: f for f in timeline_issues(now, dt.date(2023, 1, 13), None, None, rules)}
    assert by_stage["recR"].created_at == dt.datetime(2023, 1, 4)
    assert by_stage["recN"].created_at == dt.datetime(2022, 12, 26)  # never Done: late by its start
    # a look before the re-opening does not use it
    early = {f.stage_record_id: f for f in timeline_issues(now, dt.date(2022, 12, 30), None, None, rules)}
    assert early["recR"].created_at == dt.datetime(2022, 12, 26)


def test_a_stage_past_its_estimate_is_a_delay_until_it_completes_and_recurring_stages_are_not():
    before = stages(("recX", "5.2", "Search", "recP5", "In Progress", "ARCH-001", 10, None,
                     pd.Timestamp("2025-11-03"), None, 5),  # Mon; 5 working days -> late from Mon 11-10
                    ("recY", "5.3", "Spot", "recP5", "In Progress", "INFRA-001", 10, None,
                     pd.Timestamp("2025-11-03"), None, 2),
                    ("recO", "10.5", "Repository sync", "recP10", "In Progress", "COORD-001", 1, None,
                     pd.Timestamp("2025-11-10"), None, 1),
                    ("recW", "4.9", "Weekly operations review", "recP4", "In Progress", "COORD-001", 1, None,
                     pd.Timestamp("2025-11-10"), None, 1))
    now = before.copy()
    now.loc[0, ["status", "completed_date"]] = ["Done", pd.Timestamp("2025-11-20")]
    # the configuration names the recurring stages, by id or by name
    recurring = RecurringStagesSection(stage_ids=["10.5"], name_patterns=["operations review"])
    rules = {**DERIVED["timeline"], "recurring": recurring}
    found = timeline_issues(now, dt.date(2025, 12, 1), before, dt.date(2025, 11, 17), rules)
    by_stage = {f.stage_record_id: f for f in found}
    assert sorted(by_stage) == ["recX", "recY"]
    # without that rule they would be delays like any other
    plain = timeline_issues(now, dt.date(2025, 12, 1), before, dt.date(2025, 11, 17), DERIVED["timeline"])
    assert sorted(f.stage_record_id for f in plain) == ["recO", "recW", "recX", "recY"]
    assert by_stage["recX"].created_at == dt.datetime(2025, 11, 10)
    assert by_stage["recX"].resolved_at == dt.datetime(2025, 11, 20) and by_stage["recX"].priority == "P2"
    assert by_stage["recY"].created_at == dt.datetime(2025, 11, 5) and by_stage["recY"].resolved_at is None
    assert by_stage["recY"].priority == "P1"  # 19 working days over by 2025-12-01
    assert by_stage["recY"].title == "Stage 5.3 Spot past its estimate of 2 working days"
    one_day = {f.stage_record_id: f.title for f in plain}["recO"]  # a one-day estimate is "1 working day"
    assert one_day == "Stage 10.5 Repository sync past its estimate of 1 working day"


def test_a_delay_open_at_the_previous_review_resolves_inside_this_period_even_if_completed_before_it():
    # late since 11-10, open at the review of 11-15 10:00 (its snapshot: In Progress); Done with a Completed
    # Date of 11-14 entered later: resolved at that review's instant, so this review lists it with its time
    before = stages(("recX", "5.2", "Search", "recP5", "In Progress", "ARCH-001", 10, None,
                     pd.Timestamp("2025-11-03"), None, 5))
    now = before.copy()
    now.loc[0, ["status", "completed_date"]] = ["Done", pd.Timestamp("2025-11-14")]
    previous_review = dt.datetime(2025, 11, 15, 10)
    [found] = timeline_issues(now, dt.date(2025, 12, 1), before, previous_review.date(), DERIVED["timeline"],
                              since=previous_review)
    assert found.created_at == dt.datetime(2025, 11, 10) and found.resolved_at == previous_review


def test_a_stage_late_inside_the_period_and_done_by_its_end_is_a_delay_resolved_at_its_completion():
    # the previous review (11-01) saw it Not Started; a snapshot of Fri 11-07 sees it In Progress since Mon
    # 11-03 with an estimate of 2 working days (late from Wed 11-05); Done on Wed 11-12, before the review
    def stage(status, completed=None):
        return stages(("recL", "1.3", "Lambda", "recP1", status, "DATA-001", 10, None, pd.Timestamp("2025-11-03"),
                       completed, 2))
    previous = dt.datetime(2025, 11, 1, 10)
    before, friday, now = stage("Not Started"), stage("In Progress"), stage("Done", pd.Timestamp("2025-11-12"))
    assert timeline_issues(now, dt.date(2025, 11, 15), before, previous.date(), DERIVED["timeline"],
                           since=previous) == []  # the two ends alone never saw it late
    [found] = timeline_issues(now, dt.date(2025, 11, 15), before, previous.date(), DERIVED["timeline"],
                              since=previous, inside=[(dt.date(2025, 11, 7), friday)])
    assert (found.created_at, found.resolved_at) == (dt.datetime(2025, 11, 5), dt.datetime(2025, 11, 12))
    assert found.title == "Stage 1.3 Lambda past its estimate of 2 working days"
