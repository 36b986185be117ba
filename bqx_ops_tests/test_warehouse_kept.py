"""The file warehouse's ``duckdb`` resource keeps one connection open while a run executes, and
lets go of the file when the run ends (another process, the next run, must open it at once)."""

import subprocess
import sys

import dagster as dg

from bqx_ops.resources.warehouse import KeptDuckDBResource


def _open_elsewhere(db) -> subprocess.CompletedProcess:
    """Another process opening the file for writing, as the next run's process would."""
    code = f"import duckdb; print(duckdb.connect({str(db)!r}).execute('SELECT sum(x) FROM t').fetchone()[0])"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_run_holds_the_file_between_its_assets_and_releases_it_when_it_ends(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    seen = {}

    @dg.asset
    def first(duckdb: KeptDuckDBResource) -> None:
        with duckdb.get_connection() as conn:
            conn.execute("CREATE TABLE t AS SELECT 1 AS x")

    @dg.asset(deps=[first])
    def second(duckdb: KeptDuckDBResource) -> None:
        seen["between"] = _open_elsewhere(db)  # no connection of ours is open here, but the kept one
        with duckdb.get_connection() as conn:
            conn.execute("INSERT INTO t VALUES (2)")

    assert dg.materialize([first, second], resources={"duckdb": KeptDuckDBResource(database=str(db))}).success
    assert seen["between"].returncode != 0 and "lock" in seen["between"].stderr.lower()
    after = _open_elsewhere(db)
    assert after.returncode == 0 and after.stdout.strip() == "3", after.stderr
