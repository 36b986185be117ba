"""The landing zone: the on-disk contract between fetching and parsing.

Layout under ``<data-dir>/landing/``::

    airtable/<YYYY-MM-DD>/<Table Name>.json      {"records": [...]} as list-records returns them
    github/issues.json                           GitHub REST issue objects, PRs included
    aws/cloudwatch/<log__group>/<YYYY-MM-DD>.json filter_log_events "events" of that day
    aws/sagemaker/training_jobs.json              DescribeTrainingJob responses
    aws/costs/<YYYY-MM>.json                      GetCostAndUsage response, DAILY granularity

Both modes parse from here; live mode writes what it fetched here first.
Files are written atomically (temp file + rename) with canonical JSON so the
same content always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from bqx_ops.base_schema import plausible_day
from bqx_ops.sanitize import json_text


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, UTF-8, fixed indentation, trailing newline."""
    return json_text(obj, sort_keys=True, indent=1) + "\n"  # a lone surrogate stays a JSON escape


def write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(dumps(obj))
    os.replace(tmp, path)
    return path


def read_json(path: Path) -> Any:
    """The JSON of a landing file; a UTF-8 byte order mark (some exporters write one) is accepted."""
    return json.loads(path.read_text(encoding="utf-8-sig"))


class Landing:
    """Paths of the landing zone under one data dir."""

    def __init__(self, data_dir: str | Path):
        self.root = Path(data_dir) / "landing"

    def exists(self) -> bool:
        return self.root.is_dir() and any(self.root.iterdir())

    # -- Airtable -----------------------------------------------------------
    def airtable_dir(self, day: dt.date) -> Path:
        return self.root / "airtable" / day.isoformat()

    def airtable_table(self, day: dt.date, table_name: str) -> Path:
        return self.airtable_dir(day) / f"{table_name}.json"

    def airtable_snapshot_dates(self) -> list[dt.date]:
        base = self.root / "airtable"
        if not base.is_dir():
            return []
        days = []
        for child in base.iterdir():
            try:
                day = dt.date.fromisoformat(child.name)
            except ValueError:
                continue  # not a snapshot folder; ignored, never fatal
            if plausible_day(day):  # a 0001-01-01 folder would start every partition in year 1
                days.append(day)
        return sorted(days)

    # -- GitHub -------------------------------------------------------------
    @property
    def github_issues(self) -> Path:
        return self.root / "github" / "issues.json"

    # -- AWS ----------------------------------------------------------------
    def cloudwatch_day(self, log_group: str, day: dt.date) -> Path:
        return self.root / "aws" / "cloudwatch" / log_group_dirname(log_group) / f"{day.isoformat()}.json"

    @property
    def sagemaker_jobs(self) -> Path:
        return self.root / "aws" / "sagemaker" / "training_jobs.json"

    @property
    def costs_dir(self) -> Path:
        return self.root / "aws" / "costs"

    def costs_month(self, year: int, month: int) -> Path:
        return self.costs_dir / f"{year:04d}-{month:02d}.json"

    def metrics_dir(self, slug: str) -> Path:
        """GetMetricData responses of one metric (``<namespace>__<metric>``), any file name, merged by day."""
        return self.root / "aws" / "metrics" / slug

    def metrics_month(self, slug: str, year: int, month: int) -> Path:
        return self.metrics_dir(slug) / f"{year:04d}-{month:02d}.json"


def zone_path(path: str | Path) -> str:
    """A landing file's path relative to the landing zone (``github/issues.json``), as reports name it:
    the same zone in another folder gives the same bytes. A path outside any landing zone: its name."""
    parts = Path(path).parts
    roots = [i for i, part in enumerate(parts[:-1]) if part == "landing"]
    return "/".join(parts[roots[-1] + 1:]) if roots else Path(path).name


def log_group_dirname(log_group: str) -> str:
    """``/aws/lambda/api`` -> ``__aws__lambda__api``."""
    return log_group.replace("/", "__")


def log_group_from_dirname(dirname: str) -> str:
    return dirname.replace("__", "/")
