"""`bqx-ops demo`: the whole cadence over the sample period, through a real Dagster instance."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import subprocess
import sys
import warnings
from pathlib import Path


def find_dagster_home(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding dagster.yaml (the repo root)."""
    for folder in (start, *start.parents):
        if (folder / "dagster.yaml").is_file():
            return folder
    return None


def prepare_environment(data_dir: Path) -> Path:
    """Point bqx_ops at ``data_dir`` in local mode and Dagster at the repo's instance."""
    os.environ["BQX_OPS_MODE"] = "local"
    os.environ["BQX_OPS_DATA_DIR"] = str(data_dir)
    # One "materialization planned" event per asset for a single-run backfill instead of one per
    # partition (317 days x 10 assets for the snapshots): a third of the demo's events, all
    # written to SQLite. The price, a failed run's partitions shown missing rather than failed,
    # is paid by the demo itself: it skips everything downstream of a failed run.
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    # ...and an output's materializations (one per partition) stored as one batch, in two INSERTs
    # (bqx_ops.instance_storage) instead of a transaction per event on each of two SQLite files.
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "10000")
    # ...and its runs share the issue collections of the instants several of them look at (the sources
    # and Airtable tables do not change after the snapshot run): bqx_ops.issue_review.collect
    os.environ.setdefault("BQX_OPS_SHARED_LOOKS", "1")
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        found = find_dagster_home(Path.cwd())
        if found is None:  # installed without the repo: keep an instance beside the data
            found = data_dir / "dagster_home"
            found.mkdir(parents=True, exist_ok=True)
            (found / "dagster.yaml").write_text(
                "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"
                "event_log_storage:\n  module: bqx_ops.instance_storage\n  class: PooledSqliteEventLogStorage\n"
                "run_storage:\n  module: bqx_ops.instance_storage\n  class: PooledSqliteRunStorage\n"
            )
        home = str(found)
        os.environ["DAGSTER_HOME"] = home
    return Path(home)


def _write_sample_beside(data_dir: Path) -> subprocess.Popen | None:
    """A first demo writes the sample in a child process while this one imports Dagster and builds
    the definitions (two cores: ~1.5 s of each); written into a staging folder and renamed into place
    (``ensure_sample``), so a kill half-way leaves nothing half-written."""
    from bqx_ops.landing import Landing

    if Landing(data_dir).exists():
        return None
    code = "import sys; from bqx_ops.sample import ensure_sample; ensure_sample(sys.argv[1])"
    # its failure (a full disk) is the parent's to report: it writes the sample itself then
    return subprocess.Popen([sys.executable, "-c", code, str(data_dir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _freeze_what_lives_as_long_as_the_demo() -> None:
    """Dagster, pandas, the definitions and the instance, loaded before the first run, live as long as
    the demo's one process: frozen, the cyclic collector's full scans during the ten runs skip them
    (they took ~1.7 CPU-s of the full sample, ~0.8 s after). Objects the runs create are collected as before."""
    import gc
    import importlib

    importlib.import_module("pandas")  # the first run imports it anyway: here, so that it is frozen too

    gc.freeze()
    # The runs make millions of short-lived objects (frames, rows, events) and few cycles: a young
    # collection every 50,000 allocations instead of 700 (a few MB more at most, freed as before)
    gc.set_threshold(50_000, 20, 20)


def _instance(instance_class, attempts: int = 5):
    """The instance; a new DAGSTER_HOME opened by another process at the same moment (a UI, a poller)
    races Dagster's own SQLite set-up ("table alembic_version already exists"): the loser retries
    once the winner is done, instead of dying before the summary."""
    import time

    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            return instance_class.get()
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


class DataDirUnusable(Exception):
    """The data dir cannot be used: a full disk, a read-only file system, another demo holding the warehouse."""


@contextlib.contextmanager
def _using(data_dir: Path, what: str):
    """A failure to write or open ``data_dir``'s files as one clear line instead of a traceback."""
    import duckdb

    try:
        yield
    except (OSError, duckdb.IOException) as exc:
        raise DataDirUnusable(
            f"cannot {what} in {data_dir}: {exc}\nNothing half-written was kept. Free space, make the data dir "
            "writable or wait for the process holding it, then run the demo again.") from exc


def demo(data_dir: Path, date_from: dt.date | None, date_to: dt.date | None) -> int:
    data_dir = data_dir.resolve()
    with _using(data_dir, "create the data dir"):
        data_dir.mkdir(parents=True, exist_ok=True)
    home = prepare_environment(data_dir)
    writer = _write_sample_beside(data_dir)
    # Dagster's beta/preview notices are for library authors, not for someone running the demo.
    import dagster

    warnings.filterwarnings("ignore", category=dagster.BetaWarning)
    warnings.filterwarnings("ignore", category=dagster.PreviewWarning)

    # Imported after the environment is set: definitions read the mode and data dir.
    from dagster import DagsterInstance

    from bqx_ops.definitions import build_defs
    from bqx_ops.landing import Landing
    from bqx_ops.recovery import recover
    from bqx_ops.replay import replay
    from bqx_ops.resources.airtable import EmbeddedAirtable

    from bqx_ops.config import current, project_start

    if writer is not None:
        writer.wait()
    with _using(data_dir, "write the sample's landing zone"):  # the writer's result, or written here if it failed
        EmbeddedAirtable(data_dir=str(data_dir)).ensure_landing()
    start = project_start(current("local", data_dir))  # partitions start there: earlier snapshots are not the plan's
    plan_days = [d for d in Landing(data_dir).airtable_snapshot_dates() if d >= start]
    days = [d for d in plan_days if (not date_from or d >= date_from) and (not date_to or d <= date_to)]
    today = dt.datetime.now(dt.timezone.utc).date()
    if later := [d for d in days if d > today]:
        # partitions end at the present: a day still to come cannot be replayed (nor snapshotted)
        print(f"Note: {len(later)} snapshot day{'' if len(later) == 1 else 's'} after today ({today}) are not replayed: {later[0]} .. {later[-1]}.",
              file=sys.stderr)
        days = [d for d in days if d <= today]
    if not days:
        print(f"No Airtable snapshots in {data_dir / 'landing'} for that period"
              f"{' up to today' if later else ''}.", file=sys.stderr)
        return 2
    defs = build_defs(mode="local", data_dir=data_dir)
    instance = _instance(DagsterInstance)
    _freeze_what_lives_as_long_as_the_demo()
    for line in recover(instance):  # runs a killed demo left behind would hold the duckdb pool forever
        print(f"Recovered: {line}")
    with _warehouse_open(defs, data_dir):
        return replay(defs, instance, data_dir, home, days, from_start=days[0] == plan_days[0])


@contextlib.contextmanager
def _warehouse_open(defs, data_dir: Path):
    """The warehouse file kept open for the whole replay: each run's connections attach to the same
    database instance, so a run's end is no checkpoint of the file (DuckDB checkpoints when its last
    connection closes: ten times, ~1 s of the full sample); the replay's end checkpoints once.

    The instance runs its queries on one thread: the replay makes ~7,500 small statements, where handing
    each to a second thread costs more than it gains (the full sample: ~2.7 CPU-s fewer; even its
    CloudWatch windows, its largest reads, took 1.7 CPU-s instead of 2.6 on one thread, in less wall
    time on a loaded machine; on an idle one, estimated from those CPU-s, at most ~0.5 s more)."""
    from bqx_ops.resources.warehouse import KeptDuckDBResource

    duckdb = defs.resources.get("duckdb")
    if not isinstance(duckdb, KeptDuckDBResource):  # DuckLake: no file to keep open
        yield
        return
    with contextlib.ExitStack() as stack:
        with _using(data_dir, "open the warehouse"):
            _open_once(duckdb.database)
            conn = stack.enter_context(duckdb.get_connection())
        conn.execute("SET threads = 1")  # the database instance's setting: every connection of the replay
        yield


def _open_once(database: str) -> None:
    """Open and close the file once, so that what waiting cannot mend (a read-only or full file system)
    fails now: dagster-duckdb retries every IOException for ~2 minutes, which is right only while
    another process holds the file's lock."""
    import duckdb

    try:
        duckdb.connect(database).close()
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bqx-ops", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="run the cadence over the sample (or recorded) period")
    p_demo.add_argument("--data-dir", type=Path, default=Path("data"), help="default: ./data")
    p_demo.add_argument("--from", dest="date_from", type=dt.date.fromisoformat, help="YYYY-MM-DD")
    p_demo.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    if args.command == "demo":
        try:
            return demo(args.data_dir, args.date_from, args.date_to)
        except DataDirUnusable as exc:
            print(f"bqx-ops demo: {exc}", file=sys.stderr)
            return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
