"""A quarantined stage counts as overdue (marked carried), a week without a snapshot says its data is
stale, and the first week compares with the plan's first snapshot.

A small base (``base_builder``) with snapshots on Mon 2025-08-18, Wed 08-20, Fri 08-22 and Fri 08-29,
then none for two weeks. Stage 1.1 (In Progress since 08-18, 2 estimated days) is "Blocked" on 08-29
(an unknown Status: quarantined); stage 1.2 goes Todo -> In Progress on 08-20 (5 estimated days); Done
stage 0.1 realized $719 against $632 estimated, on a $650 budget. Expectations are computed here from
the landing JSON with plain Python (working days: a loop over the calendar).
"""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.plan_update import assets, checks, outputs
from bqx_ops.landing import Landing
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.sample_runs import span, take_snapshots

pytestmark = pytest.mark.slow
PLAN = [*dg.load_assets_from_modules([assets, outputs]), *dg.load_asset_checks_from_modules([checks])]
D = dt.date.fromisoformat
SNAPSHOTS = ["2025-08-18", "2025-08-20", "2025-08-22", "2025-08-29"]
FRIDAYS = ["2025-08-22", "2025-08-29", "2025-09-05", "2025-09-12"]  # report dates of weeks 08-15 .. 09-05


def base_on(day: str) -> dict:
    base = edit(minimal_base(), "Stages", "recSTAGE000000001", Estimated_Cost=632, Realized_Cost=719)
    base = edit(base, "Stages", "recSTAGE000000002", Start_Date="2025-08-18", Estimated_Days=2,
                Status="Blocked" if day >= "2025-08-29" else "In Progress")
    if day >= "2025-08-20":
        base = edit(base, "Stages", "recSTAGE000000003", Status="In Progress", Start_Date="2025-08-20",
                    Estimated_Days=5)
    return base


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = tmp_path_factory.mktemp("plan_carried_stale")
    for day in SNAPSHOTS:
        write_snapshot(data, D(day), base_on(day))
    resources = build_resources("local", data)
    take_snapshots(resources, SNAPSHOTS[0], FRIDAYS[-1])
    assert dg.materialize(PLAN, resources=resources, tags=span("2025-08-15", "2025-09-05")).success
    reports = {f: resources["docs_repo"].read(f"docs/plan-updates/{f}.md") for f in FRIDAYS}
    return data, reports


def stages(data, day: str) -> dict[str, dict]:
    path = Landing(data).airtable_table(D(day), "Stages")
    return {r["fields"]["Stage ID"]: r["fields"] for r in json.loads(path.read_text())["records"]}


def working_days(start: str, end: str) -> int:
    days = (D(end) - D(start)).days + 1
    return sum(1 for i in range(days) if (D(start) + dt.timedelta(days=i)).weekday() < 5)


def as_of_snapshot(friday: str) -> str:
    return max(d for d in SNAPSHOTS if d <= friday)


def last_valid(data, friday: str, stage: str) -> tuple[str, dict]:
    """The snapshot and fields of the stage's latest version with a known Status, as of ``friday``."""
    known = ("Todo", "In Progress", "Done")
    return next((d, stages(data, d)[stage]) for d in reversed(SNAPSHOTS)
                if d <= friday and stages(data, d)[stage]["Status"] in known)


def sql(data, query: str, *args) -> list:
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute(query, list(args)).fetchall()


def test_a_quarantined_in_progress_stage_stays_overdue_marked_as_carried(run):
    data, reports = run
    for friday in FRIDAYS[1:]:  # 1.1 is quarantined in the as-of snapshot of these weeks
        assert stages(data, as_of_snapshot(friday))["1.1"]["Status"] == "Blocked"
        version, fields = last_valid(data, friday, "1.1")
        over = working_days(fields["Start Date"], friday) - fields["Estimated Days"]
        assert over > 0, friday
        got = sql(data, "SELECT days_over, carried_from FROM plan.overdue_stages WHERE stage_id = '1.1'"
                        " AND period_end = ?", dt.datetime.fromisoformat(f"{friday} 16:00"))
        assert got == [(over, dt.datetime.fromisoformat(version))], friday
        row = next(line for line in reports[friday].splitlines() if line.startswith("| 1.1 (carried"))
        assert row.startswith(f"| 1.1 (carried from {version}) |") and row.endswith(f"| {over} |"), row
    # hand check of the last week: Mon 08-18 .. Fri 09-12 is 4 weeks = 20 working days, 2 estimated
    assert sql(data, "SELECT days_over FROM plan.overdue_stages WHERE stage_id = '1.1' ORDER BY period_end")[-1] \
        == (18,)


def test_a_live_overdue_stage_is_not_marked(run):
    data, reports = run
    fields = stages(data, "2025-08-22")["1.1"]  # valid on 08-22: In Progress, live
    over = working_days(fields["Start Date"], "2025-08-22") - fields["Estimated Days"]
    assert sql(data, "SELECT days_over, carried_from FROM plan.overdue_stages WHERE stage_id = '1.1'"
                     " AND period_end = ?", dt.datetime(2025, 8, 22, 16)) == [(over, None)]
    assert "| 1.1 | Ingest BQX |" in reports["2025-08-22"]


def test_a_week_without_a_snapshot_says_its_data_is_as_of_the_older_snapshot(run):
    data, reports = run
    for friday in FRIDAYS:
        snapshot = as_of_snapshot(friday)
        age = (D(friday) - D(snapshot)).days
        week_start = (D(friday) - dt.timedelta(days=7)).isoformat()
        stale = snapshot <= week_start  # no snapshot taken after last week's as-of one
        note = f"Every figure below is as of the snapshot of {snapshot}, {age} days before {friday}."
        assert (note in reports[friday]) == stale, friday
        assert ("**Stale data:" in reports[friday]) == stale, friday
        if stale:
            assert f"_no data: no new Airtable snapshot this week to compare with {snapshot}_" in reports[friday]
            assert "0 changes" not in reports[friday]
    assert sql(data, "SELECT snapshot_age_days FROM plan.dashboard ORDER BY period_end") == \
        [(0,), (0,), (7,), (14,)]
    assert not [f for f, md in reports.items() if "(s)" in md]  # counts agree with their noun


def test_the_first_week_compares_with_the_plans_first_snapshot(run):
    data, reports = run
    report = reports["2025-08-22"]
    first, now = SNAPSHOTS[0], as_of_snapshot("2025-08-22")
    assert f"compared with the plan's first snapshot, {first}" in report
    middle = [d for d in SNAPSHOTS if first < d < now]
    moved = {s for s, f in stages(data, now).items()
             if len({stages(data, d)[s]["Status"] for d in [first, *middle, now]}) > 1}
    assert moved == {"1.2"}
    assert f"1 change since the plan's first snapshot ({first}), 0 flagged" in report
    assert "| 1.2 | Feature store | Todo | In Progress | Todo → In Progress | forward |" in report


def test_the_budget_line_shows_the_share_of_the_budget_spent_and_flags_an_overrun(run):
    data, reports = run
    done = [f for f in stages(data, "2025-08-22").values() if f["Status"] == "Done" and "Realized Cost" in f]
    realized, estimated = sum(f["Realized Cost"] for f in done), sum(f["Estimated Cost"] for f in done)
    budget = minimal_base()["Plans"][0]["fields"]["Estimated Budget"]
    # 719 / 650 = 1.10615...: 110.6%; (719 - 632) / 632 = 13.77%: inside the ±15% band all the same
    assert (realized, estimated, budget) == (719, 632, 650)
    line = "Budget: $650 estimated | $719.00 realized | +13.8% variance | 110.6% of budget spent: over budget"
    assert line in reports["2025-08-22"]
    assert "Against the whole budget: $719.00 realized, 110.6% of budget spent: over budget ($69.00 over the $650 budget)." \
        in reports["2025-08-22"]
    assert sql(data, "SELECT round(budget_spent_pct, 4), over_budget, within_band FROM plan.budget_variance"
                     " WHERE period_end = ?", dt.datetime(2025, 8, 22, 16)) == \
        [(round(realized / budget * 100, 4), True, True)]


def test_a_record_quarantined_since_its_first_snapshot_is_listed_as_not_counted(tmp_path):
    """A stage added already "Blocked" (an unknown Status) has no valid version to carry: the plan
    update says it is left out of its figures and why, never silently."""
    import copy

    for day in ("2025-08-18", "2025-08-22"):
        base = minimal_base()
        stage = copy.deepcopy(base["Stages"][-1])
        stage["id"], stage["fields"] = "recSTAGEBLOCKED01", {**stage["fields"], "Stage ID": "9.9", "Status": "Blocked"}
        base["Stages"].append(stage)
        write_snapshot(tmp_path, D(day), base)
    resources = build_resources("local", tmp_path)
    take_snapshots(resources, "2025-08-18", "2025-08-22")
    assert dg.materialize(PLAN, resources=resources, tags=span("2025-08-15", "2025-08-15")).success
    report = resources["docs_repo"].read("docs/plan-updates/2025-08-22.md")
    assert "**Not in these figures: 1 quarantined record with no earlier valid version**" in report
    row = next(line for line in report.splitlines() if "recSTAGEBLOCKED01" in line)
    assert row.startswith("| Stages | recSTAGEBLOCKED01 |") and "Blocked" in row
    assert "(carried from" not in report


def test_a_reader_of_many_days_gives_a_quarantined_day_its_carried_rows_each_time_it_is_asked(run):
    """``Snapshots`` keeps a day's carried rows once read: each ask gets what ``snapshot_rows`` reads, its
    own copy (changing one changes nothing of the next), with the Blocked stage's last valid version."""
    from bqx_ops.asof import snapshot_rows
    from bqx_ops.snapshots import Snapshots

    data, _ = run
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        reader = Snapshots(conn, D(SNAPSHOTS[-1]))
        alone = snapshot_rows(conn, "stages", D("2025-08-29"), carry_forward=True)
        first = reader.rows("stages", D("2025-08-29"), carry_forward=True)
        first.loc[:, "status"] = "changed by its reader"
        for _ in range(2):
            again = reader.rows("stages", D("2025-08-29"), carry_forward=True)
            assert again.equals(alone) and list(again.dtypes) == list(alone.dtypes)
    stage, fields = last_valid(data, "2025-09-05", "1.1")
    carried = again.set_index("stage_id").loc["1.1"]
    assert (carried["snapshot_date"].date().isoformat(), carried["status"]) == (stage, fields["Status"])
