"""Write the deterministic BQX-ML sample into ``<data_dir>/landing/``.

The sample is one fixed story (2025-08-18 .. 2026-06-30); ``start``/``end`` only
choose the window that was "fetched":

* Airtable: one snapshot per snapshot day in [start, end] (Mondays, Fridays, the
  1st, the 15th and month ends), each holding every change made on or before it;
* CloudWatch: one file per log group and day in [start, end];
* Cost Explorer: one file per month touching [start, end], covering only its days
  inside the window (days of the month of ``end`` are marked ``Estimated``);
* SageMaker: the jobs created in [start, end];
* GitHub: the issues as fetched at the end of ``end`` with ``since=start``.

A snapshot or CloudWatch day file is the same whatever the window, so a shorter
window writes a subset of those files of a longer one.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from pathlib import Path

from bqx_ops.landing import Landing, write_json
from bqx_ops.processes import alive

from . import activity, assessment, aws, github, metrics, story, training
from .airtable import Base, write_snapshots
from .timeline import LOG_GROUPS, SAMPLE_END, SAMPLE_START, days, snapshot_dates


def build_base() -> Base:
    """The Airtable base with its full history."""
    base = Base()
    story.plan(base)
    story.phases(base)
    story.blockers_and_gaps(base)
    activity.tasks(base)
    activity.decisions(base)
    activity.learnings(base)
    activity.model_results(base)
    activity.artifacts(base)
    assessment.inputs(base)
    assessment.approvals(base)
    return base.freeze()


def write_config(data_dir: str | Path) -> Path:
    """The sample's project configuration beside its landing zone (a user's own file is kept)."""
    from bqx_ops.config import CONFIG_FILE, SAMPLE_CONFIG

    target = Path(data_dir) / CONFIG_FILE
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE_CONFIG, target)
    return target


def write_sample(data_dir: str | Path, start: dt.date = SAMPLE_START, end: dt.date = SAMPLE_END) -> dict:
    """Write the sample landing zone for [start, end]; return counts of what was written."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    landing = Landing(data_dir)
    write_config(data_dir)

    snaps = snapshot_dates(start, end)
    counts = write_snapshots(build_base(), landing, snaps)

    issues = github.issues(start, end)
    write_json(landing.github_issues, issues)

    by_day = aws.jobs_by_day()
    events = 0
    for day in days(start, end):
        for group in LOG_GROUPS:
            day_events = aws.cloudwatch_events(group, day, by_day.get(day, []))
            write_json(landing.cloudwatch_day(group, day), day_events)
            events += len(day_events)

    jobs = [aws.describe_training_job(job) for job in training.jobs() if start <= job.day <= end]
    write_json(landing.sagemaker_jobs, jobs)

    months = 0
    first = start
    while first <= end:
        next_month = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        last = min(end, next_month - dt.timedelta(days=1))
        write_json(landing.costs_month(first.year, first.month),
                   aws.cost_month(first, last, by_day, estimated_from=end.replace(day=1)))
        latency = metrics.latency_month(first, last)
        if latency is not None:
            write_json(landing.metrics_month(metrics.LATENCY_SLUG, first.year, first.month), latency)
        months += 1
        first = next_month

    return {
        "start": start.isoformat(), "end": end.isoformat(),
        "snapshots": len(snaps),
        "first_snapshot": snaps[0].isoformat() if snaps else None,
        "last_snapshot": snaps[-1].isoformat() if snaps else None,
        "records": counts,  # per table, in the last snapshot
        "issues": sum("pull_request" not in i for i in issues),
        "pull_requests": sum("pull_request" in i for i in issues),
        "log_events": events,
        "training_jobs": len(jobs),
        "cost_months": months,
    }


STAGING_PREFIX = ".sample-"


def ensure_sample(data_dir: str | Path) -> bool:
    """The sample's landing zone in ``data_dir``, unless a landing zone is there already (True: this
    call wrote it). Written into a staging folder beside it and renamed into place, so a writer killed
    half-way leaves no half landing zone that the next one would take for a whole one."""
    data_dir = Path(data_dir)
    landing = Landing(data_dir)
    if landing.exists():
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    _remove_dead_staging(data_dir)
    staging = data_dir / f"{STAGING_PREFIX}{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write_sample(staging)
        write_config(data_dir)
        if landing.root.is_dir() and not landing.exists():
            landing.root.rmdir()  # an empty folder is no landing zone
        try:
            os.rename(Landing(staging).root, landing.root)
        except OSError:
            if landing.exists():  # another writer renamed its copy first: the same sample
                return False
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def _remove_dead_staging(data_dir: Path) -> None:
    """Staging folders of writers that died before their rename (their pid is in the name)."""
    for folder in data_dir.glob(f"{STAGING_PREFIX}*"):
        pid = folder.name[len(STAGING_PREFIX):].split("-")[0]
        if pid.isdecimal() and int(pid) != os.getpid() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
