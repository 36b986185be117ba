"""The 360's "Latest Ensemble R² per horizon" is the plan week's, as every plan figure of the assessment
(README, Stage 10.8): its mean is the Goal alignment's R², never an evaluation made after the plan week."""

import datetime as dt

import duckdb

from bqx_ops.assessment.evidence import _ensemble_by_horizon

WEEK = dt.datetime(2019, 12, 20, 16)  # the plan week the final of Friday 2019-12-27 09:00 reads


def test_the_per_horizon_table_is_the_plan_weeks_not_the_instants():
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA airtable")
        conn.execute("CREATE TABLE airtable.raw_records AS SELECT * FROM (VALUES (TIMESTAMP '2019-12-19'), "
                     "(TIMESTAMP '2019-12-26')) t(snapshot_date)")
        conn.execute("CREATE TABLE airtable.model_results (snapshot_date TIMESTAMP, record_id VARCHAR, "
                     "result_id VARCHAR, model VARCHAR, horizon VARCHAR, evaluated_on TIMESTAMP, r2 DOUBLE)")
        rows = [("2019-12-19", "r1", "Stack/h24/12-18", "Ensemble", "h24", "2019-12-18", 0.654),
                ("2019-12-19", "r2", "Stack/h168/12-18", "Ensemble", "h168", "2019-12-18", 0.614),
                ("2019-12-19", "r3", "gbm/h24/12-18", "gbm", "h24", "2019-12-18", 0.9),
                # the next snapshot: the week's results again, and the evaluation of 12-25 (after the week)
                ("2019-12-26", "r1", "Stack/h24/12-18", "Ensemble", "h24", "2019-12-18", 0.654),
                ("2019-12-26", "r2", "Stack/h168/12-18", "Ensemble", "h168", "2019-12-18", 0.614),
                ("2019-12-26", "r4", "Stack/h24/12-25", "Ensemble", "h24", "2019-12-25", 0.66),
                ("2019-12-26", "r5", "Stack/h168/12-25", "Ensemble", "h168", "2019-12-25", 0.62)]
        conn.executemany("INSERT INTO airtable.model_results VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        best = _ensemble_by_horizon(conn, WEEK)
        assert _ensemble_by_horizon(conn, None) == {}
    assert {h: (r["r2"], str(r["evaluated_on"])) for h, r in best.items()} == {
        "h24": (0.654, "2019-12-18"), "h168": (0.614, "2019-12-18")}
    assert round(sum(r["r2"] for r in best.values()) / 2, 4) == 0.634  # the plan week's R² current
