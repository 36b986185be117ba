"""Opening a demo's Dagster instance from a test."""

import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg


@contextmanager
def instance_at(home: Path):
    """The instance whose dagster.yaml (the repo's) is in ``home``. Its event log storage finds its
    files through DAGSTER_HOME (bqx_ops/instance_storage.py), as `dg dev` and the demo do, so
    DAGSTER_HOME is ``home`` while the instance is open."""
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield instance
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = before
