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
import functools
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from bqx_ops.base_schema import plausible_day
from bqx_ops.sanitize import json_text, visible


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


MAX_JSON_DEPTH = 100  # no landing file nests deeper than ~10 levels; 100000 would crash the parser


# What reading a landing file can raise: a caller catching these reports the file as unreadable.
UNREADABLE_ERRORS = (OSError, ValueError)  # UnicodeDecodeError, JSONDecodeError are ValueErrors


def why_unreadable(exc: Exception) -> str:
    """Why a landing file could not be read, without the local path an OSError carries (reports name
    files relative to the landing zone, so the same zone elsewhere gives the same bytes)."""
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or 'cannot be read'}"
    return f"{type(exc).__name__}: {exc}"


def _too_deep(obj: Any, limit: int) -> bool:
    """Whether ``obj`` nests lists and objects deeper than ``limit`` (iterative: no recursion)."""
    level = [obj] if isinstance(obj, (list, dict)) else []
    depth = 0
    while level:  # one level at a time, containers only (scalars are most of a file: never pushed)
        depth += 1
        if depth > limit:
            return True
        level = [v for value in level for v in (value.values() if isinstance(value, dict) else value)
                 if isinstance(v, (list, dict))]
    return False


MAX_JSON_BYTES = 128 * 1024 * 1024  # 128 MiB (~30,000 GitHub issues): parsed, a larger one would take gigabytes


def _zone_at(parts: list[str] | tuple[str, ...]) -> int | None:
    """Where the landing zone holding a path is among its ``parts``: the last folder named ``landing``
    (the file itself is never the zone), or None outside any."""
    return next((i for i in range(len(parts) - 2, -1, -1) if parts[i] == "landing"), None)


def _landing_root(path: Path) -> str | None:
    """The landing zone holding ``path``, resolved (its own links followed), or None outside any."""
    parts = path.absolute().parts
    root = _zone_at(parts)
    return _resolved(str(Path(*parts[:root + 1]))) if root is not None else None


@functools.lru_cache(maxsize=64)
def _resolved(folder: str) -> str:  # asked for every file read: a replay reads thousands
    return os.path.realpath(folder)


def not_a_landing_file(path: Path) -> str | None:
    """Why ``path`` is no file of the landing zone to read, or None (a missing one too: its reader says
    so): a FIFO, socket or device (reading one waits forever for a writer) or a symbolic link, of the file
    or of a folder on its way, to nothing or to outside the zone (never this zone's data). A directory is
    left to the reader (IsADirectoryError).

    The common case, no link below the zone's root, is told by one lstat per part below it (a replay
    asks this for thousands of files; resolving each whole path cost ~40 µs); any link: the full check."""
    parts = os.path.abspath(path).split(os.sep)
    root = _zone_at(parts)
    if root is not None:
        st = None
        for j in range(root + 1, len(parts)):
            try:
                st = os.lstat(os.sep.join(parts[:j + 1]))
            except OSError:
                return None  # missing or unreachable: the reader says so
            if stat.S_ISLNK(st.st_mode):
                break
        else:
            if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                return "not a regular file (a FIFO, socket or device); not read"
            return None
    return _linked_file_check(path)


def _linked_file_check(path: Path) -> str | None:
    """``not_a_landing_file`` for a path with a symbolic link on its way (or outside any zone)."""
    if path.is_symlink() and not path.exists():
        return "a symbolic link to nothing (dangling); not read"
    root = _landing_root(path)  # the file itself or a folder on its way (a snapshot day) may be the link
    if root is not None and path.exists() and not Path(os.path.realpath(path)).is_relative_to(root):
        return "a symbolic link to a file outside the landing zone; not read"
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # missing or unreachable: the reader says so
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "not a regular file (a FIFO, socket or device); not read"
    return None


def _read_text(path: Path) -> str:
    """The text of a regular file of the landing zone, refused (ValueError, with why) when it is no
    landing file (``not_a_landing_file``) or larger than MAX_JSON_BYTES (memory)."""
    if why := not_a_landing_file(path):
        raise ValueError(why)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # missing or unreachable: read_text says which
    if size > MAX_JSON_BYTES:
        raise ValueError(f"{size:,} bytes, more than the {MAX_JSON_BYTES:,} a landing file may hold; not read")
    return path.read_text(encoding="utf-8-sig")


def read_landed_list(path: Path, source: str, missing: str, shape: str) -> tuple[list, list[str]]:
    """(items, problems) of a landing file holding one JSON list (GitHub's issues, SageMaker's jobs): a
    missing, unreadable or otherwise shaped file is a "no data" problem named for ``source``, not a crash."""
    where = zone_path(path)  # reports name landing files relative to the zone
    if not path.exists():
        return [], [f"{source}: no data: no landed {missing} ({where} in the landing zone)"]
    try:
        data = read_json(path)
    except UNREADABLE_ERRORS as exc:  # not JSON, too deep, a directory, no permission
        why = why_unreadable(exc) if isinstance(exc, OSError) else exc
        return [], [f"{source}: no data: unreadable landing file {where}: {why}"]
    return (data, []) if isinstance(data, list) else ([], [f"{source}: no data: {where} is not {shape}"])


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict:
    """An object of a landing file; a key given twice with different values is refused (ValueError): which
    one a reader meant cannot be told (``json`` kept the last silently, DuckDB refused the file)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen and seen[key] != value:
                raise ValueError(f"the key {visible(key)!r} is given twice in one object, with different values "
                                 f"({visible(repr(seen[key]))[:40]}, {visible(repr(value))[:40]})")
            seen[key] = value
    return out


def read_json(path: Path) -> Any:
    """The JSON of a landing file; a UTF-8 byte order mark (some exporters write one) is accepted.

    Raises only what ``UNREADABLE_ERRORS`` names: OSError (missing, a directory, no permission) or
    ValueError (not UTF-8, not JSON, a key given twice in one object with different values, nested deeper
    than MAX_JSON_DEPTH levels: such a file would otherwise raise RecursionError here or in any code
    walking it later; not a regular file, too large, a symbolic link to nothing or out of the zone: see
    ``_read_text``)."""
    text = _read_text(Path(path))
    too_deep = ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text, object_pairs_hook=_one_value_per_key)
    except RecursionError:
        raise too_deep from None
    if _too_deep(data, MAX_JSON_DEPTH):
        raise too_deep
    return data


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
        return sorted(day for day in map(_snapshot_day, self._airtable_children()) if day is not None)

    def airtable_stray_entries(self) -> list[str]:
        """Entries of ``airtable/`` that are not snapshot folders (``2026-3-14``, ``0001-01-01``, a
        file): ignored, never fatal, but reported (snapshot problems), never dropped silently. Names
        starting with a dot (``.DS_Store``) are the file system's own and are not reported."""
        return sorted(p.name for p in self._airtable_children()
                      if _snapshot_day(p) is None and not p.name.startswith("."))

    def _airtable_children(self) -> list[Path]:
        base = self.root / "airtable"
        try:
            return list(base.iterdir()) if base.is_dir() else []
        except OSError:
            return []

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


def _snapshot_day(child: Path) -> dt.date | None:
    """The day of a snapshot folder: a folder named YYYY-MM-DD exactly, within the plausible dates (a
    0001-01-01 folder would start every partition in year 1); None for anything else."""
    name = child.name
    try:
        day = dt.date.fromisoformat(name)
    except ValueError:
        return None
    # fromisoformat also reads 20260314 and other forms: only YYYY-MM-DD is a folder (a file, a FIFO or a
    # dangling link of that name is none: reported as a stray entry, never counted as a snapshot)
    return day if plausible_day(day) and day.isoformat() == name and child.is_dir() else None


def zone_path(path: str | Path) -> str:
    """A landing file's path relative to the landing zone (``github/issues.json``), as reports name it:
    the same zone in another folder gives the same bytes. A path outside any landing zone: its name."""
    parts = Path(path).parts
    root = _zone_at(parts)
    return "/".join(parts[root + 1:]) if root is not None else Path(path).name


def log_group_dirname(log_group: str) -> str:
    """``/aws/lambda/api`` -> ``__aws__lambda__api``."""
    return log_group.replace("/", "__")


def log_group_from_dirname(dirname: str) -> str:
    return dirname.replace("__", "/")
