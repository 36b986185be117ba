"""deploy/smoke against the machine's PostgreSQL: empty databases of its own, the three services of
the production profile, a cadence run launched by the daemon from a sensor tick through the run
queue; then PostgreSQL itself is read to confirm what smoke claims. test_deploy_smoke.py runs it on
both warehouses side by side (each mostly waits on sensor ticks)."""

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from bqx_ops_tests.postgres_db import scratch_database, url

REPO = Path(__file__).resolve().parents[1]


def smoke_lands_a_sensor_run_in_postgres(warehouse: str, tmp_path: Path) -> None:
    with scratch_database("bqx_ops_test_smoke") as name, scratch_database("bqx_ops_test_smoke_lake") as lake:
        bare = url(name).replace("postgresql+psycopg2://", "postgresql://")  # smoke adds the driver
        env = {**os.environ, "BQX_OPS_PG_URL": bare, "BQX_OPS_WAREHOUSE": warehouse,
               "BQX_OPS_LAKE_CATALOG": f"dbname={lake} host=127.0.0.1 user=postgres",
               "BQX_OPS_LAKE_DATA_PATH": str(tmp_path / "lake") + "/",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("DAGSTER_HOME", None)
        done = subprocess.run([str(REPO / "deploy" / "smoke")], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "smoke: passed" in done.stdout

        engine = sa.create_engine(url(name))
        with engine.connect() as conn:
            launched = conn.execute(sa.text(
                "SELECT t.value, r.status, count(*) FROM runs r JOIN run_tags t ON t.run_id = r.run_id"
                " WHERE t.key = 'dagster/sensor_name' GROUP BY 1, 2")).fetchall()
            queued = conn.execute(sa.text(
                "SELECT count(DISTINCT run_id) FROM event_logs WHERE dagster_event_type = 'PIPELINE_ENQUEUED'"
            )).scalar()
            delivered = conn.execute(sa.text(
                "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
                " AND asset_key = :key"), {"key": '["ops", "outbox_delivery"]'}).scalar()
        engine.dispose()
        if warehouse == "ducklake":  # the run wrote the outbox through the lake, not a file
            lake_engine = sa.create_engine(url(lake))
            with lake_engine.connect() as conn:
                tables = {r[0] for r in conn.execute(sa.text("SELECT table_name FROM ducklake_table"))}
            lake_engine.dispose()
            assert "outbox" in tables
    by_sensor = {(sensor, status) for sensor, status, _ in launched}
    assert ("missed_activity_escalation_sensor", "SUCCESS") in by_sensor
    assert ("deliver_after_runs_sensor", "SUCCESS") in by_sensor
    assert queued >= 2 and delivered >= 1
