"""The gap remediation plan of a plan with nothing Done: its adjusted estimates have no history (a ratio
of 1), so their impact is unknown ("no data"), never "+0.00 / +0.0" beside stages weeks over their
estimates; the remediation approach names the team's own P0/P1 SLAs."""

import datetime as dt

import yaml

from bqx_ops.assessment.documents import gap_plan
from bqx_ops.assessment.evidence import Evidence
from bqx_ops.assessment.findings import gaps

WHEN = dt.datetime(2020, 3, 27, 9, tzinfo=dt.timezone.utc)


def adjusted(rid, sid, basis, est_cost, adj_cost, est_days, adj_days):
    return {"record_id": rid, "stage_id": sid, "name": f"stage {sid}", "status": "In Progress",
            "estimated_cost": est_cost, "cost_basis": basis, "adjusted_cost": adj_cost,
            "estimated_days": est_days, "days_basis": basis, "adjusted_days": adj_days}


def overdue(rid, sid, over):
    return {"record_id": rid, "stage_id": sid, "name": f"stage {sid}", "owner": "Amara Osei", "days_over": over}


def test_no_history_is_no_impact_and_a_learned_ratio_is_one(tmp_path, monkeypatch):
    rules = tmp_path / "triage.yaml"
    rules.write_text(yaml.safe_dump({"priorities": {"P0": {"sla_hours": 8}, "P1": {"sla_hours": 72}}}))
    monkeypatch.setenv("BQX_OPS_TRIAGE_RULES", str(rules))
    e = Evidence(stages_total=3, adjusted=(adjusted("r1", "A-1", "no history", 2400.0, 2400.0, 10, 10.0),
                                           adjusted("r2", "B-2", "plan (3 stages)", 4200.0, 4755.69, 20, 62.0)),
                 overdue=(overdue("r1", "A-1", 79), overdue("r2", "B-2", 29)), issue_stage={"r1": "P1"})
    found = gaps(e)
    by_stage = {g.stage_id: g for g in found}
    assert (by_stage["A-1"].cost_impact, by_stage["A-1"].days_impact) == (None, None)
    assert round(by_stage["B-2"].cost_impact, 2) == 555.69 and by_stage["B-2"].days_impact == 42.0
    text = gap_plan("Q1-2020", WHEN, e, found)
    assert "| A-1 | no data | no data |" in text and "| B-2 | +555.69 | +42.0 |" in text
    assert "Total: +555.69 USD and +42.0 working days (stages marked no data have no adjusted estimate" in text
    assert "resolve the P1 issue within 3 days (action item)" in text
    # a Done stage over its cost band: its cost impact is realized, its work over (no days left to adjust)
    done = Evidence(stages_total=3, stage_costs=({"record_id": "r3", "stage_id": "B-1", "name": "stage B-1",
                                                   "owner": "Chidi Okafor", "status": "Done", "variance_pct": 25.5,
                                                   "variance_usd": 790.0},))
    text = gap_plan("Q1-2020", WHEN, done, gaps(done))
    assert "| B-1 | +790.00 | – (Done) |" in text and "Total: +790.00 USD and +0.0 working days." in text
    only = [g for g in found if g.stage_id == "A-1"]
    assert "Total: cost no data and working days no data (stages marked no data" in gap_plan("Q1-2020", WHEN, e, only)
