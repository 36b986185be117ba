"""Another Plans record in the base (another team's plan, both Active) is never counted: the phases
linked to it and their stages are left out of what every report reads (bqx_ops.plan_scope)."""

import pandas as pd

from bqx_ops import plan_scope
from bqx_ops.docs_sync.snapshot import Snapshot
from bqx_ops.docs_sync.status import plan_line


def frames():
    # the other plan is listed first and sorts first by Plan ID: "the first Active plan" would pick it
    plans = pd.DataFrame([{"record_id": "recA", "plan_id": "AAA-OTHER", "status": "Active", "name": "Other"},
                          {"record_id": "recB", "plan_id": "ZZZ-OURS", "status": "Active", "name": "Ours"}])
    phases = pd.DataFrame([{"record_id": "recP1", "phase_id": "P1", "plan_id": "recB", "status": "Done"},
                           {"record_id": "recP2", "phase_id": "X1", "plan_id": "recA", "status": "Done"},
                           {"record_id": "recP3", "phase_id": "P3", "plan_id": "recGONE", "status": "Todo"}])
    stages = pd.DataFrame([{"record_id": "recS1", "stage_id": "1.1", "phase_id": "recP1", "status": "Done"},
                           {"record_id": "recS2", "stage_id": "X.1", "phase_id": "recP2", "status": "Done"},
                           {"record_id": "recS3", "stage_id": "3.1", "phase_id": "recUNKNOWN", "status": "Todo"}])
    return plans, phases, stages


def test_the_other_plans_phases_and_stages_are_left_out(monkeypatch, tmp_path):
    (tmp_path / "team.yaml").write_text("project: {name: Ours, plan_id: ZZZ-OURS}\n")
    monkeypatch.setenv("BQX_OPS_CONFIG", str(tmp_path / "team.yaml"))  # the team follows its own plan
    plans, phases, stages = frames()
    assert list(plan_scope.scoped("phases", phases, plans)["phase_id"]) == ["P1", "P3"]  # an unknown link stays
    assert list(plan_scope.scoped("stages", stages, plans, phases)["stage_id"]) == ["1.1", "3.1"]
    snapshot = Snapshot.from_frames(None, {"plans": plans, "phases": phases, "stages": stages})
    assert [p["phase_id"] for p in snapshot.rows("phases")] == ["P1", "P3"]
    assert [s["stage_id"] for s in snapshot.rows("stages")] == ["1.1", "3.1"]
    assert plan_line(snapshot) == "**Plan:** ZZZ-OURS Ours (Active)"


def test_one_plan_or_none_scopes_nothing():
    plans, phases, stages = frames()
    one = plans.iloc[1:]
    assert plan_scope.scoped("phases", phases, one).equals(phases)
    assert plan_scope.scoped("stages", stages, plans.iloc[0:0], phases).equals(stages)
    assert plan_scope.scoped("tasks", stages, plans, phases) is stages


def _utilization_base(monkeypatch, tmp_path, phases_later=None):
    """Two snapshots of ``frames()`` with the team following ZZZ-OURS. ANA's task on our stage is In
    Progress in the first only, BOB works only on the other plan's stage, CY's task has no stage (an
    action item) and is In Progress in both. ``phases_later``: the second snapshot's phases."""
    import datetime as dt

    import duckdb

    (tmp_path / "team.yaml").write_text("project: {name: Ours, plan_id: ZZZ-OURS}\n")
    monkeypatch.setenv("BQX_OPS_CONFIG", str(tmp_path / "team.yaml"))
    plans, phases, stages = frames()
    days = [dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 9)]
    tasks = pd.DataFrame([
        {"record_id": "t1", "stage_id": "recS1", "status": "In Progress", "owner": "ANA"},
        {"record_id": "t2", "stage_id": "recS2", "status": "In Progress", "owner": "BOB"},
        {"record_id": "t3", "stage_id": None, "status": "In Progress", "owner": "CY"}])
    second = tasks.assign(status=["Done", "In Progress", "In Progress"])

    def by_day(first, later=None):
        return pd.concat([first.assign(snapshot_date=days[0]), (later if later is not None else first)
                          .assign(snapshot_date=days[1])], ignore_index=True)

    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA airtable")
    for name, df in (("plans", by_day(plans)), ("phases", by_day(phases, phases_later)), ("stages", by_day(stages)),
                     ("tasks", by_day(tasks, second)), ("raw_records", pd.DataFrame({"snapshot_date": days}))):
        conn.register("df", df)
        conn.execute(f"CREATE TABLE airtable.{name} AS SELECT * FROM df")
        conn.unregister("df")
    return conn, days


def test_agent_utilization_leaves_out_the_tasks_of_another_plans_stages(monkeypatch, tmp_path):
    """ANA 50% (In Progress in one snapshot of two), CY 100%; BOB works only on the other plan's stage: not
    one of our agents. With one plan in the base nothing is left out (BOB counts, 100%)."""
    from bqx_ops.assessment.inputs import utilization

    conn, days = _utilization_base(monkeypatch, tmp_path)
    assert utilization(conn, days[0], days[1]) == {"ANA": 50.0, "CY": 100.0}
    conn.execute("DELETE FROM airtable.plans WHERE plan_id = 'AAA-OTHER'")
    assert utilization(conn, days[0], days[1]) == {"ANA": 50.0, "BOB": 100.0, "CY": 100.0}


def test_agent_utilization_scopes_as_every_report_does_with_a_quarantined_phase(monkeypatch, tmp_path):
    """The other plan's phase X1 is quarantined in the second snapshot: every report reads its last valid
    version there (plan_scope, carried forward), so its stage is still the other plan's and BOB's task on
    it is left out on both days. (Utilization's own copy of the rule read the second snapshot without
    X1 and counted BOB at 50%.)"""
    from bqx_ops.assessment.inputs import utilization

    _, phases, _ = frames()
    conn, days = _utilization_base(monkeypatch, tmp_path, phases_later=phases[phases["record_id"] != "recP2"])
    conn.execute("CREATE TABLE airtable.quarantine AS SELECT ?::TIMESTAMP AS snapshot_date, 'Phases' AS table_name, "
                 "'recP2' AS record_id, 'Status: not an option' AS reason", [days[1]])
    assert utilization(conn, days[0], days[1]) == {"ANA": 50.0, "CY": 100.0}
