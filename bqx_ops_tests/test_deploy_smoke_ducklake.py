"""deploy/smoke with the warehouse on DuckLake (catalog in PostgreSQL, Parquet files on disk)."""

import pytest

from bqx_ops_tests.smoke_run import smoke_lands_a_sensor_run_in_postgres

pytestmark = pytest.mark.slow


def test_smoke_on_ducklake_lands_a_sensor_run_in_postgres_and_the_outbox_in_the_lake(tmp_path):
    smoke_lands_a_sensor_run_in_postgres("ducklake", tmp_path)
