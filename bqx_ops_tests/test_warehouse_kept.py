"""The file warehouse's ``duckdb`` resource keeps one connection open while a run executes, and
lets go of the file when the run ends (another process, the next run, must open it at once); a run
started while another process has the file waits for it."""

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


def test_a_run_started_while_another_process_has_the_file_waits_for_it_instead_of_failing(tmp_path, monkeypatch):
    """The other run outlasting dagster-duckdb's own retries (~100 s) is played by cutting those retries to
    one attempt (dagster's code, not ours): the run still waits for the file and then runs."""
    import dagster_duckdb.resource
    from dagster._utils.backoff import backoff

    monkeypatch.setattr(dagster_duckdb.resource, "backoff", lambda **kw: backoff(**{**kw, "max_retries": 0}))
    db = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "c.execute('CREATE TABLE t AS SELECT 1 AS x'); print('held', flush=True); "
                               "time.sleep(2)", str(db)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"  # the other run's process has the file

    @dg.asset
    def later(duckdb: KeptDuckDBResource) -> None:
        with duckdb.get_connection() as conn:
            conn.execute("INSERT INTO t VALUES (2)")

    result = dg.materialize([later], resources={"duckdb": KeptDuckDBResource(database=str(db))}, raise_on_error=False)
    holder.wait()
    assert result.success
    assert holder.returncode == 0 and _open_elsewhere(db).stdout.strip() == "3"
