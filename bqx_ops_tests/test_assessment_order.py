"""A 360 assessment materialized before the plan update or the issue review it reads fails, naming
them, instead of publishing "no data" for figures that exist (and asking RM-001 to approve it).

Order independence: an assessment is a function of its quarter's as-of data, never of which job ran
first. The demo and the schedules run the plan update and the review first; a hand-picked order that
does not is refused, and nothing is published or enqueued.
"""

import datetime as dt
import gc

import dagster as dg
import duckdb
import pytest

from bqx_ops_tests.assessment_runs import ASSESSMENT, ASSESSMENT_KEYS
from bqx_ops_tests.sample_runs import snapshotted_sample

QUARTER = "2025-07-01"  # Q3-2025, final on Friday 2025-09-26 09:00 UTC


@pytest.fixture(scope="module")
def assessed_first(tmp_path_factory):
    data = tmp_path_factory.mktemp("order") / "data"
    resources = snapshotted_sample(data, dt.date(2025, 9, 26), "2025-08-18", "2025-09-26")
    result = dg.materialize(ASSESSMENT, resources=resources, partition_key=QUARTER,
                            selection=dg.AssetSelection.assets(*ASSESSMENT_KEYS), raise_on_error=False)
    return data, resources, result


def test_an_assessment_before_its_plan_update_and_review_fails_naming_them(assessed_first):
    _, _, result = assessed_first
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = str(failure.event_specific_data.error)
    # the last plan-update Friday (16:00) and review tick (1st/15th 10:00) before Friday 09-26 09:00
    assert "plan update of the week ending 2025-09-19 16:00 UTC" in message
    assert "issue review of the period ending 2025-09-15 10:00 UTC" in message


def test_nothing_is_published_or_enqueued_for_it(assessed_first):
    data, resources, _ = assessed_first
    assert not (data / "bqx-ml" / "docs" / "assessments" / "Q3-2025.md").exists()
    gc.collect()  # the failed step's connection, held by its traceback, is closed when collected
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        tables = {t for (t,) in conn.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()}
        intents = conn.execute("SELECT count(*) FROM ops.outbox WHERE key LIKE 'assessment/%'").fetchone()[0] \
            if "ops.outbox" in tables else 0
    assert "assessment.quarterly_scores" not in tables and intents == 0
