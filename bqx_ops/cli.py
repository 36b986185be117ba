"""`bqx-ops demo`: the whole cadence over the sample period, through a real Dagster instance."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


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


# The console shows errors only: the summary reports each run, and every log line, warnings included
# (an escalation is one), stays in the run's event log for `dg dev`.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _run(defs, instance, job_name: str, first: str | None = None, last: str | None = None, ops: dict | None = None,
         now: dt.datetime | None = None, selection: list[list[str]] | None = None):
    """One in-process run; a partition range runs as a single run (single-run backfill). ``now``: the
    end of the replayed period; nothing the run writes is dated after it. Every run of the replay
    queues its docs-repository commits; the ordered-publication step makes them in date order."""
    from dagster import AssetKey

    from bqx_ops.docs_sync.queue import DEFERRED_TAG
    from bqx_ops.recovery import process_tags

    tags = {"bqx_ops/trigger": "demo", DEFERRED_TAG: "deferred", **process_tags()}  # process: did it die?
    tags |= {"bqx_ops/now": now.isoformat()} if now else {}
    if first and last:
        tags |= {RANGE_START: first, RANGE_END: last}
    job = defs.resolve_job_def(job_name)
    started = time.perf_counter()
    config = {**QUIET, **({"ops": ops} if ops else {})}
    keys = [AssetKey(k) for k in selection] if selection else None
    result = job.execute_in_process(instance=instance, run_config=config, tags=tags, raise_on_error=False,
                                    asset_selection=keys)
    result.seconds = time.perf_counter() - started  # shown in the summary
    return result


def _starts_in(window, first: dt.date, opening: bool) -> bool:
    """The period starts on or after ``first``; the opening period (holding the project's start,
    possibly partial) counts as soon as it ends after ``first`` began."""
    return window.start.date() >= first or (opening and window.end > dt.datetime.combine(first, dt.time(),
                                                                                         dt.timezone.utc))


def closed(window, first: dt.date, last: dt.date, opening: bool = False) -> bool:
    """The period lies inside [first, last] (the opening period may start before ``first``)."""
    return _starts_in(window, first, opening) and window.end.date() <= last


def closed_or_open(window, first: dt.date, last: dt.date, opening: bool = False) -> bool:
    """Also the period holding ``last``: it reads the latest snapshot, as the change sensor would."""
    return _starts_in(window, first, opening) and window.start.date() <= last


def assessed(window, first: dt.date, last: dt.date, opening: bool = False) -> bool:
    """A quarter whose 360 assessment day (its last Friday) falls inside [first, last]."""
    from bqx_ops.calendar import assessment_date

    day = assessment_date(window.start.year, (window.start.month - 1) // 3 + 1)
    return first <= day <= last


def sensor_looks(days: list[dt.date], at: dt.time = dt.time(9)) -> list[str]:
    """The instants the unresolved-issue sensor is replayed at: each snapshot day at 09:00 UTC. Live, it
    looks hourly; the replay dates an escalation at most a few days late (and misses one whose issue was
    past its SLA only between two looks) and keeps the demo short
    (each look collects every source as of its instant). 09:00 is the weekly instant of the sync and
    the dashboard: a Monday look is the dashboard's own (collected once, BQX_OPS_SHARED_LOOKS)."""
    return [dt.datetime.combine(day, at, dt.timezone.utc).isoformat() for day in days]


def partition_span(partitions_def, first: dt.date, last: dt.date, include=closed,
                   from_start: bool = False) -> tuple[str, str] | None:
    """First and last key of the partitions ``include`` keeps for the period [first, last]. ``from_start``:
    ``first`` is the plan's first snapshot (no ``--from`` cut earlier ones), so the period holding it opens
    the replay even when it is not the first partition (a start on a Sunday, the first snapshot on the
    Tuesday: the sync week from that Monday holds it, the one holding the start has no snapshot)."""
    now = dt.datetime.combine(last + dt.timedelta(days=100), dt.time(), dt.timezone.utc)
    every = partitions_def.get_partition_keys(current_time=now)
    keys = [k for i, k in enumerate(every) if include(partitions_def.time_window_for_partition_key(k), first, last,
                                                      opening=i == 0 or from_start)]
    return (keys[0], keys[-1]) if keys else None


class Skipped:
    """A step not run because a step it reads from failed: its tables would be partial or empty."""

    success = False

    def __init__(self, because: list[str]):
        self.because = because


SNAPSHOT_JOB = "airtable_snapshot_job"


PUBLISHING = ["plan_update_job", "docs_sync_job", "issue_review_job", "assessment_job", "dashboard_job"]
RELEASES = [["docs", "release_tags"], ["docs", "sync_notification"]]  # they name the sync's commits


# (title, job, partitions, which periods, the jobs whose outputs it reads, asset selection or None: all)
# in cadence order; None partitions: one plain run. Everything reads the snapshots; the sync reads the
# plan dashboard, the review the plan update's R² drops, the assessment both, the dashboard all of them.
def _steps(defs):
    from bqx_ops.defs.assessment.assets import ASSESSMENT_PARTITIONS
    from bqx_ops.defs.cadence.partitions import (
        ISSUE_REVIEW_PARTITIONS,
        PLAN_UPDATE_PARTITIONS,
        WEEKLY_SYNC_PARTITIONS,
    )
    from bqx_ops.defs.docs_sync.weeks import DOCS_SYNC_PARTITIONS
    from bqx_ops.defs.docs_sync.schedules import docs_sync_job

    # the sync's own work, its commits queued; the tags and notes naming them come after the publication
    sync_work = sorted(list(k.path) for k in docs_sync_job.selection.resolve(defs.resolve_asset_graph())
                       if list(k.path) not in RELEASES)
    return [
        # the sync also takes the week holding the last day, so the repo ends on the latest snapshot
        ("Plan updates (Fridays)", "plan_update_job", PLAN_UPDATE_PARTITIONS, closed, [SNAPSHOT_JOB], None),
        # after the plan updates, as Monday's sync follows Friday's update: the README status shows
        # the plan dashboard as of each week's end, so a re-run finds nothing new to commit
        ("Repository & docs sync (Mondays)", "docs_sync_job", DOCS_SYNC_PARTITIONS, closed_or_open,
         [SNAPSHOT_JOB, "plan_update_job"], sync_work),
        ("Issue reviews (1st and 15th)", "issue_review_job", ISSUE_REVIEW_PARTITIONS, closed,
         [SNAPSHOT_JOB, "plan_update_job"], None),
        ("Unresolved-issue escalations (sensor replayed on snapshot days)", "unresolved_issue_job", None, None,
         [SNAPSHOT_JOB, "plan_update_job"], None),
        ("360 assessments (last Friday of the quarter)", "assessment_job", ASSESSMENT_PARTITIONS, assessed,
         [SNAPSHOT_JOB, "plan_update_job", "issue_review_job"], None),
        ("Success-metrics dashboard (Mondays)", "dashboard_job", WEEKLY_SYNC_PARTITIONS, closed,
         [SNAPSHOT_JOB, "docs_sync_job", "plan_update_job", "issue_review_job", "assessment_job"], None),
        # every commit the runs above queued, in date order: git log reads as the history happened
        ("Docs repository commits (queued above, made in date order)", "docs_publication_job", None, None,
         [SNAPSHOT_JOB, *PUBLISHING], None),
        ("Release tags and sync notifications (Mondays)", "docs_sync_job", DOCS_SYNC_PARTITIONS, closed_or_open,
         [SNAPSHOT_JOB, *PUBLISHING, "docs_publication_job"], RELEASES),
        # delivers what earlier runs enqueued, whatever failed since
        ("Outbox delivery", "outbox_delivery_job", None, None, [], None),
    ]


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
        return _replay(defs, instance, data_dir, home, days, from_start=days[0] == plan_days[0])


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


def _replay(defs, instance, data_dir: Path, home: Path, days: list[dt.date], from_start: bool = False) -> int:
    from bqx_ops.summary import print_summary

    now = dt.datetime.combine(days[-1], dt.time(23, 59), dt.timezone.utc)  # the end of the replayed period
    results = [("Airtable snapshots", _run(
        defs, instance, SNAPSHOT_JOB, days[0].isoformat(), days[-1].isoformat(), now=now))]
    failed = set() if results[0][1].success else {SNAPSHOT_JOB}
    for title, job_name, partitions_def, include, reads, selection in _steps(defs):
        span = partition_span(partitions_def, days[0], days[-1], include, from_start=from_start) \
            if partitions_def else None
        if partitions_def is not None and span is None:
            continue
        title = f"{title} {span[0]} .. {span[1]}" if span else title
        ops = None
        if job_name == "unresolved_issue_job":  # the sensor's ticks replayed in one run
            title, ops = f"{title} {days[0]} .. {days[-1]}", {
                "escalate_unresolved_issues": {"config": {"as_of": sensor_looks(days)}}}
        if blocked := [name for name in reads if name in failed]:
            results.append((title, Skipped(blocked)))
        else:
            results.append((title, _run(defs, instance, job_name, *(span or ()), ops=ops, now=now,
                                        selection=selection)))
        if not results[-1][1].success:
            failed.add(job_name)
    print_summary(results, data_dir=data_dir, dagster_home=home, period=(days[0], days[-1]))
    return 0 if all(r.success for _, r in results) else 1


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
