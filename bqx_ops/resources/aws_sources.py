"""CloudWatch Logs and SageMaker as review sources, landed in the landing zone first.

Layout (``bqx_ops.landing``): ``aws/cloudwatch/<log__group>/<YYYY-MM-DD>.json`` holds
the ``filter_log_events`` events of one day (SageMaker's ``aws/sagemaker/training_jobs.json``:
``bqx_ops.resources.sagemaker_jobs``, whose classes are named here too). Embedded classes replay
the landing zone (writing the bundled sample when it is empty); live classes fetch with boto3
through ``AwsClients`` (dagster-aws configuration).

CloudWatch pages are streamed straight into the day file, one page at a time, so a
day with a million events never sits in memory; DuckDB then reads the files
(``bqx_ops.issue_review.cloudwatch``). moto answers OR-patterns with every event, and
CloudWatch itself is case-sensitive, so the ``match`` regex is applied again here.
"""

import datetime as dt
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable

import dagster as dg
from pydantic import Field as PField

from bqx_ops.calendar import UTC
from bqx_ops import config as project_config
from bqx_ops.landing import Landing, log_group_from_dirname, not_a_landing_file, zone_path
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.paging import EndlessPages, bounded_pages
from bqx_ops.sanitize import json_text
from bqx_ops.issue_review.cloudwatch import epoch_ms, window_days

DAY = dt.timedelta(days=1)


def write_json_array(path: Path, items: Iterable[dict]) -> int:
    """Stream ``items`` into ``path`` as a JSON array, byte for byte what ``landing.write_json``
    writes for the same list (canonical JSON), atomically; returns how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for item in items:
                text = json_text(item, sort_keys=True, indent=1).replace("\n", "\n ")  # lone surrogates stay escapes
                fh.write(("[\n " if count == 0 else ",\n ") + text)
                count += 1
            fh.write("\n]\n" if count else "[]\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # a failed fetch leaves the previous file, never half a day
        raise
    return count


def _day_file(name: str) -> bool:
    try:
        return name.endswith(".json") and len(name) == 15 and bool(dt.date.fromisoformat(name[:10]))
    except ValueError:
        return False


def _blank(path: Path) -> bool:
    """Whether a day file holds nothing but white space (a write cut before its first byte, a file
    emptied by hand): a landed day, even one without events, is at least ``[]``."""
    try:
        size = path.stat().st_size if path.is_file() else None
        return size is not None and size < 64 and not path.read_bytes().replace(b"\xef\xbb\xbf", b"").strip()
    except OSError:
        return False  # unreachable: read (and named) as unreadable


def _stray_files(group: str, folder: Path) -> list[str]:
    """An entry of a log group's folder that is not a day file (``2026-3-12.json``, ``2026-02-30.json``,
    ``notes.txt``, a folder) is never read: said, not silently skipped (hidden files are a write's own)."""
    try:
        seen = folder.stat()
    except OSError:
        return []
    if not folder.is_dir():
        return []
    # a replay's looks list the same folders again and again: kept per folder as it is (an entry added,
    # removed or renamed changes the folder's mtime)
    key = (str(folder), seen.st_ino, seen.st_mtime_ns)
    if key not in _STRAYS:
        if len(_STRAYS) > 1000:
            _STRAYS.clear()
        _STRAYS[key] = [f"{group}: {zone_path(entry)} is not a day file (YYYY-MM-DD.json); not read"
                        for entry in sorted(folder.iterdir()) if not entry.name.startswith(".")
                        and not (_day_file(entry.name) and entry.is_file())]
    return list(_STRAYS[key])


_STRAYS: dict[tuple, list[str]] = {}


class CloudWatchLogsSource(dg.ConfigurableResource):
    """Error and warning events of the configured log groups, one landed file per group and day."""

    data_dir: str = PField(description="Data dir holding landing/ (the landing zone).")
    log_groups: list[str] = PField(
        default_factory=list, description="Log groups reviewed (empty: the configuration's aws.log_groups, else, "
                                          "replaying, every group in the landing zone).")

    def groups(self) -> list[str]:
        configured = self.log_groups or project_config.current(data_dir=self.data_dir).aws.log_groups
        if configured:
            return list(configured)
        landed = Landing(self.data_dir).root / "aws" / "cloudwatch"
        return sorted(log_group_from_dirname(d.name) for d in landed.iterdir() if d.is_dir()) if landed.is_dir() else []

    def land(self, start: dt.datetime, end: dt.datetime, filter_pattern: str, match: str, now: dt.datetime) -> dict:
        """Make sure every day of [start, end) is landed (where it can be); returns counts."""
        raise NotImplementedError

    def files(self, start: dt.datetime, end: dt.datetime) -> tuple[list[tuple[str, Path]], list[str]]:
        """The landed day files of the window, and a problem per day that has none."""
        landing, files, missing = Landing(self.data_dir), [], []
        for group in self.groups():
            for day in window_days(start, end):
                path = landing.cloudwatch_day(group, day)
                if why := not_a_landing_file(path):  # DuckDB would wait forever on a FIFO, read a link anywhere
                    missing.append(f"{group}: {zone_path(path)}: {why}")
                elif _blank(path):  # DuckDB reads it as a day without events: a lost day read as a quiet one
                    missing.append(f"{group}: {zone_path(path)}: empty (no JSON array, not even []); not read")
                elif path.exists():
                    files.append((group, path))
                else:
                    missing.append(f"{group}: no events landed for {day}")
            missing += _stray_files(group, landing.cloudwatch_day(group, start.date()).parent)
        return files, missing


class EmbeddedCloudWatchLogs(CloudWatchLogsSource):
    def land(self, start, end, filter_pattern, match, now) -> dict:
        from bqx_ops.sample import ensure_sample

        ensure_sample(self.data_dir)
        return {"mode": "embedded"}


class LiveCloudWatchLogs(CloudWatchLogsSource):
    """``filter_log_events`` per log group and day, paginated, streamed into the landing zone."""

    aws: AwsClients
    page_size: int = PField(default=10000, description="Events per filter_log_events page (max 10,000).")
    fetch_horizon_days: int = PField(default=15, description="Days before now that can still be fetched.")
    settle_minutes: int = PField(
        default=30, description="A day file fetched this long after the day ended is final and never refetched."
    )

    def _final(self, path: Path, day: dt.date) -> bool:
        if not path.exists():
            return False
        fetched = dt.datetime.fromtimestamp(path.stat().st_mtime, UTC)
        day_end = dt.datetime(day.year, day.month, day.day, tzinfo=UTC) + DAY
        return fetched >= day_end + dt.timedelta(minutes=self.settle_minutes)

    def land(self, start, end, filter_pattern, match, now) -> dict:
        logs, landing, wanted = self.aws.client("logs"), Landing(self.data_dir), re.compile(match)
        now = now.astimezone(UTC)
        horizon = (now - dt.timedelta(days=self.fetch_horizon_days)).date()
        stats = {"mode": "live", "fetched_days": 0, "events": 0, "skipped_final": 0, "too_old": 0, "problems": []}
        for group in self.groups():
            for day in window_days(start, end):
                path = landing.cloudwatch_day(group, day)
                if self._final(path, day):
                    stats["skipped_final"] += 1
                    continue
                if day < horizon:
                    stats["too_old"] += 1
                    continue
                begin = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
                pages = logs.get_paginator("filter_log_events").paginate(
                    logGroupName=group, startTime=epoch_ms(begin), endTime=epoch_ms(begin + DAY) - 1,
                    filterPattern=filter_pattern, PaginationConfig={"PageSize": self.page_size},
                )
                pages = bounded_pages(pages, "nextToken", f"{group}: {day}: FilterLogEvents")
                events = (e for page in pages for e in page.get("events", [])
                          if isinstance(e, dict) and isinstance(e.get("message"), str) and wanted.search(e["message"]))
                try:
                    stats["events"] += write_json_array(path, events)
                except logs.exceptions.ResourceNotFoundException:
                    stats["problems"].append(f"{group}: log group not found")
                    break
                except EndlessPages as exc:  # the day's earlier file (if any) is kept, never half a day
                    stats["problems"].append(f"{exc}; the day was not landed")
                    continue
                stats["fetched_days"] += 1
        return stats
