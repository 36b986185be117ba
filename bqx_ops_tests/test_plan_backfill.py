"""A backfill of every Friday of a sample window: one run, then a re-run that changes nothing.

Window 2025-11-24 .. 2026-01-16 holds the story's late cost (5.2, fixed 2025-12-05), the
Ensemble w60 R² drop of 2025-12-29, stage 7.4 quarantined ("Blocked") from 2025-12-16 to
2026-01-05 and an R² of 1.07 quarantined from 2026-01-12.
"""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS
from bqx_ops.defs.plan_update import assets, checks, outputs
from bqx_ops.landing import Landing
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import write_sample
from bqx_ops_tests.sample_runs import span, take_snapshots

FIRST_DAY, LAST_DAY = dt.date(2025, 11, 24), dt.date(2026, 1, 16)
PLAN_ASSETS = [*dg.load_assets_from_modules([assets, outputs])]
PLAN_CHECKS = [*dg.load_asset_checks_from_modules([checks])]


def fridays_closed_in_window() -> list[str]:
    """Partition keys of the weeks whose Friday-16:00 end falls in the window."""
    keys = PLAN_UPDATE_PARTITIONS.get_partition_keys(current_time=dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc))
    return [k for k in keys if FIRST_DAY <= dt.date.fromisoformat(k) + dt.timedelta(days=7) <= LAST_DAY]


def plan_tables(data_dir) -> dict[str, list]:
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        names = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables"
                                            " WHERE table_schema = 'plan' ORDER BY 1").fetchall()]
        return {n: conn.execute(f"SELECT * FROM plan.{n} ORDER BY ALL").fetchall() for n in names}


def outbox_state(data_dir) -> list:
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT key, version, payload_sha256, status, created_at FROM ops.outbox"
                            " ORDER BY key").fetchall()


@pytest.fixture(scope="module")
def backfill(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("plan_backfill")
    write_sample(data_dir, FIRST_DAY, LAST_DAY)
    resources = build_resources("local", data_dir)
    take_snapshots(resources, FIRST_DAY.isoformat(), LAST_DAY.isoformat())
    keys = fridays_closed_in_window()
    instance = dg.DagsterInstance.ephemeral()
    first = dg.materialize([*PLAN_ASSETS, *PLAN_CHECKS], resources=resources, tags=span(keys[0], keys[-1]),
                           instance=instance)
    state = {"tables": plan_tables(data_dir), "reports": resources["docs_repo"].read_tree("docs/plan-updates"),
             "head": resources["docs_repo"].head(), "outbox": outbox_state(data_dir)}
    second = dg.materialize([*PLAN_ASSETS, *PLAN_CHECKS], resources=resources, tags=span(keys[0], keys[-1]),
                            instance=instance)
    return data_dir, keys, instance, first, second, state, resources


@pytest.mark.slow
def test_every_friday_of_the_window_is_backfilled_in_one_run(backfill):
    _, keys, instance, first, _, state, _ = backfill
    assert keys == ["2025-11-21", "2025-11-28", "2025-12-05", "2025-12-12", "2025-12-19", "2025-12-26",
                    "2026-01-02", "2026-01-09"]
    assert first.success
    for asset in PLAN_ASSETS:
        assert asset.backfill_policy == dg.BackfillPolicy.single_run()
    assert instance.get_runs_count() == 2  # the backfill and its re-run: one run each
    materialized = instance.get_materialized_partitions(dg.AssetKey(["plan", "weekly_report"]))
    assert sorted(materialized) == keys
    for node in ("plan_transitions", "plan_cost_variance", "plan__weekly_report"):
        assert sorted(m.partition for m in first.asset_materializations_for_node(node)
                      if m.asset_key.path[-1] in ("stage_transitions", "stage_cost_variance", "weekly_report")) == keys
    reports = state["reports"]
    assert sorted(reports) == [f"docs/plan-updates/{dt.date.fromisoformat(k) + dt.timedelta(days=7)}.md"
                               for k in keys]


@pytest.mark.slow
def test_rerunning_the_backfill_leaves_identical_tables_reports_commits_and_intents(backfill):
    data_dir, _, _, _, second, state, resources = backfill
    assert second.success
    assert plan_tables(data_dir) == state["tables"]
    assert resources["docs_repo"].read_tree("docs/plan-updates") == state["reports"]  # byte for byte
    assert resources["docs_repo"].head() == state["head"]  # nothing committed, nothing pushed
    assert outbox_state(data_dir) == state["outbox"]
    report = second.asset_materializations_for_node("plan__weekly_report")[0]
    assert report.metadata["commits"].value == 0


@pytest.mark.slow
def test_the_ensemble_w60_drop_is_reported_from_the_week_it_happened(backfill):
    data_dir, *_ = backfill
    results = json.loads(Landing(data_dir).airtable_table(dt.date(2026, 1, 2), "Model Results").read_text())
    w60 = sorted((r["fields"]["Evaluated On"], r["fields"]["R2"]) for r in results["records"]
                 if (r["fields"]["Model"], r["fields"]["Horizon"]) == ("Ensemble", "w60"))
    at = [i for i, (day, _) in enumerate(w60) if day == "2025-12-29"][0]
    expected_drop = w60[at - 1][1] - w60[at][1]
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT period_end::DATE, model, horizon, evaluated_on::DATE, \"drop\" FROM plan.r2_drops"
                            " ORDER BY 1").fetchall()
    assert rows[0][:4] == (dt.date(2026, 1, 2), "Ensemble", "w60", dt.date(2025, 12, 29))
    assert rows[0][4] == pytest.approx(expected_drop) and expected_drop > 0.05
    assert {r[0] for r in rows} == {dt.date(2026, 1, 2), dt.date(2026, 1, 9), dt.date(2026, 1, 16)}


@pytest.mark.slow
def test_quarantined_stages_are_not_counted_as_removed(backfill):
    data_dir, *_ = backfill
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT period_end::DATE, kind, flagged FROM plan.stage_transitions"
                            " WHERE stage_id = '7.4' ORDER BY 1").fetchall()
    # In Progress since 12-11, "Blocked" (quarantined) from 12-16, back In Progress on 01-05, Done on 01-09
    assert rows == [(dt.date(2025, 12, 12), "forward", False), (dt.date(2025, 12, 19), "quarantined", False),
                    (dt.date(2026, 1, 9), "restored", False)]


@pytest.mark.slow
def test_the_first_week_without_last_weeks_snapshot_compares_with_the_plans_first_snapshot(backfill):
    data_dir, *_, state, _ = backfill
    report = state["reports"]["docs/plan-updates/2025-11-28.md"]
    first = min(p.name for p in (data_dir / "landing" / "airtable").iterdir())  # a Monday inside the week
    assert first == FIRST_DAY.isoformat()
    assert f"compared with the plan's first snapshot, {first}" in report
    assert "no Airtable snapshot as of the previous week" not in report
    assert "_no data:" not in state["reports"]["docs/plan-updates/2025-12-05.md"]


@pytest.mark.slow
def test_each_week_is_judged_on_its_own_partition(backfill):
    data_dir, _, _, first, _, _, _ = backfill
    keys = fridays_closed_in_window()
    snapshots = sorted(p.name for p in (data_dir / "landing" / "airtable").iterdir())
    expected = {}
    for key in keys:  # the snapshot as of the week's end (Friday 16:00): the latest on or before that Friday
        friday = (dt.date.fromisoformat(key) + dt.timedelta(days=7)).isoformat()
        day = max(d for d in snapshots if d <= friday)
        stages = json.loads((data_dir / "landing" / "airtable" / day / "Stages.json").read_text())["records"]
        expected[key] = any(r["fields"].get("Status") == "Done" and "Realized Cost" not in r["fields"]
                            for r in stages)
    got = {e.partition: e for e in first.get_asset_check_evaluations()
           if e.check_name == "completed_stages_have_realized_cost"}
    assert sorted(got) == keys  # one evaluation per week of the single run, on that week's partition
    assert {k: not e.passed for k, e in got.items()} == expected
    assert any(expected.values()) and not all(expected.values())  # the story's late cost of 5.2
    failing = [k for k, bad in expected.items() if bad]
    ends = {k: (dt.date.fromisoformat(k) + dt.timedelta(days=7)).isoformat() for k in failing}  # its closing Friday
    assert all(got[k].description.startswith(f"Week {k} – {ends[k]}: ") for k in failing)




@pytest.mark.slow
def test_the_demo_summary_lists_the_failing_weeks_of_each_check(backfill):
    from bqx_ops.summary import _check_lines
    _, _, _, first, _, _, _ = backfill
    got = {e.partition: e.passed for e in first.get_asset_check_evaluations()
           if e.check_name == "completed_stages_have_realized_cost"}
    failing = sorted(k for k, ok in got.items() if not ok)
    line = next(x for x in _check_lines(first) if "completed_stages_have_realized_cost" in x)
    assert line == (f"  [FAIL] plan/stage_cost_variance completed_stages_have_realized_cost: {len(failing)} of "
                    f"{len(got)} periods failed: {', '.join(failing)}")


def test_reading_all_weeks_at_once_gives_each_week_exactly_what_its_own_query_gives(backfill, tmp_path):
    """WeekTables (one query per table for a run's weeks) against week_table (one query per week), on
    a copy of the backfilled tables where one week's integer and boolean columns also hold a NULL:
    the other weeks must still read int64 and bool, as their own queries do."""
    import shutil

    import pandas as pd

    from bqx_ops.defs.plan_update.week_tables import WeekTables, week_table
    from bqx_ops.defs.plan_update.weeks import period_of

    data_dir, keys = backfill[0], backfill[1]
    copy = tmp_path / "copy.duckdb"
    shutil.copy(data_dir / "bqx_ops.duckdb", copy)
    starts = [period_of(k).start for k in keys]
    with duckdb.connect(str(copy)) as conn:
        names = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'plan' "
                                            "ORDER BY 1").fetchall()]
        nullable = conn.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'plan' AND data_type IN "
            "('BIGINT', 'INTEGER', 'BOOLEAN') AND column_name NOT IN ('position')").fetchall()
        assert nullable  # the plan tables do have such columns
        for table, column in nullable:
            conn.execute(f'UPDATE plan.{table} SET "{column}" = NULL WHERE period_start = ? AND position = '
                         f'(SELECT min(position) FROM plan.{table} WHERE period_start = ?)',
                         [starts[0].replace(tzinfo=None)] * 2)
        outside = period_of(keys[-1]).end  # a week after the run's: read on its own, empty
        tables = WeekTables(conn, starts)
        compared = 0
        for name in [*names, "no_such_table"]:
            for start in [*starts, outside]:
                want, got = week_table(conn, name, start), tables.get(name, start)
                pd.testing.assert_frame_equal(got, want, check_exact=True)
                compared += len(want)
    assert compared > 100


def _week_read_alone(conn, key, tables, transitions) -> dict:
    """One week as the single-instant as-of functions read it (no run-wide reader)."""
    from bqx_ops.asof import as_of_snapshot, read_as_of, snapshot_rows
    from bqx_ops.defs.plan_update.weeks import period_of

    period = period_of(key)
    day = as_of_snapshot(conn, period.as_of)
    out = {"snapshot": day, **{t: snapshot_rows(conn, t, day, carry_forward=not transitions) for t in tables}}
    if transitions and day is not None:
        before, stages = read_as_of(conn, "stages", period.start)
        now = {r[0] for r in conn.execute("SELECT record_id FROM airtable.quarantine WHERE snapshot_date = ? AND "
                                          "table_name = 'Stages'", [day]).fetchall()}
        if before is None:  # the first week: its first snapshot, when older than the week's own
            first = conn.execute("SELECT min(snapshot_date) FROM airtable.raw_records").fetchone()[0].date()
            if first >= day:
                return {**out, "previous": None, "previous_stages": None, "during": [], "quarantined_before": set(),
                        "quarantined_now": now}
            before, stages = first, snapshot_rows(conn, "stages", first)
        between = [r[0].date() for r in conn.execute(
            "SELECT DISTINCT snapshot_date FROM airtable.raw_records WHERE snapshot_date > ? AND snapshot_date < ? "
            "ORDER BY 1", [dt.datetime.combine(before, dt.time()), dt.datetime.combine(day, dt.time())]).fetchall()]
        out.update(previous=before, previous_stages=stages, during=[snapshot_rows(conn, "stages", d) for d in between],
                   quarantined_before={r[0] for r in conn.execute(
                       "SELECT record_id FROM airtable.quarantine WHERE snapshot_date = ? AND table_name = 'Stages'",
                       [before]).fetchall()}, quarantined_now=now)
    return out


def test_a_runs_reader_gives_each_week_what_reading_it_alone_gives(backfill):
    """The plan run reads its weeks' snapshots through one reader (a window of days per query); each
    week's frames, dtypes and carried-forward records included, must be those of its own reads. The
    window holds stage 7.4's quarantine (carried forward) and a quarantined R² result."""
    import pandas as pd

    from bqx_ops.defs.plan_update.weeks import load_week, period_of, week_snapshots

    data_dir, keys, *_ = backfill
    copy = data_dir.parent / "weeks.duckdb"
    copy.write_bytes((data_dir / "bqx_ops.duckdb").read_bytes())
    with duckdb.connect(str(copy)) as conn:
        weeks = [(k, period_of(k)) for k in keys]
        carried, during = 0, 0
        for transitions, tables in ((False, ("stages", "phases", "plans", "model_results")), (True, ("stages",))):
            snapshots = week_snapshots(conn, weeks, transitions)
            for key, period in weeks:
                week, alone = load_week(conn, key, period, tables, transitions, snapshots), \
                    _week_read_alone(conn, key, tables, transitions)
                assert week.snapshot_date == alone["snapshot"], key
                for table in tables:
                    pd.testing.assert_frame_equal(week[table], alone[table])
                    if not transitions:
                        carried += int((week[table]["snapshot_date"] < pd.Timestamp(week.snapshot_date)).sum())
                if transitions:
                    assert week.previous_snapshot_date == alone["previous"], key
                    if alone["previous"] is not None:
                        pd.testing.assert_frame_equal(week.previous_stages, alone["previous_stages"])
                    assert len(week.stages_during) == len(alone["during"]), key
                    during += len(week.stages_during)
                    for mine, theirs in zip(week.stages_during, alone["during"]):
                        pd.testing.assert_frame_equal(mine, theirs)
                    assert (week.quarantined_before, week.quarantined_now) == \
                        (alone["quarantined_before"], alone["quarantined_now"]), key
    assert carried > 0  # the window's quarantined records were read as their last valid version
    assert during > 0


def _carried_alone(conn, when) -> list[dict]:
    """carried_records as the single-instant reads give it (the quarantine reasons by table and record)."""
    import pandas as pd

    from bqx_ops.asof import as_of_snapshot, carried, snapshot_rows

    day = as_of_snapshot(conn, when)
    q = snapshot_rows(conn, "quarantine", day)
    reasons = {(r.table_name, r.record_id): r.reason for r in q.itertuples()} if not q.empty else {}
    out = []
    for table, name in (("plans", "Plans"), ("phases", "Phases"), ("stages", "Stages")):
        for r in carried(snapshot_rows(conn, table, day, carry_forward=True), day).to_dict("records"):
            label = r.get("stage_id") or r.get("phase_id") or r.get("plan_id") or ""
            out.append({"table": name, "record_id": r["record_id"], "label": str(label),
                        "from_snapshot": pd.Timestamp(r["snapshot_date"]).date(),
                        "reason": reasons.get((name, r["record_id"]), "")})
    return out


def test_the_carried_records_of_each_week_through_the_runs_reader_are_its_own(backfill):
    from bqx_ops.defs.plan_update.weeks import carried_records, period_of, week_snapshots

    data_dir, keys, *_ = backfill
    copy = data_dir.parent / "carried.duckdb"
    copy.write_bytes((data_dir / "bqx_ops.duckdb").read_bytes())
    with duckdb.connect(str(copy)) as conn:
        weeks = [(k, period_of(k)) for k in keys]
        reader = week_snapshots(conn, weeks)
        expected = [_carried_alone(conn, period.as_of) for _, period in weeks]
        found = [carried_records(conn, period.as_of, snapshots=reader) for _, period in weeks]
        assert found == expected
        assert [carried_records(conn, period.as_of) for _, period in weeks] == expected  # a week on its own
    assert any(r["label"] == "7.4" and r["reason"] for week in found for r in week)  # stage 7.4, carried
