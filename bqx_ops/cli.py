"""`bqx-ops demo`: the whole cadence over the sample period, through a real Dagster instance."""

from __future__ import annotations

import argparse
import datetime as dt
import os
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
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        found = find_dagster_home(Path.cwd())
        if found is None:  # installed without the repo: keep an instance beside the data
            found = data_dir / "dagster_home"
            found.mkdir(parents=True, exist_ok=True)
            (found / "dagster.yaml").write_text(
                "telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n"
            )
        home = str(found)
        os.environ["DAGSTER_HOME"] = home
    return Path(home)


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _run(defs, instance, job_name: str, first: str | None = None, last: str | None = None, ops: dict | None = None):
    """One in-process run; a partition range runs as a single run (single-run backfill)."""
    tags = {"bqx_ops/trigger": "demo"}
    if first and last:
        tags |= {RANGE_START: first, RANGE_END: last}
    job = defs.resolve_job_def(job_name)
    started = time.perf_counter()
    config = {**QUIET, **({"ops": ops} if ops else {})}
    result = job.execute_in_process(instance=instance, run_config=config, tags=tags, raise_on_error=False)
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


def sensor_looks(days: list[dt.date], at: dt.time = dt.time(10)) -> list[str]:
    """The instants the unresolved-issue sensor is replayed at: each snapshot day at 10:00 UTC. Live, it
    looks hourly; the replay dates an escalation at most a few days late and keeps the demo short
    (each look collects every source as of its instant)."""
    return [dt.datetime.combine(day, at, dt.timezone.utc).isoformat() for day in days]


def partition_span(partitions_def, first: dt.date, last: dt.date, include=closed) -> tuple[str, str] | None:
    """First and last key of the partitions ``include`` keeps for the period [first, last]."""
    now = dt.datetime.combine(last + dt.timedelta(days=100), dt.time(), dt.timezone.utc)
    every = partitions_def.get_partition_keys(current_time=now)
    keys = [k for i, k in enumerate(every) if include(partitions_def.time_window_for_partition_key(k), first, last,
                                                      opening=i == 0)]
    return (keys[0], keys[-1]) if keys else None


# (title, job, partitions, which periods) in cadence order; None partitions: one plain run.
def _steps():
    from bqx_ops.defs.assessment.assets import ASSESSMENT_PARTITIONS
    from bqx_ops.defs.cadence.partitions import (
        ISSUE_REVIEW_PARTITIONS,
        PLAN_UPDATE_PARTITIONS,
        WEEKLY_SYNC_PARTITIONS,
    )
    from bqx_ops.defs.docs_sync.weeks import DOCS_SYNC_PARTITIONS

    return [
        # the sync also takes the week holding the last day, so the repo ends on the latest snapshot
        ("Repository & docs sync (Mondays)", "docs_sync_job", DOCS_SYNC_PARTITIONS, closed_or_open),
        ("Plan updates (Fridays)", "plan_update_job", PLAN_UPDATE_PARTITIONS, closed),
        ("Issue reviews (1st and 15th)", "issue_review_job", ISSUE_REVIEW_PARTITIONS, closed),
        ("Unresolved-issue escalations (sensor replayed on snapshot days)", "unresolved_issue_job", None, None),
        ("360 assessments (last Friday of the quarter)", "assessment_job", ASSESSMENT_PARTITIONS, assessed),
        ("Success-metrics dashboard (Mondays)", "dashboard_job", WEEKLY_SYNC_PARTITIONS, closed),
        ("Outbox delivery", "outbox_delivery_job", None, None),
    ]


def demo(data_dir: Path, date_from: dt.date | None, date_to: dt.date | None) -> int:
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    home = prepare_environment(data_dir)
    # Dagster's beta/preview notices are for library authors, not for someone running the demo.
    import dagster

    warnings.filterwarnings("ignore", category=dagster.BetaWarning)
    warnings.filterwarnings("ignore", category=dagster.PreviewWarning)

    # Imported after the environment is set: definitions read the mode and data dir.
    from dagster import DagsterInstance

    from bqx_ops.definitions import build_defs
    from bqx_ops.landing import Landing
    from bqx_ops.resources.airtable import EmbeddedAirtable
    from bqx_ops.summary import print_summary

    from bqx_ops.config import current, project_start

    EmbeddedAirtable(data_dir=str(data_dir)).ensure_landing()
    start = project_start(current("local", data_dir))  # partitions start there: earlier snapshots are not the plan's
    days = Landing(data_dir).airtable_snapshot_dates()
    days = [d for d in days if d >= start and (not date_from or d >= date_from) and (not date_to or d <= date_to)]
    if not days:
        print(f"No Airtable snapshots in {data_dir / 'landing'} for that period.", file=sys.stderr)
        return 2
    defs = build_defs(mode="local", data_dir=data_dir)
    instance = DagsterInstance.get()
    results = [("Airtable snapshots", _run(
        defs, instance, "airtable_snapshot_job", days[0].isoformat(), days[-1].isoformat()))]
    for title, job_name, partitions_def, include in _steps():
        if job_name == "unresolved_issue_job":  # the sensor's ticks replayed in one run
            looks = sensor_looks(days)
            ops = {"escalate_unresolved_issues": {"config": {"as_of": looks}}}
            results.append((f"{title} {days[0]} .. {days[-1]}", _run(defs, instance, job_name, ops=ops)))
        elif partitions_def is None:
            results.append((title, _run(defs, instance, job_name)))
        elif span := partition_span(partitions_def, days[0], days[-1], include):
            results.append((f"{title} {span[0]} .. {span[1]}", _run(defs, instance, job_name, *span)))
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
        return demo(args.data_dir, args.date_from, args.date_to)
    return 2


if __name__ == "__main__":
    sys.exit(main())
