"""The project configuration: everything specific to one team, in one validated YAML file.

Secrets are never here (they stay environment variables, read through ``dg.EnvVar``). Lookup, first
found wins (``resolve``):

1. the file named by ``BQX_OPS_CONFIG``;
2. ``<data-dir>/bqx_ops.yaml`` (the demo writes the sample's there, beside the sample landing zone);
3. a recorded landing zone with no configuration: identity and start from the landing zone itself
   (the Plans record of the earliest snapshot, else that snapshot's date);
4. local mode with nothing at all: the bundled sample's configuration, since embedded mode writes
   the sample on first use;
5. otherwise neutral defaults. Live mode requires an explicit start date (``project_start``).

Every key is documented in the README ("Pointing bqx_ops at your team's base").
"""

from __future__ import annotations

import datetime as dt
import os
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from bqx_ops import yaml_files
from bqx_ops.base_schema import EARLIEST, LATEST, MAX_MONEY, plausible_day
from bqx_ops.config_sections import (
    DATA_DIR_NAMES, MAX_DIR_NAME, RESERVED_SUFFIX, AwsSection, DocsRepoSection, ProjectSection, RecurringStagesSection,
    RemindersSection, RolesSection, SlackSection, TargetsSection, _not_boolean, _one_line, _Section,
)
from bqx_ops.docs_sync.slugs import ascii_letters
from bqx_ops.schema_mapping import SchemaMapping

CONFIG_FILE = "bqx_ops.yaml"
SAMPLE_CONFIG = Path(__file__).parent / "sample" / CONFIG_FILE


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


def person(role: str) -> str:
    """The name of whoever plays ``role`` (a RolesSection key) in the current configuration."""
    return getattr(current().roles, role)


class ProjectConfig(_Section):
    project: ProjectSection = ProjectSection()
    start_date: dt.date | None = Field(None, ge=EARLIEST, le=LATEST,
                                       description="First day of the plan: every partition starts from it.")
    github_repo: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$",
                                    description="owner/name of the project repository (issues, releases).")
    docs_repo: DocsRepoSection = DocsRepoSection()
    slack: SlackSection = SlackSection()
    reminders: RemindersSection = RemindersSection()
    roles: RolesSection = RolesSection()
    aws: AwsSection = AwsSection()
    recurring_stages: RecurringStagesSection = RecurringStagesSection()
    cost_budget_per_month: float | None = Field(None, ge=0, le=MAX_MONEY, allow_inf_nan=False,
                                                description="Cost/Month ceiling (USD) on the dashboard.")
    _number = field_validator("cost_budget_per_month", mode="before")(_not_boolean)

    @field_validator("start_date", mode="before")
    @classmethod
    def _date_text(cls, value):
        """A day as YYYY-MM-DD: pydantic read a number as seconds since 1970 (1772323200 was 2026-03-01)."""
        if value is not None and not isinstance(value, (str, dt.date)):
            raise ValueError(f"a day as YYYY-MM-DD, not {type(value).__name__} {value!r}")
        return value
    targets: TargetsSection = TargetsSection()
    schema_map: dict | str | None = Field(None, description="Inline {tables, fields} or a path to such a YAML file.")
    source: str | None = Field(None, exclude=True, description="Where this configuration came from (set by the loader).")

    @field_validator("schema_map")
    @classmethod
    def _schema_map(cls, value):
        if isinstance(value, dict):  # a file's map is checked where it is read (its path is relative to us)
            SchemaMapping.from_data(value, "inline")
        return value

    @model_validator(mode="after")
    def _schema_map_file(self):
        """A map in its own file is checked on load too, naming that file: never first deep inside a run."""
        if isinstance(self.schema_map, str):
            try:
                data = self.schema_map_data()
            except (OSError, yaml.YAMLError) as exc:
                raise ValueError(f"schema_map: cannot read {self.schema_map}: {type(exc).__name__}: "
                                 f"{getattr(exc, 'strerror', None) or exc}") from None
            SchemaMapping.from_data(data, f"{self.schema_map} (schema_map)")
        return self

    def docs_dir(self) -> str:
        """The docs repo's folder name under the data dir."""
        if self.docs_repo.dir_name:
            return self.docs_repo.dir_name
        # the same rules as a configured dir_name: a project named 'Landing' or 'Sinks' would have its
        # working copy in the landing zone or the outbox's sinks, a long name one the file system refuses
        slug = re.sub(r"[^a-z0-9._]+", "-", ascii_letters(self.project.name).lower()).strip("-.")
        slug = slug[:MAX_DIR_NAME - len(RESERVED_SUFFIX)].strip("-.").removesuffix(".git").strip("-.")
        if slug in DATA_DIR_NAMES:
            slug += RESERVED_SUFFIX
        return slug or "docs-repo"

    def schema_map_data(self) -> dict:
        """The schema map as {tables, fields}; a relative path is read beside the configuration file."""
        if isinstance(self.schema_map, dict):
            return self.schema_map
        if isinstance(self.schema_map, str):
            path = Path(self.schema_map)
            if not path.is_absolute() and self.source and Path(self.source).is_file():
                path = Path(self.source).parent / path
            return yaml_files.load(path.read_text(encoding="utf-8")) or {}
        return {}


def _where(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(top level)"


def load_config(path: str | Path) -> ProjectConfig:
    """Read and validate one configuration file; errors name the file and the key."""
    path = Path(path)
    try:
        data = yaml_files.load(path.read_text(encoding="utf-8"), yaml_files.TextDatesLoader) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    try:
        return ProjectConfig.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e)}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc


def _recorded_line(value, limit: int = 200) -> str:
    """A recorded text as one line (whitespace runs, newlines included, become one space; any other
    control character a visible escape), cut: what a configuration file would have to give."""
    from bqx_ops.sanitize import visible

    line = visible(" ".join(str(value or "").split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _recorded_id(value) -> str | None:
    """A recorded Plan ID as it is (it must match the record); None (the first Active plan) if it could
    not be a configured one."""
    try:
        return _one_line(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def from_landing(data_dir: str | Path) -> ProjectConfig | None:
    """A recorded landing zone with no configuration: the earliest snapshot's Plans record (start,
    identity) under the schema map, else the earliest snapshot's date. None without snapshots."""
    from bqx_ops.landing import Landing, read_json

    landing = Landing(data_dir)
    days = landing.airtable_snapshot_dates()
    if not days:
        return None
    mapping = SchemaMapping.load(os.environ.get("BQX_OPS_SCHEMA_MAP"))
    path = landing.airtable_table(days[0], mapping.table_name("Plans"))
    try:
        records = read_json(path).get("records") or []  # the landing zone's one reading rule (BOM accepted)
    except (OSError, ValueError, AttributeError):
        records = []
    plans = [mapping.to_logical_fields("Plans", r["fields"]) for r in records
             if isinstance(r, dict) and isinstance(r.get("fields"), dict)]
    plans.sort(key=lambda f: (f.get("Status") != "Active", str(f.get("Plan ID") or "")))
    plan = plans[0] if plans else {}
    try:  # YYYY-MM-DD only, as the record's validation reads it (Python also takes 20260105, 2026-W01-1)
        text = str(plan.get("Start Date"))
        start = dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else days[0]
    except ValueError:
        start = days[0]
    if not plausible_day(start):  # as the record's validation would say
        start = days[0]
    project = ProjectSection(name=_recorded_line(plan.get("Name")) or "Project", goal=_recorded_line(plan.get("Goal")),
                             plan_id=_recorded_id(plan.get("Plan ID")))
    return ProjectConfig(project=project, start_date=min(start, days[0]), source=f"landing zone {landing.root}")


def resolve(mode: str, data_dir: str | Path) -> ProjectConfig:
    """The configuration in effect for a mode and data dir (lookup order: module docstring)."""
    named = os.environ.get("BQX_OPS_CONFIG")
    if named:
        config = load_config(named)
    elif (Path(data_dir) / CONFIG_FILE).is_file():
        config = load_config(Path(data_dir) / CONFIG_FILE)
    else:
        config = from_landing(data_dir)
        if config is None and mode != "live":
            config = load_config(SAMPLE_CONFIG)
        config = config or ProjectConfig(source="defaults")
    return config


@lru_cache(maxsize=8)
def _cached(mode: str, data_dir: str, named: str | None, mtime: float | None) -> ProjectConfig:
    return resolve(mode, data_dir)


def current(mode: str | None = None, data_dir: str | Path | None = None) -> ProjectConfig:
    """The configuration of this process (mode and data dir default to the environment)."""
    from bqx_ops import settings

    mode = mode or settings.mode()
    folder = Path(data_dir) if data_dir else settings.data_dir()
    local = folder / CONFIG_FILE
    named = os.environ.get("BQX_OPS_CONFIG")
    probe = Path(named) if named else local
    mtime = probe.stat().st_mtime if probe.is_file() else None
    return _cached(mode, str(folder.resolve()), named, mtime)


def project_start(config: ProjectConfig | None = None, mode: str | None = None) -> dt.date:
    """The day every partition starts from: the configured start (or the landing zone's). Live mode
    refuses to guess it; local mode with nothing recorded yet starts today."""
    from bqx_ops import settings

    config = config or current(mode)
    if config.start_date is not None:
        return config.start_date
    if (mode or settings.mode()) == "live":
        raise ConfigError(f"{config.source or 'configuration'}: start_date: live mode needs the plan's start date "
                          f"(set start_date in {CONFIG_FILE} or in the file named by BQX_OPS_CONFIG)")
    return dt.datetime.now(dt.timezone.utc).date()
