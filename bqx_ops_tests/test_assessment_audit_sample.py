"""Audit fixes of the 360 on the sample: expectations from the landing JSON and plain SQL, not the code.

Q2-2026 is the shared fixture (2026-05-15..06-30); Q4-2025 is assessed from 2025-12-01..2026-01-02, where a
stage is quarantined (a Status outside the schema's options) and carried forward from its last valid version.
"""

import datetime as dt
import json
import re
import shutil

import duckdb
import pytest
import yaml

from bqx_ops import config
from bqx_ops.defs.issue_review.sources import inventories_at
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.resources.factory import review_sources
from bqx_ops_tests.assessment_runs import AS_OF, assess_sample, open_high

pytestmark = pytest.mark.slow
STATUSES = {"Todo", "In Progress", "Done"}  # the Stages Status options; anything else is quarantined


def working_days(a: dt.date, b: dt.date) -> int:
    return sum(1 for n in range((b - a).days + 1) if (a + dt.timedelta(n)).weekday() < 5)


def stages_at(data, day: dt.date) -> dict[str, dict]:
    """Stage record -> fields in the latest landing snapshot at or before ``day``, a record with a Status
    outside the options replaced by its latest earlier version with a valid one."""
    folders = sorted(f for f in (data / "landing" / "airtable").iterdir() if dt.date.fromisoformat(f.name) <= day)
    out = {}
    for r in json.loads((folders[-1] / "Stages.json").read_text(encoding="utf-8"))["records"]:
        fields = r["fields"]
        for older in reversed(folders):
            if fields.get("Status") in STATUSES:
                break
            fields = next((x["fields"] for x in json.loads((older / "Stages.json").read_text(encoding="utf-8"))["records"]
                           if x["id"] == r["id"]), fields)
        out[r["id"]] = fields
    return out


def expected_overdue(data, week_end: dt.date) -> set[tuple[str, int]]:
    recurring = set(yaml.safe_load(config.SAMPLE_CONFIG.read_text())["recurring_stages"]["stage_ids"])
    out = set()
    for f in stages_at(data, week_end).values():
        if f.get("Status") == "In Progress" and f.get("Start Date") and f.get("Estimated Days") is not None \
                and f["Stage ID"] not in recurring:
            over = working_days(dt.date.fromisoformat(f["Start Date"]), week_end) - f["Estimated Days"]
            if over > 0:
                out.add((f["Stage ID"], over))
    return out


def one(conn, query, params=()):
    return conn.execute(query, list(params)).fetchone()[0]


def slippage(text: str) -> set[tuple[str, int]]:
    line = next(x for x in text.splitlines() if x.startswith("- Slippage: "))
    return {(s, int(d)) for s, d in re.findall(r"(\S+) \(\+(\d+) d\)", line)}


def test_q2_slippage_is_the_plan_weeks_own_and_open_p0_p1_have_one_source(assessed):  # noqa: F811
    data, _, _ = assessed
    text = (data / "bqx-ml" / "docs" / "assessments" / "Q2-2026.md").read_text(encoding="utf-8")
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        week = one(conn, "SELECT max(period_end) FROM plan.budget_variance WHERE period_end <= ?", [AS_OF])
        high = open_high(data, conn, dt.datetime(2026, 4, 1), AS_OF)
    assert slippage(text) == expected_overdue(data, week.date())
    n, p0 = len(high), sum(1 for r in high if r[1] == "P0")
    trend = next(x for x in text.splitlines() if x.startswith("| Open P0/P1 |"))
    assert trend.rstrip(" |").rsplit("|", 1)[1].strip() == str(n)
    assert f"_{n} open high-priority (P0/P1) issue{'' if n == 1 else 's'} vs target" in text
    assert f"- Critical gaps (open P0): {p0} (target 0); open P1: {n - p0}." in text


def test_new_p0_p1_count_the_open_ones_created_after_the_previous_final(assessed, tmp_path):  # noqa: F811
    from bqx_ops.assessment import read
    from bqx_ops.assessment.deepdive import risk
    from bqx_ops.assessment.evidence import read_evidence

    data, _, _ = assessed
    db = tmp_path / "copy.duckdb"
    shutil.copy(data / "bqx_ops.duckdb", db)
    previous = dt.datetime(2026, 5, 20, 9)  # an earlier quarter's final, as if it had been assessed then
    start = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)
    with duckdb.connect(str(db)) as conn:
        conn.execute("INSERT INTO assessment.quarterly_scores (quarter_start, as_of, quarter, position, dimension, "
                     "version) VALUES ('2026-01-01', ?, 'Q1-2026', 0, 'Goal alignment', 'final')", [previous])
        high = open_high(data, conn, dt.datetime(2026, 4, 1), AS_OF)
        expected = sum(1 for r in high if r[2] > previous)
        at = inventories_at(conn, load_rules(path=""), [AS_OF, previous], **review_sources("local", data, None))
        lines = risk(read.read_inputs(conn, start, AS_OF, at), read_evidence(conn, start, AS_OF, at))
    assert 0 < expected < len(high)  # the cut-off matters: some open P0/P1 are older than the previous final
    assert lines[0].startswith(f"- New P0/P1 risks since the previous final assessment (2026-05-20 09:00 UTC): "
                               f"{expected} (")


@pytest.fixture(scope="module")
def q4(tmp_path_factory):
    data = tmp_path_factory.mktemp("q4")
    _, result = assess_sample(data, ("2025-12-01", "2026-01-02"), ("2025-12-05", "2025-12-19"),
                              ("2025-12-01", "2025-12-15"), "2025-10-01")
    assert result.success
    return data


def test_q4_a_quarantined_stage_carried_forward_is_overdue_and_counted_in_the_plans_stages(q4):
    data, as_of = q4, dt.datetime(2025, 12, 26, 9)
    text = (data / "bqx-ml" / "docs" / "assessments" / "Q4-2025.md").read_text(encoding="utf-8")
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        week = one(conn, "SELECT max(period_end) FROM plan.budget_variance WHERE period_end <= ?", [as_of])
        overrun = {r for (r,) in conn.execute("SELECT record_id FROM plan.stage_cost_variance WHERE period_end = ? "
                                              "AND status = 'Done' AND variance_pct > 15", [week]).fetchall()}
        end = one(conn, "SELECT max(period_end) FROM review.review_periods WHERE period_end <= ?", [as_of])
        linked = conn.execute("SELECT fingerprint, stage_record_id FROM review.issue_inventory WHERE period_end = ? "
                              "AND state = 'open' AND priority IN ('P0', 'P1') AND stage_record_id IS NOT NULL",
                              [end]).fetchall()
        high = {r[0] for r in open_high(data, conn, dt.datetime(2025, 10, 1), as_of)}
    stages = stages_at(data, week.date())
    raw = json.loads((data / "landing" / "airtable" / f"{week.date()}" / "Stages.json").read_text(encoding="utf-8"))
    quarantined = [r["fields"]["Stage ID"] for r in raw["records"] if r["fields"].get("Status") not in STATUSES]
    assert quarantined  # the window has a stage quarantined at the plan week
    late = expected_overdue(data, week.date())
    assert {s for s, _ in late} & set(quarantined)  # ... and carried forward, it is overdue
    assert slippage(text) == late
    by_id = {f["Stage ID"]: rid for rid, f in stages.items()}
    gap = {by_id[s] for s, _ in late} | overrun | {rid for fp, rid in linked if fp in high}
    share = 100 * len(gap) / len(stages)
    assert f"- Gap stages: {len(gap)} of {len(stages)} ({share:.1f}% of the plan" in text
