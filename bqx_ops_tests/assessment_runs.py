"""The 360 assessment run over a window of the sample: a session fixture (``assessed``, Q2-2026) shared
by every module that reads it (registered in conftest.py, so it is built once per worker), and the
helper that builds other quarters."""

import datetime as dt
import json

import dagster as dg
import pytest

from bqx_ops.defs.assessment import assets as assessment_assets
from bqx_ops.defs.assessment import checks as assessment_checks
from bqx_ops.defs.issue_review import assets as review_assets
from bqx_ops.defs.plan_update import assets as plan_assets
from bqx_ops.defs.plan_update import outputs as plan_outputs
from bqx_ops.defs.issue_review.sources import inventories_at
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.resources.factory import build_resources, review_sources
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


def open_high(data, conn, quarter_start: dt.datetime, as_of: dt.datetime) -> list[tuple]:
    """The P0/P1 open at the instant (fingerprint, priority, created_at): the review's own collection and
    triage run at it over the landed sources (tested on its own by the review's tests), checked here
    against the landing JSON: every GitHub issue with a P0/P1 priority label open at the instant is in it."""
    at = inventories_at(conn, load_rules(path=""), [as_of], **review_sources("local", data, None))
    inventory = at(as_of)
    rows = inventory[(inventory["state"] == "open") & inventory["priority"].isin(["P0", "P1"])]
    out = [(r.fingerprint, r.priority, r.created_at.to_pydatetime()) for r in rows.itertuples()]
    shown = {(r.source_ref, r.priority) for r in rows.itertuples() if r.source == "github"}
    assert github_open_high(data, as_of) <= shown
    return out


def github_open_high(data, as_of: dt.datetime) -> set[tuple[str, str]]:
    """(issue number, priority) of the landed GitHub issues created before ``as_of``, not closed by then,
    with a priority:P0/P1 (or P0/P1) label: plain JSON, no project code."""
    when = as_of.replace(tzinfo=dt.timezone.utc)
    parse = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    out = set()
    for item in json.loads((data / "landing" / "github" / "issues.json").read_text(encoding="utf-8")):
        labels = {(lab.get("name") if isinstance(lab, dict) else lab or "").lower() for lab in item.get("labels") or []}
        prio = next((p for p in ("P0", "P1") if {p.lower(), f"priority:{p.lower()}"} & labels), None)
        closed = item.get("closed_at")
        if prio and "pull_request" not in item and parse(item["created_at"]) < when \
                and (closed is None or parse(closed) >= when):
            out.add((str(item["number"]), prio))
    return out
