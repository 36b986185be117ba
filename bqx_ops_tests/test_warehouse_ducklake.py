"""DuckLake as the shared warehouse: four writer processes and a reader at the same time, through
the real IO manager (dagster-duckdb-pandas on DuckLake) and the real ``duckdb`` resource, with
the catalog in the machine's PostgreSQL (a database of its own) and the data files under tmp."""

import datetime as dt
import multiprocessing as mp
import time

import pytest

from bqx_ops_tests.postgres_db import scratch_database

pytestmark = pytest.mark.slow

WRITERS, ROUNDS, ROWS = 4, 3, 50


def _day(writer: int) -> str:
    return (dt.date(2026, 1, 1) + dt.timedelta(days=writer)).isoformat()


def _expected_rows(writer: int, round_: int) -> list[tuple]:
    """What writer ``writer`` writes to its partition in round ``round_`` (computed here, not by the code)."""
    return [(_day(writer), writer, round_, i, writer * 1000 + round_ * 100 + i) for i in range(ROWS)]


def _writer(catalog: str, data_path: str, writer: int) -> list[str]:
    """One process: ROUNDS materializations of its own partition through the IO manager (each
    replaces the partition), and one resource-path INSERT per round into a shared table."""
    import dagster as dg
    import pandas as pd

    from bqx_ops.resources.warehouse import DuckLakePandasIOManager, DuckLakeResource

    errors = []
    for round_ in range(ROUNDS):
        @dg.asset(key_prefix=["lake_probe"], partitions_def=dg.DailyPartitionsDefinition(start_date="2026-01-01"),
                  metadata={"partition_expr": "day"})
        def rows() -> pd.DataFrame:
            frame = pd.DataFrame(_expected_rows(writer, round_), columns=["day", "writer", "round", "i", "value"])
            frame["day"] = pd.to_datetime(frame["day"])
            return frame

        result = dg.materialize([rows], partition_key=_day(writer), raise_on_error=False,
                                resources={"io_manager": DuckLakePandasIOManager(catalog=catalog, data_path=data_path)})
        if not result.success:
            errors.append(f"writer {writer} round {round_}: materialization failed")
        try:
            with DuckLakeResource(catalog=catalog, data_path=data_path).get_connection() as conn:
                conn.execute("INSERT INTO lake_probe.events VALUES (?, ?)", [writer, round_])
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            errors.append(f"writer {writer} round {round_}: {type(exc).__name__}: {exc}")
    return errors


def _writer_process(catalog: str, data_path: str, writer: int, results) -> None:
    results.put((writer, _writer(catalog, data_path, writer)))


def _reader(catalog: str, data_path: str, stop, out) -> None:
    """A notebook reading while runs write: a fresh connection per read; records every failure
    and the largest row count it ever saw in one partition."""
    from bqx_ops.resources.warehouse import connect_lake

    failures, reads, largest = [], 0, 0
    while not stop.is_set():
        try:
            conn = connect_lake(catalog, data_path)
            try:
                if conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'lake_probe'"
                                " AND table_name = 'rows'").fetchone()[0]:
                    counts = conn.execute("SELECT day, count(*) FROM lake_probe.rows GROUP BY day").fetchall()
                    largest = max([largest, *(n for _, n in counts)])
                reads += 1
            finally:
                conn.close()
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.05)
    out.put({"failures": failures, "reads": reads, "largest": largest})


@pytest.fixture
def lake(tmp_path):
    with scratch_database("bqx_ops_test_lake") as name:
        yield f"dbname={name} host=127.0.0.1 user=postgres", str(tmp_path / "lake") + "/"


def test_four_concurrent_writers_and_a_reader_on_ducklake(lake):
    catalog, data_path = lake
    from bqx_ops.resources.warehouse import connect_lake

    # the shared table exists before the writers start: what runs at once is the writes (two
    # processes creating one table is a conflict by design, DuckLake's as any database's)
    conn = connect_lake(catalog, data_path)
    conn.execute("CREATE SCHEMA IF NOT EXISTS lake_probe")
    conn.execute("CREATE TABLE IF NOT EXISTS lake_probe.events (writer INTEGER, round INTEGER)")
    conn.close()
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    reader = ctx.Process(target=_reader, args=(catalog, data_path, stop, out))
    reader.start()
    results = ctx.Queue()
    writers = [ctx.Process(target=_writer_process, args=(catalog, data_path, w, results)) for w in range(WRITERS)]
    try:
        for writer in writers:
            writer.start()
        for writer in writers:  # a writer that dies (a crash in an extension) is an error, never a hang
            writer.join(timeout=300)
    finally:
        stop.set()
        for writer in writers:
            if writer.is_alive():
                writer.kill()
    reported = dict(results.get(timeout=30) for _ in range(sum(p.exitcode == 0 for p in writers)))  # small
    errors = [e for w in range(WRITERS) for e in reported.get(w, [])]
    errors += [f"writer {w} exited with {p.exitcode}" for w, p in enumerate(writers) if p.exitcode != 0]
    seen = out.get(timeout=120)
    reader.join(timeout=60)

    assert errors == []
    assert seen["failures"] == [] and seen["reads"] > 0
    assert seen["largest"] <= ROWS  # a replaced partition never showed two rounds at once

    conn = connect_lake(catalog, data_path)
    stored = conn.execute("SELECT strftime(day, '%Y-%m-%d'), writer, round, i, value FROM lake_probe.rows "
                          "ORDER BY writer, i").fetchall()
    events = conn.execute("SELECT writer, round FROM lake_probe.events ORDER BY ALL").fetchall()
    conn.close()
    # Each partition holds exactly its last round: nothing lost, nothing duplicated.
    assert stored == [row for w in range(WRITERS) for row in _expected_rows(w, ROUNDS - 1)]
    assert events == [(w, r) for w in range(WRITERS) for r in range(ROUNDS)]


def test_the_outbox_works_on_ducklake(lake):
    from bqx_ops import outbox
    from bqx_ops.resources.warehouse import connect_lake

    now = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    producer = outbox.Producer(asset="probe")
    conn = connect_lake(*lake)
    outcomes = [outbox.enqueue(conn, "k/1", "slack", {"text": t}, producer, now, now) for t in ("a", "a", "b")]
    rows = conn.execute("SELECT key, version, payload_json, status FROM ops.outbox").fetchall()
    conn.close()
    assert outcomes == ["created", "unchanged", "replaced"]
    assert rows == [("k/1", 1, '{"text":"b"}', "pending")]


def test_ducklake_data_on_s3_through_the_io_manager(moto_server, lake):
    """The production layout: catalog in PostgreSQL, Parquet files in a bucket (moto's S3)."""
    import boto3
    import dagster as dg
    import pandas as pd

    from bqx_ops.resources.warehouse import DuckLakePandasIOManager, connect_lake

    catalog, _ = lake
    boto3.client("s3").create_bucket(Bucket="bqx-lake")
    frame = pd.DataFrame({"k": ["a", "b", "c"], "v": [1, 2, 3]})

    @dg.asset(key_prefix=["lake_probe"])
    def on_s3() -> pd.DataFrame:
        return frame

    manager = DuckLakePandasIOManager(catalog=catalog, data_path="s3://bqx-lake/data/")
    assert dg.materialize([on_s3], resources={"io_manager": manager}).success
    conn = connect_lake(catalog, "s3://bqx-lake/data/")
    assert conn.execute("SELECT k, v FROM lake_probe.on_s3 ORDER BY k").fetchall() == [("a", 1), ("b", 2), ("c", 3)]
    conn.close()
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="bqx-lake")["Contents"]]
    assert keys and all(k.startswith("data/lake_probe/on_s3/") and k.endswith(".parquet") for k in keys)
