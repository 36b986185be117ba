"""deploy/smoke on the DuckDB file (the production profile's default warehouse); the DuckLake
variant is test_deploy_smoke_ducklake.py (see bqx_ops_tests/smoke_run.py)."""

import os
import subprocess
from pathlib import Path

import pytest

from bqx_ops_tests.smoke_run import smoke_lands_a_sensor_run_in_postgres

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_smoke_brings_the_production_profile_up_and_a_sensor_run_lands_in_postgres(tmp_path):
    smoke_lands_a_sensor_run_in_postgres("duckdb", tmp_path)


def test_smoke_refuses_to_start_without_a_database_url():
    env = {k: v for k, v in os.environ.items() if k != "BQX_OPS_PG_URL"}
    done = subprocess.run([str(REPO / "deploy" / "smoke")], env=env, cwd=REPO, capture_output=True, text=True)
    assert done.returncode != 0 and "BQX_OPS_PG_URL is required" in done.stderr
