"""Crash recovery for runs without a daemon: dead runs are marked failed and their pool slots freed.

`bqx-ops demo` executes its runs in its own process. If that process is killed (SIGKILL, OOM,
a closed laptop), its run stays STARTED in the instance and keeps the `duckdb` pool slot its
step claimed, so every later run would wait forever for it. In production the daemon's run
monitoring does this (deploy/dagster.yaml); the demo has no daemon, so it does it itself before
its first run. A run is dead only if it was started on this host by a process that no longer
exists: runs of other hosts or of a live process are never touched.
"""

from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from bqx_ops.processes import alive

PID_TAG = "bqx_ops/pid"
HOST_TAG = "bqx_ops/host"
UNFINISHED = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
              DagsterRunStatus.CANCELING]
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


def process_tags() -> dict[str, str]:
    """Tags naming the process that executes a run in-process, so a later process can tell it died."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def dead_runs(instance: DagsterInstance) -> list:
    """Unfinished runs whose executing process (named by process_tags) is gone from this host."""
    host, dead = socket.gethostname(), []
    for record in instance.get_run_records(RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        pid = run.tags.get(PID_TAG, "")
        if run.tags.get(HOST_TAG) == host and pid.isdecimal() and int(pid) != os.getpid() and not alive(int(pid)):
            dead.append(run)
    return dead


def recover(instance: DagsterInstance) -> list[str]:
    """Mark dead runs failed, then free the pool slots of every finished run still holding one.
    Returns one line per action, for the caller to print."""
    lines = []
    for run in dead_runs(instance):
        instance.report_run_failed(run, message=f"process {run.tags[PID_TAG]} on {run.tags[HOST_TAG]} died "
                                   "while executing this run (found by bqx_ops crash recovery)")
        lines.append(f"run {run.run_id[:8]} ({run.job_name}) was left by a dead process: marked failed")
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return lines
    holders = storage.get_concurrency_run_ids()
    finished = {r.dagster_run.run_id for r in instance.get_run_records(
        RunsFilter(run_ids=list(holders), statuses=FINISHED))} if holders else set()
    known = {r.dagster_run.run_id for r in instance.get_run_records(RunsFilter(run_ids=list(holders)))} \
        if holders else set()
    for run_id in sorted(finished | (holders - known)):  # finished, or deleted from the run storage
        storage.free_concurrency_slots_for_run(run_id)
        lines.append(f"run {run_id[:8]}: freed its pool slots")
    return lines
