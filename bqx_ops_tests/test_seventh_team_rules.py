"""Pure tests of the defects the seventh team's base (bqx_ops_tests/seventh_base.py, test_seventh_team.py) found:
each builds the smallest input that shows the defect, with expectations worked out by hand."""

import datetime as dt

import pytest

def test_a_stage_moved_between_phases_is_a_structure_change():
    from bqx_ops.docs_sync.changelog import sections
    from bqx_ops.docs_sync.snapshot import Snapshot

    phases = [{"record_id": "recA", "phase_id": "A", "number": 1, "name": "Alpha", "status": "In Progress"},
              {"record_id": "recB", "phase_id": "B", "number": 2, "name": "Beta", "status": "Todo"}]
    stage = {"record_id": "recS", "stage_id": "1.2", "name": "Move me", "status": "In Progress", "phase_id": "recA"}
    before = Snapshot(dt.date(2024, 1, 1), {"phases": phases, "stages": [stage]})
    after = Snapshot(dt.date(2024, 1, 8), {"phases": phases, "stages": [{**stage, "phase_id": "recB"}]})
    assert dict(sections(before, after))["Plan structure"] == [
        "- stage moved: 1.2 Move me: Phase 1 – Alpha → Phase 2 – Beta"]
    assert dict(sections(before, before))["Plan structure"] == []


def test_the_latest_ensemble_r2_is_listed_by_horizon_in_natural_order():
    import pandas as pd

    from bqx_ops.plan_update import r2

    rows = [{"record_id": f"r{h}", "result_id": f"E-{h}", "model": "Ensemble", "horizon": h,
             "evaluated_on": pd.Timestamp("2024-01-04"), "r2": 0.5} for h in ("J+30", "J+14", "J+3", "J+1", "w7")]
    assert list(r2.latest_ensemble(pd.DataFrame(rows), dt.date(2024, 1, 5))) == ["J+1", "J+3", "J+14", "J+30", "w7"]


def test_the_risk_rationale_counts_one_issue_in_the_singular():
    from bqx_ops.assessment.score import QuarterInputs, risk

    one = ({"priority": "P1", "fingerprint": "x"},)
    text = risk(QuarterInputs(open_issues=one)).rationale
    assert text == "1 open high-priority (P0/P1) issue vs target < 5"


def test_live_drift_is_counted_once_in_the_first_week_that_shows_it():
    import duckdb

    from bqx_ops.dashboard.read import facts

    def week(k):  # plan week k: Friday 2024-01-05 + k weeks, 16:00 .. the next Friday; its Tuesday snapshot
        start = dt.datetime(2024, 1, 5, 16) + dt.timedelta(weeks=k)
        return start, start + dt.timedelta(weeks=1), (start + dt.timedelta(days=4)).date()
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA plan")
        conn.execute("CREATE TABLE plan.dashboard (period_start TIMESTAMP, period_end TIMESTAMP, snapshot_date TIMESTAMP)")
        conn.execute("CREATE TABLE plan.r2_drops (period_start TIMESTAMP, period_end TIMESTAMP, evaluated_on TIMESTAMP)")
        for k in range(3):
            start, end, snap = week(k)
            conn.execute("INSERT INTO plan.dashboard VALUES (?, ?, ?)", [start, end, snap])
        # a drop evaluated on Thursday of week 0 (after its Tuesday snapshot): first listed by week 1's table
        for k in (1, 2):
            start, end, _ = week(k)
            conn.execute("INSERT INTO plan.r2_drops VALUES (?, ?, ?)", [start, end, dt.date(2024, 1, 11)])
        seen = [facts(conn, (week(k)[1] + dt.timedelta(days=2, hours=17)).replace(tzinfo=dt.timezone.utc)).drops
                for k in range(3)]
    assert seen == [0, 1, 0]


def test_a_horizon_added_does_not_turn_the_r2_trend_down():
    import duckdb

    from bqx_ops.dashboard.indicators import Facts, indicators, week_trend
    from bqx_ops.dashboard.read import _r2_change

    weeks = [dt.datetime(2024, 1, 5, 16), dt.datetime(2024, 1, 12, 16)]
    # week 0: h1 0.70, h2 0.60; week 1: both +0.01 and a new h3 at 0.40 (mean 0.65 -> 0.57)
    rows = [(weeks[0], "h1", 0.70), (weeks[0], "h2", 0.60), (weeks[1], "h1", 0.71), (weeks[1], "h2", 0.61),
            (weeks[1], "h3", 0.40)]
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA plan")
        conn.execute("CREATE TABLE plan.dashboard (period_start TIMESTAMP, period_end TIMESTAMP)")
        conn.executemany("INSERT INTO plan.dashboard VALUES (?, ?)", [[w, w + dt.timedelta(weeks=1)] for w in weeks])
        conn.execute("CREATE TABLE plan.r2_evaluations (period_start TIMESTAMP, period_end TIMESTAMP, model VARCHAR, "
                     "horizon VARCHAR, evaluated_on TIMESTAMP, result_id VARCHAR, record_id VARCHAR, r2 DOUBLE)")
        conn.executemany("INSERT INTO plan.r2_evaluations VALUES (?, ?, 'Ensemble', ?, ?, ?, ?, ?)",
                         [[w, w + dt.timedelta(weeks=1), h, w + dt.timedelta(days=1), f"{w}{h}", f"r{w}{h}", v]
                          for w, h, v in rows])
        tables = {"plan.dashboard", "plan.r2_evaluations"}
        change = _r2_change(conn, tables, weeks[1])
        assert change == pytest.approx(0.01) and _r2_change(conn, tables, weeks[0]) is None
    at = dt.datetime(2024, 1, 22, 9, tzinfo=dt.timezone.utc)

    def r2(facts):
        return next(i for i in indicators(facts) if i.metric == "R² (Ensemble)")
    before = r2(Facts(as_of=at - dt.timedelta(weeks=1), r2=0.65, r2_target=0.5))
    assert week_trend(r2(Facts(as_of=at, r2=0.57, r2_target=0.5, r2_change=change)), before) == "↑"
    assert week_trend(r2(Facts(as_of=at, r2=0.57, r2_target=0.5)), before) == "↓"  # same horizons: as they are


def test_a_cost_overrun_title_is_never_rounded_onto_its_priority_threshold():
    """The seventh base's 3.4 ran 24.9995% over ($1,281.62 vs $1,025.30: P2) and 7.2 25.0003% ($1,844.88 vs
    $1,475.90: P1): both titles read 'over its estimate by 25%', one P1 and one P2 (the display rule: a figure
    is never rounded onto the threshold it is judged against)."""
    import pandas as pd

    from bqx_ops.issue_review.derived import cost_issues

    stages = pd.DataFrame([
        {"record_id": "s34", "stage_id": "3.4", "name": "Steg 3.4", "phase_id": "recF3", "status": "Done",
         "estimated_cost": 1025.30, "realized_cost": 1281.62, "completed_date": pd.Timestamp("2022-02-09")},
        {"record_id": "s72", "stage_id": "7.2", "name": "Steg 7.2", "phase_id": "recF8", "status": "Done",
         "estimated_cost": 1475.90, "realized_cost": 1844.88, "completed_date": pd.Timestamp("2022-06-09")}])
    config = {"category": "Cost Overruns", "escalations": [(25, "P1"), (15, "P2")]}
    found = {f.source_ref: f for f in cost_issues(stages, pd.DataFrame(), pd.DataFrame(), config)}
    p2, p1 = found["cost_overrun/s34"], found["cost_overrun/s72"]
    assert (p2.priority, p1.priority) == ("P2", "P1")
    assert 100 * (1281.62 - 1025.30) / 1025.30 < 25 < 100 * (1844.88 - 1475.90) / 1475.90
    assert p2.title == "Stage 3.4 Steg 3.4 over its estimate by 24.9995% ($1,281.62 vs $1,025.30)"
    assert p1.title == "Stage 7.2 Steg 7.2 over its estimate by 25.0003% ($1,844.88 vs $1,475.90)"
    assert p2.detail == "variance $256.32 (+24.9995%)"


def test_the_reduce_scope_reason_never_rounds_the_overrun_onto_its_limit():
    """A budget variance of +25.01% (over the 25% limit) read 'budget overrun +25.0% > 25%'."""
    from bqx_ops.assessment.score import Dimension, QuarterInputs, decide

    dims = tuple(Dimension(f"d{k}", 95.0, "scored", "") for k in range(5))
    why = decide(95.0, dims, QuarterInputs(budget={"variance_pct": 25.01})).reasons
    assert "budget overrun +25.01% > 25%" in why


def test_month_figures_count_the_previous_month_from_a_start_inside_it():
    from bqx_ops.dashboard.costs import CostRow, month_figures

    rows = [CostRow(dt.date(2021, 11, d), "S", 2.5) for d in range(1, 30)] + [CostRow(dt.date(2021, 11, 30), "S", 16.0)]
    rows += [CostRow(dt.date(2021, 12, d), "S", 10.0) for d in range(1, 6)]
    at = dt.datetime(2021, 12, 6, 9)
    got = month_figures(rows, at, start=dt.date(2021, 11, 30))
    assert (got["previous_month"], got["previous_since"], got["like_days"]) == (16.0, dt.date(2021, 11, 30), None)
    assert got["month_to_date"] == 50.0
    whole = month_figures(rows, at, start=dt.date(2021, 10, 4))  # a start before the previous month: all of it
    assert (whole["previous_month"], whole["previous_since"], whole["like_days"]) == (29 * 2.5 + 16.0, None, 12.5)

