"""The production instance (deploy/dagster.yaml) loads on PostgreSQL with the queue, the duckdb
pool, run monitoring that frees dead runs' slots, and run retries; no secret is in the file."""

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from bqx_ops_tests.postgres_db import scratch_database, url

REPO = Path(__file__).resolve().parents[1]


def load_instance(config: Path, home: Path) -> dg.DagsterInstance:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(config, home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


@pytest.fixture
def pg_url(monkeypatch):
    with scratch_database("bqx_ops_test_instance") as name:
        monkeypatch.setenv("BQX_OPS_PG_URL", url(name))
        yield url(name)


def test_the_production_instance_runs_on_postgres_with_queue_pool_monitoring_and_retries(pg_url, tmp_path):
    with load_instance(REPO / "deploy" / "dagster.yaml", tmp_path / "home") as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        assert instance.run_retries_max_retries == 2
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert not instance.telemetry_enabled
        # The storage really is the database: a run written here is read back with plain SQL.
        run = instance.add_run(dg.DagsterRun(job_name="probe", run_id="0" * 8 + "-0000-0000-0000-" + "0" * 12))
        # the DuckLake pool limit is set per pool, over the default, without editing the file
        instance.event_log_storage.set_concurrency_slots("duckdb", 4)
        assert instance.event_log_storage.get_concurrency_info("duckdb").slot_count == 4
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT pipeline_name FROM runs WHERE run_id = :r"),
                            {"r": run.run_id}).scalar() == "probe"
    engine.dispose()


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, str(i)))
    else:
        yield path, node


def test_no_connection_secret_is_written_in_the_deploy_files():
    """URLs with credentials and passwords come from the environment (``env:``), never the file."""
    files = sorted((REPO / "deploy").rglob("*.yaml"))
    assert REPO / "deploy" / "dagster.yaml" in files
    for path in files:
        for keys, value in _leaves(yaml.safe_load(path.read_text())):
            where = f"{path.relative_to(REPO)}: {'.'.join(keys)}"
            assert not (isinstance(value, str) and "://" in value and "@" in value), where
            assert not any(k.lower() in ("password", "postgres_url", "token") for k in keys[-1:]), where


def test_the_workspace_points_the_webserver_and_daemon_at_the_code_server():
    workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text())
    (entry,) = workspace["load_from"]
    assert entry["grpc_server"] == {"host": {"env": "BQX_OPS_CODE_SERVER_HOST"},
                                    "port": {"env": "BQX_OPS_CODE_SERVER_PORT"}, "location_name": "bqx_ops"}
