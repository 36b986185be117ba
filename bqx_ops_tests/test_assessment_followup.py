"""The approval follow-through at any instant, the three weeks' versions and the upsert grouping (pure)."""

import datetime as dt

from bqx_ops.assessment import approval as ap
from bqx_ops.assessment.proposals import upserts
from bqx_ops.assessment.versions import DRAFT, FINAL, REFRESH, due, versions

UTC = dt.timezone.utc
ASKED = dt.datetime(2026, 6, 26, 9, tzinfo=UTC)
UPDATE = {"table": "Stages", "key_field": "Stage ID", "key": "4.2", "field": "Estimated Cost", "value": 12.5}


def test_pending_is_fine_for_a_week_then_overdue():
    pending = ap.answer_of({"Title": ap.approval_title("Q2-2026")})  # the request record, no Approval yet
    assert pending.status == ap.PENDING
    assert ap.follow_through(ASKED, pending, [], ASKED + dt.timedelta(days=6, hours=23)) == ap.ON_TIME
    assert ap.follow_through(ASKED, pending, [], ASKED + dt.timedelta(days=7, seconds=1)) == ap.OVERDUE
    assert ap.OVERDUE in ap.FAILING and ap.ON_TIME not in ap.FAILING


def test_approved_updates_must_show_within_a_week_and_a_rejection_owes_nothing():
    approved = ap.answer_of({"Approval": "Approved", "Decided By": "RM-001", "Last Modified": "2026-06-30T10:00:00Z"})
    missing = ap.missing_updates([UPDATE], {("Stages", "4.2"): {"Estimated Cost": 10.0}})
    assert missing == [{**UPDATE, "found": 10.0}]
    assert ap.follow_through(ASKED, approved, missing, ASKED + dt.timedelta(days=3)) == ap.WAITING
    assert ap.follow_through(ASKED, approved, missing, ASKED + dt.timedelta(days=8)) == ap.NOT_APPLIED
    applied = ap.missing_updates([UPDATE], {("Stages", "4.2"): {"Estimated Cost": 12.5}})
    assert applied == [] and ap.follow_through(ASKED, approved, applied, ASKED + dt.timedelta(days=30)) == ap.APPLIED
    rejected = ap.answer_of({"Approval": "Rejected"})
    assert ap.follow_through(ASKED, rejected, [], ASKED + dt.timedelta(days=30)) == ap.DECLINED
    assert ap.answer_of({"Approval": "Maybe"}).status == ap.PENDING  # an unknown answer is no answer


def test_four_versions_three_weeks_apart_ending_on_the_final():
    got = versions(ASKED)
    assert [(v.kind, v.instant.date().isoformat(), v.number) for v in got] == [
        (DRAFT, "2026-06-05", 1), (REFRESH, "2026-06-12", 2), (REFRESH, "2026-06-19", 3), (FINAL, "2026-06-26", 4)]
    assert [v.number for v in due(ASKED, dt.datetime(2026, 6, 12, 9, tzinfo=UTC))] == [1, 2]
    assert due(ASKED, dt.datetime(2026, 6, 5, 8, 59, tzinfo=UTC)) == []
    assert "DRAFT 1 of 3" in got[0].banner and "FINAL" in got[3].banner and "weekly refresh" in got[2].banner


def test_updates_are_one_upsert_per_table_with_one_record_per_key():
    rows = [UPDATE, {**UPDATE, "field": "Estimated Days", "value": 4},
            {**UPDATE, "key": "3.1", "value": 7.0},
            {"table": "Plans", "key_field": "Plan ID", "key": "P-1", "field": "Estimated Budget", "value": 700.0}]
    assert upserts(rows) == [
        {"table": "Plans", "merge_on": ["Plan ID"], "records": [{"Plan ID": "P-1", "Estimated Budget": 700.0}]},
        {"table": "Stages", "merge_on": ["Stage ID"], "records": [
            {"Stage ID": "3.1", "Estimated Cost": 7.0},
            {"Stage ID": "4.2", "Estimated Cost": 12.5, "Estimated Days": 4}]},
    ]
