"""The 360 assessment run over a window of the sample: a session fixture (``assessed``, Q2-2026) shared
by every module that reads it (registered in conftest.py, so it is built once per worker), and the
helper that builds other quarters."""

import datetime as dt

import dagster as dg
import pytest

from bqx_ops.defs.assessment import assets as assessment_assets
from bqx_ops.defs.assessment import checks as assessment_checks
from bqx_ops.defs.issue_review import assets as review_assets
from bqx_ops.defs.plan_update import assets as plan_assets
from bqx_ops.defs.plan_update import outputs as plan_outputs
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import write_sample
from bqx_ops_tests.sample_runs import span, take_snapshots

QUARTER, AS_OF = "2026-04-01", dt.datetime(2026, 6, 26, 9)
ASSESSMENT = [*dg.load_assets_from_modules([assessment_assets]),
              *dg.load_asset_checks_from_modules([assessment_checks])]
ASSESSMENT_KEYS = [k for a in dg.load_assets_from_modules([assessment_assets]) for k in a.keys]


@pytest.fixture(scope="session")
def assessed(tmp_path_factory):
    """Q2-2026 assessed from the sample's 2026-05-15..06-30 (shared with the approval-loop tests)."""
    data = tmp_path_factory.mktemp("assessment")
    resources, result = assess_sample(data, ("2026-05-15", "2026-06-30"), ("2026-05-15", "2026-06-19"),
                                      ("2026-05-15", "2026-06-01"), QUARTER)
    return data, resources, result


def assess_sample(data, days: tuple[str, str], weeks: tuple[str, str], reviews: tuple[str, str], quarter: str):
    """The sample written over ``days``, snapshotted, its plan weeks and reviews run, then ``quarter``
    assessed: (resources, the assessment's run result)."""
    write_sample(data, dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[1]))
    resources = build_resources("local", data)
    take_snapshots(resources, *days)
    plan = [a for a in dg.load_assets_from_modules([plan_assets, plan_outputs])
            if "airtable_writeback" not in str(a.keys)]
    assert dg.materialize(plan, resources=resources, tags=span(*weeks)).success
    assert dg.materialize(dg.load_assets_from_modules([review_assets]), resources=resources,
                          tags=span(*reviews)).success
    return resources, dg.materialize(ASSESSMENT, resources=resources, partition_key=quarter,
                                     selection=dg.AssetSelection.assets(*ASSESSMENT_KEYS))


