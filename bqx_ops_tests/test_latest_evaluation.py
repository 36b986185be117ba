"""One definition of "the latest evaluation per model and horizon" (issue #10 item 6): the plan
update's current R², the CHANGELOG's R² changes and docs/models.md agree, ties included."""

import datetime as dt

import pandas as pd

from bqx_ops.docs_sync.changelog import weekly_entry
from bqx_ops.docs_sync.models import latest_models
from bqx_ops.docs_sync.snapshot import Snapshot
from bqx_ops.plan_update import r2

DAY = pd.Timestamp("2026-03-09")
# two Ensemble w15 evaluations on one day: by record id recA < recB, by Result ID R-2 > R-1.
# Evaluated On, then Result ID, then record id: R-2 (recA, R² 0.90) is the latest.
ROWS = [
    {"record_id": "recB", "result_id": "R-1", "model": "Ensemble", "horizon": "w15", "evaluated_on": DAY, "r2": 0.95},
    {"record_id": "recA", "result_id": "R-2", "model": "Ensemble", "horizon": "w15", "evaluated_on": DAY, "r2": 0.90},
    {"record_id": "recC", "result_id": "R-0", "model": "Ensemble", "horizon": "w15",
     "evaluated_on": pd.Timestamp("2026-03-02"), "r2": 0.80},
    {"record_id": "recD", "result_id": "R-9", "model": "Ensemble", "horizon": "w15", "evaluated_on": DAY, "r2": None},
]


def test_the_plan_the_changelog_and_the_models_page_pick_the_same_latest_evaluation():
    assert r2.latest_ensemble(pd.DataFrame(ROWS), DAY.date()) == {"w15": 0.90}
    [model] = latest_models(Snapshot(DAY.date(), {"model_results": ROWS}), None)
    assert (model["result_id"], model["r2"]) == ("R-2", 0.90)
    before = Snapshot(dt.date(2026, 3, 2), {"model_results": [ROWS[2]]})
    after = Snapshot(DAY.date(), {"model_results": ROWS})
    entry = weekly_entry(dt.date(2026, 3, 2), dt.date(2026, 3, 9), before, after)
    assert "- Ensemble w15: 0.8000 → 0.9000 (+0.1000)" in entry
    assert r2.latest_evaluations(ROWS)[("Ensemble", "w15")]["record_id"] == "recA"


def test_an_evaluation_dated_after_the_snapshot_is_no_result_yet_anywhere():
    """A result dated 2026-03-12 in the snapshot of 03-09 (within the validator's 7-day allowance): the
    plan's R² current, docs/models.md and the CHANGELOG all still read R-2 (0.90), never 0.99."""
    future = {"record_id": "recF", "result_id": "R-F", "model": "Ensemble", "horizon": "w15",
              "evaluated_on": pd.Timestamp("2026-03-12"), "r2": 0.99}
    rows = [*ROWS, future]
    assert r2.latest_ensemble(pd.DataFrame(rows), DAY.date()) == {"w15": 0.90}
    [model] = latest_models(Snapshot(DAY.date(), {"model_results": rows}), None)
    assert (model["result_id"], model["r2"]) == ("R-2", 0.90)
    entry = weekly_entry(dt.date(2026, 3, 2), dt.date(2026, 3, 9), Snapshot(dt.date(2026, 3, 2), {"model_results": [ROWS[2]]}),
                         Snapshot(DAY.date(), {"model_results": rows}))
    assert "0.9900" not in entry and "0.8000 → 0.9000" in entry
