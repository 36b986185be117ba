"""Running the snapshot assets over a window of a written sample: what most module fixtures start with."""

import datetime as dt
from pathlib import Path

import dagster as dg

from bqx_ops.defs.airtable.assets import airtable_tables, raw_records

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def span(first: str, last: str) -> dict:
    """Run tags of a single-run backfill over the partition keys [first, last]."""
    return {RANGE_START: first, RANGE_END: last}


def take_snapshots(resources: dict, first: str, last: str) -> dg.ExecuteInProcessResult:
    """The daily snapshot tables for [first, last], in one run that must succeed."""
    result = dg.materialize([raw_records, airtable_tables], resources=resources, tags=span(first, last))
    assert result.success
    return result


def snapshotted_sample(data: Path, sample_end: dt.date, first: str, last: str) -> dict:
    """The sample written from its start to ``sample_end`` into ``data``, its snapshots of [first, last]
    taken: the local resources, for the module's own runs."""
    from bqx_ops.resources.factory import build_resources
    from bqx_ops.sample import write_sample
    from bqx_ops.sample.timeline import SAMPLE_START

    write_sample(data, SAMPLE_START, sample_end)
    resources = build_resources("local", data)
    take_snapshots(resources, first, last)
    return resources


def sample_through_jobs(data: Path, sample_from: dt.date, sample_to: dt.date,
                        runs: list[tuple[str, str, str]]) -> dg.Definitions:
    """The sample written for [sample_from, sample_to] into ``data``, then each (job, first key, last key)
    of the code location's jobs run as one single-run backfill that must succeed: the definitions."""
    from bqx_ops.definitions import build_defs
    from bqx_ops.sample import write_sample

    write_sample(data, sample_from, sample_to)
    defs = build_defs(mode="local", data_dir=data)
    for job, first, last in runs:
        assert defs.resolve_job_def(job).execute_in_process(tags=span(first, last)).success, job
    return defs
