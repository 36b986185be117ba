"""The repo's instance (dagster.yaml): Dagster's SQLite event log files, written through engines
kept open (bqx_ops/instance_storage.py), readable by Dagster's own default storage."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from bqx_ops_tests.instances import instance_at

REPO = Path(__file__).resolve().parents[1]
PARTITIONS = dg.StaticPartitionsDefinition([f"p{i}" for i in range(12)])


@dg.asset(partitions_def=PARTITIONS)
def probe(context: dg.AssetExecutionContext) -> None:
    context.add_output_metadata({"partition": context.partition_key})


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def test_events_land_in_dagsters_default_files_and_dagsters_own_storage_reads_them(tmp_path):
    home = _home(tmp_path)
    with instance_at(home) as instance:
        for key in PARTITIONS.get_partition_keys():
            assert dg.materialize([probe], instance=instance, partition_key=key).success
        run_ids = {r.run_id for r in instance.get_runs()}
    assert len(run_ids) == 12
    files = {p.name for p in (home / "history" / "runs").glob("*.db")}
    assert files == {"index.db", *(f"{r}.db" for r in run_ids)}  # the default layout, one file per run

    plain = tmp_path / "plain"  # Dagster's default storage over the same files
    plain.mkdir()
    (plain / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    shutil.copytree(home / "history", plain / "history")
    with dg.DagsterInstance.from_config(str(plain)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("probe"), limit=100).records
        assert sorted(r.partition_key for r in records) == sorted(PARTITIONS.get_partition_keys())
        assert {r.run_id for r in records} == run_ids


def test_loading_it_without_dagster_home_says_what_is_missing(tmp_path):
    home = _home(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    code = f"import dagster as dg; dg.DagsterInstance.from_config({str(home)!r}).get_runs()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "needs DAGSTER_HOME" in done.stderr
    assert not (home / "history" / "runs").exists() or not list((home / "history" / "runs").glob("*.db"))


@dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
def ranged(context: dg.AssetExecutionContext) -> None:
    context.add_output_metadata({"partitions": len(context.partition_keys)})


@dg.asset_check(asset=ranged, partitions_def=PARTITIONS)
def ranged_is_even(context: dg.AssetCheckExecutionContext):
    """One evaluation per partition of the run (odd ones fail), as the snapshot checks yield them."""
    for key in sorted(context.partition_keys):
        yield dg.AssetCheckEvaluation(asset_key=dg.AssetKey("ranged"), check_name="ranged_is_even",
                                      passed=int(key[1:]) % 2 == 0, partition=key, metadata={"day": key})
    yield dg.Output(None)


def _backfill_in_one_run(home: Path) -> tuple[str, list[str]]:
    keys = PARTITIONS.get_partition_keys()
    tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
    with instance_at(home) as instance:
        result = dg.materialize([ranged, ranged_is_even], instance=instance, tags=tags)
        assert result.success
        return result.run_id, keys


def _as_dagster_reads_it(tmp_path: Path, home: Path, name: str, run_id: str) -> dict:
    plain = tmp_path / name
    plain.mkdir()
    (plain / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    shutil.copytree(home / "history", plain / "history")
    with dg.DagsterInstance.from_config(str(plain)) as instance:
        key = dg.AssetKey("ranged")
        records = instance.fetch_materializations(key, limit=100, ascending=True).records
        in_run = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        return {
            "partitions": [r.partition_key for r in records],
            "metadata": [r.asset_materialization.metadata for r in records],
            "in_run_file": [e.dagster_event.partition for e in in_run],
            "materialized": sorted(instance.get_materialized_partitions(key)),
            "latest": instance.get_latest_materialization_event(key).dagster_event.partition,
            "checks": sorted((r.event.dagster_event.event_specific_data.partition, r.status.value,
                              r.event.dagster_event.event_specific_data.passed)
                             for r in instance.event_log_storage.get_asset_check_execution_history(
                                 dg.AssetCheckKey(key, "ranged_is_even"), limit=100) if r.event),
        }


def test_a_single_run_backfill_stored_as_one_batch_reads_as_dagster_stores_it_event_by_event(tmp_path, monkeypatch):
    """With DAGSTER_EVENT_BATCH_SIZE (the demo sets it), an output's per-partition materializations
    are written in two INSERTs: what Dagster reads back is what its own event-by-event path wrote."""
    one_by_one = _home(tmp_path)
    run_id, keys = _backfill_in_one_run(one_by_one)
    expected = _as_dagster_reads_it(tmp_path, one_by_one, "plain_one_by_one", run_id)
    assert sorted(expected["partitions"]) == sorted(keys) == expected["materialized"]
    assert [(k, p) for k, _, p in expected["checks"]] == [(k, int(k[1:]) % 2 == 0) for k in sorted(keys)]

    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "1000")
    batched = tmp_path / "batched"
    batched.mkdir()
    home = _home(batched)
    run_id = _backfill_in_one_run(home)[0]
    assert _as_dagster_reads_it(tmp_path, home, "plain_batched", run_id) == expected


def test_a_new_runs_file_is_what_dagsters_own_initialization_makes(tmp_path):
    """A run's file is a copy of an empty one Dagster initialized: same tables, indexes, WAL mode and
    alembic stamp as Dagster's own storage gives a new run's file; an existing file is never replaced."""
    import sqlite3

    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from bqx_ops.instance_storage import PooledSqliteEventLogStorage

    def shape(path: Path) -> tuple:
        with sqlite3.connect(path) as db:
            return (sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()),
                    db.execute("SELECT version_num FROM alembic_version").fetchall(),
                    db.execute("PRAGMA journal_mode").fetchone())

    ours, theirs = PooledSqliteEventLogStorage(str(tmp_path / "ours")), SqliteEventLogStorage(str(tmp_path / "theirs"))
    for storage in (ours, theirs):
        with storage.run_connection("run-a"):
            pass
    assert shape(tmp_path / "ours" / "run-a.db") == shape(tmp_path / "theirs" / "run-a.db")
    assert shape(tmp_path / "ours" / "run-a.db")[1] and shape(tmp_path / "ours" / "run-a.db")[2] == ("wal",)

    kept = tmp_path / "ours" / "run-b.db"  # a run's file already there (another process made it)
    shutil.copyfile(tmp_path / "theirs" / "run-a.db", kept)
    with sqlite3.connect(kept) as db:
        db.execute("CREATE TABLE marker (x)")
    with ours.run_connection("run-b"):
        pass
    with sqlite3.connect(kept) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'marker'").fetchone() == (1,)
    assert sorted(p.name for p in (tmp_path / "ours").iterdir() if not p.name.endswith(("-wal", "-shm"))) == \
        ["event_log_template", "index.db", "run-a.db", "run-b.db"]  # nothing staged left behind
    import dagster
    template = tmp_path / "ours" / "event_log_template"
    assert [p.name for p in template.iterdir()] == [f"dagster-{dagster.__version__}.db"]  # kept with the instance
    made = template.stat().st_mtime_ns, next(template.iterdir()).stat().st_mtime_ns
    again = PooledSqliteEventLogStorage(str(tmp_path / "ours"))  # another process: the template is reused
    with again.run_connection("run-c"):
        pass
    assert shape(tmp_path / "ours" / "run-c.db") == shape(tmp_path / "theirs" / "run-a.db")
    assert (template.stat().st_mtime_ns, next(template.iterdir()).stat().st_mtime_ns) == made
    again.dispose()
    ours.dispose()
    theirs.dispose()


def test_the_run_storage_keeps_dagsters_file_and_sees_what_another_process_writes(tmp_path):
    """The instance's run storage is Dagster's runs.db with one engine kept: the same file Dagster's own
    storage writes and reads, and a run written by another process's storage is seen at once."""
    from dagster import DagsterInstance
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
    from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage

    from bqx_ops.instance_storage import PooledSqliteRunStorage

    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(Path(__file__).resolve().parents[1] / "dagster.yaml", home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home))
        instance = DagsterInstance.get()
        ours = instance.run_storage
        assert isinstance(ours, PooledSqliteRunStorage)
        theirs = SqliteRunStorage.from_local(str(home / "history"))  # another process, Dagster's own storage
        ours.add_run(DagsterRun(job_name="ours", run_id="run-ours", tags={"who": "ours"}))
        theirs.add_run(DagsterRun(job_name="theirs", run_id="run-theirs", status=DagsterRunStatus.SUCCESS))
        for storage in (ours, theirs):  # each sees both, whichever wrote it, the kept engine included
            runs = {r.run_id: r for r in storage.get_runs()}
            assert set(runs) == {"run-ours", "run-theirs"}
            assert runs["run-ours"].tags == {"who": "ours"} and runs["run-theirs"].status == DagsterRunStatus.SUCCESS
        theirs.add_run_tags("run-ours", {"again": "1"})
        assert ours.get_run_tags(tag_keys=["again"]) == [("again", {"1"})]
        assert [p.name for p in (home / "history").iterdir() if p.suffix == ".db"] == ["runs.db"]
        instance.dispose()
