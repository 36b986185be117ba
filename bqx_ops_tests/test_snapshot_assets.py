"""Airtable snapshot assets materialized on a temporary DuckDB, and their checks."""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from bqx_ops.asof import as_of_snapshot, read_as_of
from bqx_ops.defs.airtable import checks
from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot

MON, FRI = dt.date(2025, 8, 18), dt.date(2025, 8, 22)
CHECKS = dg.load_asset_checks_from_modules([checks])


def materialize(data_dir, first: dt.date, last: dt.date | None = None, raise_on_error=True):
    last = last or first
    return dg.materialize(
        [raw_records, airtable_tables, *CHECKS],
        resources=build_resources("local", data_dir),
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
        raise_on_error=raise_on_error,
    )


def query(data_dir, sql: str):
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def check_results(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def test_a_snapshot_becomes_one_typed_table_per_entity(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    result = materialize(data_dir, MON)
    assert result.success
    assert query(data_dir, "SELECT count(*) FROM airtable.raw_records") == [(11,)]
    assert query(data_dir, "SELECT stage_id, status, realized_cost FROM airtable.stages ORDER BY 1") == [
        ("0.1", "Done", 25.0), ("1.1", "In Progress", None), ("1.2", "Todo", None)]
    assert query(data_dir, "SELECT count(*) FROM airtable.quarantine") == [(0,)]
    assert all(e.passed for e in check_results(result).values())


def test_rematerializing_a_snapshot_partition_leaves_identical_tables(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    materialize(data_dir, MON)
    first = query(data_dir, "SELECT * FROM airtable.stages ORDER BY record_id")
    materialize(data_dir, MON)
    materialize(data_dir, MON)
    assert query(data_dir, "SELECT * FROM airtable.stages ORDER BY record_id") == first
    assert query(data_dir, "SELECT count(*) FROM airtable.raw_records") == [(11,)]


def test_a_range_runs_as_one_run_and_skips_days_without_a_snapshot(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, FRI, edit(minimal_base(), "Stages", "recSTAGE000000002", Status="Done",
                                       Realized_Cost=41))
    result = materialize(data_dir, MON, FRI)
    assert result.success
    materializations = result.asset_materializations_for_node("airtable__raw_records")
    assert sorted(m.partition for m in materializations) == [
        "2025-08-18", "2025-08-19", "2025-08-20", "2025-08-21", "2025-08-22"]
    assert materializations[0].metadata["days_without_snapshot"].value == 3
    assert query(data_dir, "SELECT DISTINCT snapshot_date::DATE FROM airtable.stages ORDER BY 1") == [
        (MON,), (FRI,)]


def test_malformed_records_end_in_quarantine_and_the_checks_name_them(data_dir):
    base = minimal_base()
    base = edit(base, "Stages", "recSTAGE000000003", Status="Blocked")  # unknown option
    base = edit(base, "Model Results", "recMODL0000000001", R2=1.07)
    base = edit(base, "Stages", "recSTAGE000000001", Realized_Cost=None)  # Done without cost
    base = edit(base, "Phases", "recPHASE000000001", Notes=None)
    write_snapshot(data_dir, MON, base)
    result = materialize(data_dir, MON)
    assert result.success  # bad data never crashes the run
    assert query(data_dir, "SELECT table_name, record_id FROM airtable.quarantine ORDER BY 1") == [
        ("Model Results", "recMODL0000000001"), ("Stages", "recSTAGE000000003")]
    evaluations = check_results(result)
    assert not evaluations["done_stages_have_realized_cost"].passed
    assert "0.1 Repo setup (recSTAGE000000001)" in evaluations["done_stages_have_realized_cost"].description
    assert not evaluations["phases_have_notes"].passed
    assert "recPHASE000000001" in evaluations["phases_have_notes"].description
    quarantine = evaluations["latest_snapshot_has_no_quarantined_records"]
    assert not quarantine.passed and quarantine.severity == dg.AssetCheckSeverity.WARN
    assert "unknown option 'Blocked'" in quarantine.description


def test_a_stage_moving_backwards_between_snapshots_fails_the_check(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, FRI, edit(minimal_base(), "Stages", "recSTAGE000000002", Status="Todo"))
    result = materialize(data_dir, MON, FRI)
    evaluation = check_results(result)["stage_statuses_move_forward"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN  # re-opened or a slip: confirm
    assert "1.1 In Progress -> Todo" in evaluation.description


def test_an_unreadable_landing_file_is_quarantined_and_the_rest_proceeds(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    (data_dir / "landing" / "airtable" / MON.isoformat() / "Tasks.json").write_text("{not json")
    assert materialize(data_dir, MON).success
    [(table, record_id, reason)] = query(data_dir, "SELECT table_name, record_id, reason FROM airtable.quarantine")
    assert table == "Tasks" and record_id is None
    assert reason.startswith("snapshot problem: Tasks could not be read (unreadable landing file")
    assert reason.endswith("no earlier good copy, so it is taken as empty")
    assert query(data_dir, "SELECT count(*) FROM airtable.stages") == [(3,)]


def test_asking_for_a_day_that_was_never_snapshotted_fails_with_a_clear_message(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    result = materialize(data_dir, MON + dt.timedelta(days=1), raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = str(failure.event_specific_data.error.message)
    assert "No Airtable snapshot for 2025-08-19" in message
    assert "2025-08-18 .. 2025-08-18 (1 snapshots)" in message


def test_the_as_of_rule_reads_the_latest_snapshot_at_or_before_the_period_end(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, FRI, edit(minimal_base(), "Stages", "recSTAGE000000003", Status="In Progress"))
    materialize(data_dir, MON, FRI)
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        assert as_of_snapshot(conn, dt.datetime(2025, 8, 21, 23, 59)) == MON
        assert as_of_snapshot(conn, dt.datetime(2025, 8, 22, 16, 0)) == FRI
        assert as_of_snapshot(conn, dt.date(2025, 8, 17)) is None
        day, stages = read_as_of(conn, "stages", dt.date(2025, 8, 21))
    assert day == MON
    assert dict(zip(stages["stage_id"], stages["status"]))["1.2"] == "Todo"



def test_an_as_of_read_after_its_snapshot_was_rewritten_returns_the_new_rows(data_dir):
    """read_as_of remembers frames by their content: a partition re-materialized with other rows (or
    a record quarantined, so its earlier version is carried) is read anew, never from the memo."""
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, FRI, minimal_base())
    materialize(data_dir, MON, FRI)

    def stage_12(carry_forward=False):
        with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
            _, stages = read_as_of(conn, "stages", FRI, carry_forward=carry_forward)
        return {r["stage_id"]: (r["status"], r["snapshot_date"].date()) for r in stages.to_dict("records")}.get("1.2")

    assert stage_12() == stage_12(carry_forward=True) == ("Todo", FRI)
    write_snapshot(data_dir, FRI, edit(minimal_base(), "Stages", "recSTAGE000000003", Status="In Progress"))
    materialize(data_dir, FRI)
    assert stage_12() == stage_12(carry_forward=True) == ("In Progress", FRI)
    write_snapshot(data_dir, FRI, edit(minimal_base(), "Stages", "recSTAGE000000003", Status="Nonsense"))
    materialize(data_dir, FRI)
    assert query(data_dir, "SELECT count(*) FROM airtable.quarantine WHERE record_id = 'recSTAGE000000003'") == [(1,)]
    assert stage_12() is None  # quarantined: not in Friday's rows...
    assert stage_12(carry_forward=True) == ("Todo", MON)  # ...but carried from Monday for the figures

def test_a_backfill_judges_each_snapshot_on_its_own_partition(data_dir):
    """Monday's snapshot has a Done stage without cost and a phase without Notes, Friday's is fixed:
    one evaluation per snapshot day, on that day, so Monday's failures are not hidden by Friday."""
    broken = edit(edit(minimal_base(), "Stages", "recSTAGE000000001", Realized_Cost=None),
                  "Phases", "recPHASE000000001", Notes=None)
    write_snapshot(data_dir, MON, broken)
    write_snapshot(data_dir, FRI, minimal_base())
    result = materialize(data_dir, MON, FRI)
    assert result.success
    got = {(e.check_name, e.partition): e.passed for e in result.get_asset_check_evaluations()
           if e.check_name in ("done_stages_have_realized_cost", "phases_have_notes")}
    assert got == {("done_stages_have_realized_cost", MON.isoformat()): False,
                   ("done_stages_have_realized_cost", FRI.isoformat()): True,
                   ("phases_have_notes", MON.isoformat()): False,
                   ("phases_have_notes", FRI.isoformat()): True}  # days without a snapshot: not judged


def test_a_window_read_in_one_query_gives_each_day_what_its_own_as_of_read_gives(data_dir, tmp_path):
    """read_snapshots (the snapshot checks' one query per table) against read_as_of day by day, on a copy
    where Monday's integer and boolean fields also hold a NULL: Friday must still read them as
    int64 / bool, as its own query does; a day without a snapshot is left to read_as_of."""
    import shutil

    import pandas as pd

    from bqx_ops.asof import read_snapshots
    from bqx_ops.base_schema import TABLES

    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, FRI, edit(minimal_base(), "Stages", "recSTAGE000000003", Status="In Progress"))
    materialize(data_dir, MON, FRI)
    copy = tmp_path / "copy.duckdb"
    shutil.copy(data_dir / "bqx_ops.duckdb", copy)
    days = [MON, MON + dt.timedelta(days=2), FRI]
    with duckdb.connect(str(copy)) as conn:
        typed = conn.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'airtable' "
                             "AND data_type IN ('BIGINT', 'INTEGER', 'BOOLEAN')").fetchall()
        assert typed
        for table, column in typed:
            conn.execute(f'UPDATE airtable.{table} SET "{column}" = NULL WHERE snapshot_date = ? AND record_id = '
                         f'(SELECT min(record_id) FROM airtable.{table} WHERE snapshot_date = ?)',
                         [dt.datetime.combine(MON, dt.time())] * 2)
        compared = 0
        for table in [t.asset_name for t in TABLES] + ["quarantine"]:
            window = read_snapshots(conn, table, days)
            assert set(window) <= {MON, FRI}  # Wednesday has no snapshot: its as-of read is Monday's
            for day, got in window.items():
                as_of, want = read_as_of(conn, table, day)
                assert as_of == day
                pd.testing.assert_frame_equal(got, want, check_exact=True)
                compared += len(want)
    assert compared > 20
