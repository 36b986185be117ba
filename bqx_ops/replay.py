"""The demo's replay of the cadence: which jobs run, in which order, over which of their partitions for
a period of snapshot days, each as one in-process run (``replay``). ``cli`` prepares the environment,
the instance and the warehouse around it.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

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


def replay(defs, instance, data_dir: Path, home: Path, days: list[dt.date], from_start: bool = False) -> int:
    """The snapshot run, then each step of the cadence over the partitions of ``days`` (a step whose inputs
    failed is skipped), then the summary; 0 when every run succeeded."""
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
