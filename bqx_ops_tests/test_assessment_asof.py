"""The 360 assessment's open risks are those still open at its instant (issue #10 item 7): the latest
review can be up to two weeks older, and a stage that was past its estimate then may be Done by the
as-of snapshot."""

import datetime as dt

import duckdb

from bqx_ops.assessment.read import read_inputs, risks

START, WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2026, 3, 27, 9, tzinfo=dt.timezone.utc)
REVIEW_END = dt.datetime(2026, 3, 15, 10)


def base(conn, status_at_asof: str) -> None:
    conn.execute("CREATE SCHEMA airtable; CREATE SCHEMA review")
    conn.execute("CREATE TABLE airtable.raw_records AS SELECT * FROM (VALUES (TIMESTAMP '2026-03-13'), "
                 "(TIMESTAMP '2026-03-27')) t(snapshot_date)")
    conn.execute("CREATE TABLE airtable.stages (snapshot_date TIMESTAMP, record_id VARCHAR, status VARCHAR)")
    conn.execute("INSERT INTO airtable.stages VALUES ('2026-03-13', 'recS101', 'In Progress'), "
                 "('2026-03-13', 'recS102', 'In Progress'), ('2026-03-27', 'recS101', ?), "
                 "('2026-03-27', 'recS102', 'In Progress')", [status_at_asof])
    conn.execute("CREATE TABLE review.review_periods AS SELECT TIMESTAMP '2026-03-15 10:00' AS period_end")
    conn.execute("CREATE TABLE review.issue_inventory (period_end TIMESTAMP, fingerprint VARCHAR, priority VARCHAR, "
                 "untriaged BOOLEAN, title VARCHAR, owner VARCHAR, age_hours DOUBLE, url VARCHAR, source VARCHAR, "
                 "kind VARCHAR, stage_record_id VARCHAR, state VARCHAR, created_at TIMESTAMP)")
    rows = [("fp-101", "P1", "Stage 10.1 Sync past its estimate of 3 working days", "timeline_delay", "recS101"),
            ("fp-102", "P1", "Stage 10.2 Plan past its estimate of 3 working days", "timeline_delay", "recS102"),
            ("fp-cost", "P1", "Stage 10.1 cost overrun", "cost_overrun", "recS101")]
    for fp, prio, title, kind, stage in rows:
        conn.execute("INSERT INTO review.issue_inventory VALUES (?, ?, ?, false, ?, 'COORD-001', 400.0, '', "
                     "'derived', ?, ?, 'open', TIMESTAMP '2026-02-27 00:00')",
                     [REVIEW_END, fp, prio, title, kind, stage])
    conn.execute("CREATE TABLE review.sla_breaches AS SELECT * FROM (VALUES (TIMESTAMP '2026-03-15 10:00', 'fp-101', "
                 "'P1'), (TIMESTAMP '2026-03-15 10:00', 'fp-102', 'P1')) t(period_end, fingerprint, priority)")


def test_a_stage_done_by_the_as_of_snapshot_is_no_open_risk():
    with duckdb.connect() as conn:
        base(conn, "Done")
        inputs = read_inputs(conn, START, WHEN)
    titles = [r["title"] for r in risks(inputs)]
    assert not any(t.startswith("Stage 10.1 Sync past its estimate") for t in titles)
    # still open: the other overdue stage and the cost overrun of the Done stage (a Done stage keeps its overrun)
    assert sorted(r["fingerprint"] for r in inputs.open_issues) == ["fp-102", "fp-cost"]
    assert [b["fingerprint"] for b in inputs.breaches] == ["fp-102"]


def test_a_stage_still_in_progress_stays_a_risk():
    with duckdb.connect() as conn:
        base(conn, "In Progress")
        inputs = read_inputs(conn, START, WHEN)
    assert sorted(r["fingerprint"] for r in inputs.open_issues) == ["fp-101", "fp-102", "fp-cost"]
