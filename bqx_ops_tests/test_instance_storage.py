"""The repo's instance (dagster.yaml): Dagster's SQLite event log files, written through engines
kept open (bqx_ops/instance_storage.py), readable by Dagster's own default storage."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

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
