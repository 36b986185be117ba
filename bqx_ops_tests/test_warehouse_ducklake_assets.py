"""The same assets, checks and SQL on both warehouses: the Airtable snapshot assets of two days,
materialized once on the DuckDB file and once on DuckLake (catalog in the machine's
PostgreSQL), leave identical tables and identical check results."""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.airtable import checks
from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.resources.factory import build_resources
from bqx_ops.resources.warehouse import connect_lake
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.postgres_db import scratch_database

pytestmark = pytest.mark.slow
MON, FRI = dt.date(2025, 8, 18), dt.date(2025, 8, 22)
CHECKS = dg.load_asset_checks_from_modules([checks])


def _materialize(data_dir):
    result = dg.materialize(
        [raw_records, airtable_tables, *CHECKS], resources=build_resources("local", data_dir),
        tags={"dagster/asset_partition_range_start": MON.isoformat(),
              "dagster/asset_partition_range_end": FRI.isoformat()})
    return {e.check_name: (e.passed, str(e.severity)) for e in result.get_asset_check_evaluations()}


def _tables(conn) -> dict[str, list]:
    names = conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                         "WHERE table_schema = 'airtable' ORDER BY 1, 2").fetchall()
    return {f"{s}.{t}": conn.execute(f"SELECT * FROM {s}.{t} ORDER BY ALL").fetchall() for s, t in names}


def test_snapshot_assets_leave_identical_tables_on_the_file_and_on_ducklake(tmp_path, monkeypatch):
    for day, base in ((MON, minimal_base()), (FRI, edit(minimal_base(), "Stages", "recSTAGE000000003", Status="In Progress"))):
        for where in ("file", "lake"):
            write_snapshot(tmp_path / where, day, base)

    monkeypatch.setenv("BQX_OPS_WAREHOUSE", "duckdb")
    file_checks = _materialize(tmp_path / "file")
    with duckdb.connect(str(tmp_path / "file" / "bqx_ops.duckdb"), read_only=True) as conn:
        in_file = _tables(conn)

    with scratch_database("bqx_ops_test_lake_assets") as name:
        catalog, data_path = f"dbname={name} host=127.0.0.1 user=postgres", str(tmp_path / "lake-files") + "/"
        monkeypatch.setenv("BQX_OPS_WAREHOUSE", "ducklake")
        monkeypatch.setenv("BQX_OPS_LAKE_CATALOG", catalog)
        monkeypatch.setenv("BQX_OPS_LAKE_DATA_PATH", data_path)
        lake_checks = _materialize(tmp_path / "lake")
        conn = connect_lake(catalog, data_path)
        in_lake = _tables(conn)
        conn.close()

    assert not (tmp_path / "lake" / "bqx_ops.duckdb").exists()  # nothing went to a file
    assert set(in_file) >= {"airtable.raw_records", "airtable.stages", "airtable.quarantine"}
    assert in_lake == in_file and sum(map(len, in_file.values())) > 0
    assert lake_checks == file_checks
