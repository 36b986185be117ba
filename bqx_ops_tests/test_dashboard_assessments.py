"""Plan Alignment and 360 Assessments on the dashboard: from the final assessments made by the
instant (a quarter's final is as of its last Friday 09:00), approved or not (the approver's answer
is shown), against the quarters due while the project was running. Hand-written tables; the
expectations are counted here by hand."""

import datetime as dt

import duckdb
import pytest

from bqx_ops.dashboard.indicators import indicators
from bqx_ops.dashboard.read import facts

UTC = dt.timezone.utc
# last Fridays of Q3-2025, Q4-2025, Q1-2026 (09:00 UTC): the finals' instants
FINAL = {"Q3-2025": dt.datetime(2025, 9, 26, 9), "Q4-2025": dt.datetime(2025, 12, 26, 9),
         "Q1-2026": dt.datetime(2026, 3, 27, 9)}
START = {"Q3-2025": dt.datetime(2025, 7, 1), "Q4-2025": dt.datetime(2025, 10, 1), "Q1-2026": dt.datetime(2026, 1, 1)}


@pytest.fixture
def conn():
    with duckdb.connect() as c:
        c.execute("CREATE SCHEMA assessment; CREATE SCHEMA airtable")
        c.execute("CREATE TABLE assessment.quarterly_scores (quarter_start TIMESTAMP, as_of TIMESTAMP, quarter VARCHAR, "
                  "position INTEGER, dimension VARCHAR, overall DOUBLE)")
        rows = [("Q3-2025", FINAL["Q3-2025"], 71.5), ("Q4-2025", FINAL["Q4-2025"], 58.8),
                ("Q1-2026", dt.datetime(2026, 3, 13, 9), 93.0)]  # Q1-2026 only as its draft (2 weeks before)
        for quarter, as_of, overall in rows:
            for position in range(2):
                c.execute("INSERT INTO assessment.quarterly_scores VALUES (?, ?, ?, ?, 'd', ?)",
                          [START[quarter], as_of, quarter, position, overall])
        c.execute("CREATE TABLE airtable.decisions (snapshot_date TIMESTAMP, title VARCHAR, approval VARCHAR)")
        c.execute("INSERT INTO airtable.decisions VALUES "
                  "('2025-10-10', '360 assessment Q3-2025: approval request', 'Rejected'), "
                  "('2026-01-09', '360 assessment Q3-2025: approval request', 'Rejected'), "
                  "('2026-01-09', '360 assessment Q4-2025: approval request', 'Approved')")
        yield c


def shown(conn, when: dt.datetime, start: dt.date | None = dt.date(2025, 8, 18)) -> dict:
    return {i.metric: (i.current, i.status, i.value) for i in indicators(facts(conn, when.replace(tzinfo=UTC), start=start))}


def test_before_the_first_final_nothing_is_due_and_alignment_has_no_data(conn):
    got = shown(conn, dt.datetime(2025, 9, 22, 9))  # Q1 and Q2 2025 ended before the project started
    assert got["360 Assessments"][:2] == ("0/4 (0 due so far)", "✅")
    assert got["Plan Alignment"][0] == "no data (no final 360 assessment yet)" and got["Plan Alignment"][1] == "no data"


def test_a_final_counts_once_made_approved_or_not_and_names_its_answer(conn):
    got = shown(conn, dt.datetime(2025, 9, 29, 9))  # Q3 final made 09-26; no answer yet in the 09-29 snapshots
    assert got["360 Assessments"][:2] == ("1/4 (1 due so far)", "✅")
    assert got["Plan Alignment"] == ("71.5% (Q3-2025 final, awaiting approval)", "❌", 71.5)
    got = shown(conn, dt.datetime(2025, 10, 13, 9))
    assert got["Plan Alignment"][0] == "71.5% (Q3-2025 final, rejected)"
    got = shown(conn, dt.datetime(2026, 1, 12, 9))  # a new year: Q4-2025's final is latest, 2026 has none due
    assert got["Plan Alignment"] == ("58.8% (Q4-2025 final, approved)", "❌", 58.8)
    assert got["360 Assessments"][:2] == ("0/4 (0 due so far)", "✅")


def test_a_draft_is_not_a_final_and_a_missed_final_is_behind(conn):
    got = shown(conn, dt.datetime(2026, 3, 30, 9))  # Q1-2026 due 03-27, only its draft exists
    assert got["360 Assessments"][:2] == ("0/4 (1 due so far)", "⚠️")  # one behind
    assert got["Plan Alignment"][0] == "58.8% (Q4-2025 final, approved)"
    late = shown(conn, dt.datetime(2025, 12, 29, 9), start=dt.date(2025, 1, 6))  # a project running all year
    assert late["360 Assessments"][:2] == ("2/4 (4 due so far)", "❌")  # Q1, Q2 missed (no rows), Q3, Q4 made: two behind


def test_before_the_first_plan_week_the_r2_target_is_the_plans_own():
    """Monday 08-18 09:00, the plan's first day: no plan week has closed, so R² has no figure yet, but its
    target is the Plans record's R2 Target Min (0.9 here), never "no target"."""
    with duckdb.connect() as c:
        c.execute("CREATE SCHEMA airtable")
        c.execute("CREATE TABLE airtable.raw_records AS SELECT TIMESTAMP '2025-08-18' AS snapshot_date")
        c.execute("CREATE TABLE airtable.plans AS SELECT TIMESTAMP '2025-08-18' AS snapshot_date, 'recP' AS record_id, "
                  "'PL-1' AS plan_id, 'Active' AS status, 0.9 AS r2_target_min, 0.97 AS r2_target_max")
        got = {i.metric: i for i in indicators(facts(c, dt.datetime(2025, 8, 18, 9, tzinfo=UTC)))}
    assert got["R² (Ensemble)"].target == "> 0.90" and got["R² (Ensemble)"].current.startswith("no data")


@pytest.mark.parametrize("age, shown, status", [(0, "2023-10-27 (2.7 days ago)", "✅"),
                                                (35, "2023-09-22 (38.4 days ago)", "❌")])
def test_airtable_updates_count_from_the_snapshot_when_none_was_taken_in_the_plan_week(age, shown, status):
    """The plan week ending Friday 2023-10-27 16:00, read at Monday 10-30 09:00: with a snapshot in the week,
    2.7 days since the week's end; in a 5-week gap (its snapshot 35 days old, 2023-09-22 00:00), 38 days 9 h since
    Airtable was last seen updated."""
    with duckdb.connect() as c:
        c.execute("CREATE SCHEMA plan")
        c.execute("CREATE TABLE plan.dashboard AS SELECT TIMESTAMP '2023-10-20 16:00' AS period_start, "
                  "TIMESTAMP '2023-10-27 16:00' AS period_end, 0 AS position, "
                  "DATE '2023-10-27' - ?::INTEGER AS snapshot_date", [age])
        got = {i.metric: i for i in indicators(facts(c, dt.datetime(2023, 10, 30, 9, tzinfo=UTC)))}
    assert (got["Airtable Updates"].current, got["Airtable Updates"].status) == (shown, status)


@pytest.mark.parametrize("copy, shown_as", [("Rejected", "awaiting approval"), (None, "approved")],
                         ids=["copies answering differently", "an unanswered copy"])
def test_a_copied_approval_request_is_read_from_its_copies_together(conn, copy, shown_as):
    """Round 7 hostile input: the request duplicated in Airtable (the last row read answered alone)."""
    conn.execute("INSERT INTO airtable.decisions VALUES ('2026-01-09', '360 assessment Q4-2025: approval request', ?)",
                 [copy])
    got = shown(conn, dt.datetime(2026, 1, 12, 9))
    assert got["Plan Alignment"][0] == f"58.8% (Q4-2025 final, {shown_as})"
