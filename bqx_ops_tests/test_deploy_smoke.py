"""deploy/smoke on both warehouses: the DuckDB file (the production profile's default) and DuckLake
(catalog in PostgreSQL, Parquet files on disk). The two smokes run side by side in one test: each
mostly waits on its sensor ticks, so one worker holds both while the other runs the rest."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bqx_ops_tests.smoke_run import smoke_lands_a_sensor_run_in_postgres

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_smoke_brings_the_production_profile_up_on_both_warehouses_and_sensor_runs_land_in_postgres(tmp_path):
    for warehouse in ("duckdb", "ducklake"):
        (tmp_path / warehouse).mkdir()
    with ThreadPoolExecutor(2) as pool:
        smokes = {w: pool.submit(smoke_lands_a_sensor_run_in_postgres, w, tmp_path / w) for w in ("duckdb", "ducklake")}
    for smoke in smokes.values():
        smoke.result()  # re-raises a smoke's own assertion, naming what it found


def test_smoke_refuses_to_start_without_a_database_url():
    env = {k: v for k, v in os.environ.items() if k != "BQX_OPS_PG_URL"}
    done = subprocess.run([str(REPO / "deploy" / "smoke")], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0 and "BQX_OPS_PG_URL is required" in done.stderr
