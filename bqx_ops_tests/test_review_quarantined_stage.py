"""A stage quarantined in the review's snapshot (a Status no option allows) is its last valid version in the
issues derived from the plan, as in the plan update: its delay stays open and is resolved when it completes,
never vanishes for the weeks it is bad. A hand-built base landed through the real assets."""

import datetime as dt

import duckdb

from bqx_ops.issue_review.collect import airtable_found
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.rules import load_rules
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.test_docs_sync import land

D1, D2, D3 = dt.date(2025, 8, 18), dt.date(2025, 8, 25), dt.date(2025, 9, 1)


def late_base() -> dict:
    # 1.1 started 2025-08-01 with 3 working days: late from Wednesday 08-06, over 10 working days by 08-18: P1
    return edit(minimal_base(), "Stages", "recSTAGE000000002", Start_Date="2025-08-01", Estimated_Days=3)


def delays(data_dir, start: dt.datetime, end: dt.datetime):
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb")) as conn:
        found, _, _ = airtable_found(conn, ReviewPeriod.of(start, end), load_rules(path=""))
    return [(f.stage_record_id, f.priority, f.created_at, f.resolved_at) for f in found if f.kind == "timeline_delay"]


def test_a_late_stage_quarantined_at_the_review_stays_late_and_resolves_when_done(tmp_path):
    data_dir = tmp_path / "data"
    write_snapshot(data_dir, D1, late_base())
    write_snapshot(data_dir, D2, edit(late_base(), "Stages", "recSTAGE000000002", Status="Blocked"))
    write_snapshot(data_dir, D3, edit(late_base(), "Stages", "recSTAGE000000002", Status="Done",
                                      Completed_Date="2025-08-29", Realized_Cost=41))
    land(data_dir, D1, D3)
    late = dt.datetime(2025, 8, 6)
    # as of 08-26 (snapshot 08-25: quarantined, its 08-18 version In Progress stands): open
    assert delays(data_dir, dt.datetime(2025, 8, 19, 10), dt.datetime(2025, 8, 26, 10)) == [
        ("recSTAGE000000002", "P1", late, None)]
    # the next period: Done on 08-29, so resolved then (it was open at the period's start, quarantined)
    assert delays(data_dir, dt.datetime(2025, 8, 26, 10), dt.datetime(2025, 9, 2, 10)) == [
        ("recSTAGE000000002", "P1", late, dt.datetime(2025, 8, 29))]
