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
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bqx_ops import yaml_files
from bqx_ops.base_schema import EARLIEST, LATEST, MAX_DAYS, MAX_MONEY, SchemaMapping, plausible_day
from bqx_ops.docs_sync.slugs import ascii_letters
from bqx_ops.sanitize import NOT_ONE_LINE, blank

CONFIG_FILE = "bqx_ops.yaml"
SAMPLE_CONFIG = Path(__file__).parent / "sample" / CONFIG_FILE


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_line(value: str | None) -> str | None:
    """Text that reports print as it is: a newline or a control character would break a markdown
    title or table, or make git store the file as binary."""
    if value is not None and NOT_ONE_LINE.search(value):
        raise ValueError("one line of text, without control characters")
    return value


def _seen(value: str | None) -> str | None:
    """One line a person can see: a name of spaces or zero-width characters names nothing."""
    if value is not None and blank(value):
        raise ValueError("a name that can be seen, not only spaces or invisible characters")
    return _one_line(value)


def _not_boolean(value):
    """YAML's ``true`` is no number: pydantic read it as 1 (a budget of $1)."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


class ProjectSection(_Section):
    name: str = Field("Project", description="Shown in reports, the docs repo README and alert subjects.")
    goal: str = Field("", description="One line under the docs repo README title.")
    plan_id: str | None = Field(None, description="The Plans record to follow (default: the first Active plan).")
    _text = field_validator("goal")(_one_line)
    _names = field_validator("name", "plan_id")(_seen)


# Names the data dir already uses: a working copy there would overwrite the landing zone or the sinks.
DATA_DIR_NAMES = ("landing", "sinks", "dagster_home")


class DocsRepoSection(_Section):
    remote_url: str | None = Field(None, description="Live: HTTPS git remote (default: https://github.com/<github_repo>.git).")
    branch: str = Field("main", description="Branch the reports are pushed to.")
    dir_name: str | None = Field(None, description="Working copy <data-dir>/<dir_name>; embedded origin <dir_name>.git "
                                 "(default: the project name in lower case, - for other characters).")

    @field_validator("remote_url")
    @classmethod
    def _remote(cls, value: str | None) -> str | None:
        # handed to git as an argument: a value starting with '-' would be read as one of its options
        if value is not None and (value.startswith("-") or not value.strip() or any(c in value for c in "\n\r\0")):
            raise ValueError("a git remote: a URL (https://, ssh://, file://), user@host:path or a path, "
                             "not starting with '-'")
        return value

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        # git check-ref-format's rules for a branch, and no leading '-' (git would read an option)
        parts = value.split("/")
        if (not value or len(value) > 200 or re.search(r"[\x00-\x20\x7f~^:?*\[\\]", value) or ".." in value
                or "@{" in value or value == "@" or value.startswith("-") or value.endswith(".") or "" in parts
                or any(p.startswith(".") or p.endswith(".lock") for p in parts)):
            raise ValueError("a branch name as git allows it (no space, ~^:?*[\\, '..', '@{', empty or hidden "
                             "part, '.lock' part; not starting with '-')")
        return value

    @field_validator("dir_name")
    @classmethod
    def _dir_name(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or value != value.strip() or len(value) > 100
                                  or re.search(r"[/\\\x00-\x1f\x7f]", value) or value[0] in ".-"
                                  or value.endswith(".git") or value in DATA_DIR_NAMES):
            raise ValueError("one folder name inside the data dir (no '/', not starting with '.' or '-', not "
                             f"{', '.join(DATA_DIR_NAMES)}, not ending in .git)")
        return value


class SlackSection(_Section):
    channel: str = Field("#operations", pattern=r"^[#@]?[A-Za-z0-9._-]{1,80}$",
                         description="Default channel for notifications (an id is best in live mode).")


class RemindersSection(_Section):
    """Who each reminder names; empty: the activity's owner from the operational calendar."""

    plan_update: list[str] = Field(default_factory=list)
    issue_review: list[str] = Field(default_factory=list)
    assessment: list[str] = Field(default_factory=list)
    _text = field_validator("plan_update", "issue_review", "assessment")(lambda names: [_one_line(n) for n in names])


class RolesSection(_Section):
    """Who plays each role of the cadence, as the base names people (its Owner values): the calendar's
    owners, the escalation targets, the approver of the 360, and owners the triage rules name as
    ``role:<key>``. The defaults are the roles' titles; the sample names its team's agents."""

    coordinator: str = Field("Coordinator", description="Weekly sync, plan update and dashboard owner.")
    qa: str = Field("QA lead", description="Issue review owner; untriaged issues.")
    architect: str = Field("Architect", description="360 assessment owner; missed reviews escalate here.")
    approver: str = Field("Approver", description="Approves the 360; missed activities and P0s escalate here.")
    ml: str = Field("ML engineer", description="Model performance issues.")
    data: str = Field("Data engineer", description="Data quality issues.")
    infra: str = Field("Infrastructure engineer", description="Infrastructure issues.")

    @field_validator("*")
    @classmethod
    def _name(cls, value: str) -> str:
        if blank(value):
            raise ValueError("a person's or role's name, not empty (nor only spaces or invisible characters)")
        return _one_line(value)


def person(role: str) -> str:
    """The name of whoever plays ``role`` (a RolesSection key) in the current configuration."""
    return getattr(current().roles, role)


def _regex(value: str) -> str:
    """A pattern that compiles and cannot take exponential time on the sources' text ((a+)+$)."""
    from bqx_ops.regex_safety import check

    check(value)
    return value


class SageMakerSection(_Section):
    name_contains: str | None = Field(None, description="Only training jobs whose name contains this.")
    retry_pattern: str = Field(
        r"(?:[-_](?:retry|rerun|attempt)[-_]?\d*)+$",
        description="Regex removed from a job name to find the job it retries (a failure resolves when its retry succeeds).",
    )


    _check = field_validator("retry_pattern")(_regex)


class LatencySection(_Section):
    """The inference API's latency metric: API Gateway ``Latency``, Lambda ``Duration`` or SageMaker
    ``ModelLatency`` (microseconds: ``to_ms: 0.001``)."""

    namespace: str = Field(description="CloudWatch namespace, e.g. AWS/ApiGateway.")
    metric: str = Field(description="Metric name, e.g. Latency.")
    _names = field_validator("namespace", "metric")(_seen)
    _number = field_validator("to_ms", mode="before")(_not_boolean)
    dimensions: dict[str, str] = Field(default_factory=dict, description="Dimensions selecting the API.")
    stat: str = Field("p95", description="Percentile statistic.")
    to_ms: float = Field(1.0, gt=0, description="Factor from the metric's unit to milliseconds.")


class AwsSection(_Section):
    # CloudWatch's own rule for a log group name: 1-512 of letters, digits and . - _ / #
    log_groups: list[Annotated[str, Field(pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$")]] = Field(
        default_factory=list, description="CloudWatch log groups read for errors and warnings.")
    sagemaker: SageMakerSection = SageMakerSection()
    dashboard_name: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,255}$",
                                       description="CloudWatch dashboard name (default: <name>-operational-health).")
    metrics_namespace: str | None = Field(None, pattern=r"^[A-Za-z0-9 ._/#:-]*[A-Za-z0-9._/#:-][A-Za-z0-9 ._/#:-]*$",
                                          max_length=255, description="CloudWatch metrics namespace: letters, digits, space and . - _ "
                                          "/ # : (CloudWatch's own rule), not starting with AWS/ (default: the project "
                                          "name, in those characters).")
    latency: LatencySection | None = Field(None, description="The API latency metric (none: the dashboard says no data).")

    @field_validator("metrics_namespace")
    @classmethod
    def _not_aws(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("AWS/"):
            raise ValueError("AWS/ namespaces are AWS's own")
        return value


class RecurringStagesSection(_Section):
    """Operational stages that never complete (they recur); they are never overdue."""

    stage_ids: list[str] = Field(default_factory=list, description="Stage IDs that recur, exactly.")
    name_patterns: list[str] = Field(default_factory=list, description="Regexes on the stage name (case-insensitive).")

    @field_validator("name_patterns")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]

    def matches(self, stage_id: str | None, name: str | None) -> bool:
        if stage_id and stage_id in self.stage_ids:
            return True
        return any(re.search(p, name or "", re.IGNORECASE) for p in self.name_patterns)


class TargetsSection(_Section):
    """Fallbacks when the Plans record of the as-of snapshot does not give them."""

    # the base schema's plausible bounds: a target of 1e308 made a variance of 0 % look met
    budget: float | None = Field(None, ge=0, le=MAX_MONEY, allow_inf_nan=False)
    days_min: int | None = Field(None, ge=0, le=MAX_DAYS)
    days_max: int | None = Field(None, ge=0, le=MAX_DAYS)
    r2_min: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False)
    r2_max: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False)
    horizons: list[str] = Field(default_factory=list)
    _numbers = field_validator("budget", "days_min", "days_max", "r2_min", "r2_max", mode="before")(_not_boolean)

    @field_validator("horizons")
    @classmethod
    def _horizons(cls, names: list[str]) -> list[str]:
        for name in names:
            _seen(name)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:  # a horizon listed twice would be judged, and counted, twice
            raise ValueError(f"{', '.join(repeated)} listed more than once")
        return names

    @model_validator(mode="after")
    def _bands(self):
        for low, high in (("days_min", "days_max"), ("r2_min", "r2_max")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} {a:g} is above {high} {b:g}")
        return self


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
        slug = re.sub(r"[^a-z0-9._]+", "-", ascii_letters(self.project.name).lower()).strip("-.")
        return self.docs_repo.dir_name or slug or "docs-repo"

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
