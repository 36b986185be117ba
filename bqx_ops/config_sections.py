"""The sections of the project configuration (``bqx_ops.config.ProjectConfig``): one validated model per
YAML mapping, each refusing what it cannot use with a reason (blank or invisible names, booleans as
numbers, patterns that could take exponential time, values beyond the base schema's bounds).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bqx_ops.base_schema import MAX_DAYS, MAX_MONEY
from bqx_ops.landing import log_group_dirname
from bqx_ops.sanitize import NOT_ONE_LINE, blank
from bqx_ops.unique_keys import normalized_key


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


# Names the data dir already uses: a working copy there would overwrite the landing zone, the sinks,
# the warehouse or the configuration.
DATA_DIR_NAMES = ("landing", "sinks", "dagster_home", "bqx_ops.duckdb", "bqx_ops.yaml")
MAX_DIR_NAME = 100
RESERVED_SUFFIX = "-docs"  # a folder name derived from the project name that is one of DATA_DIR_NAMES


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
        if value is not None and (not value.strip() or value != value.strip() or len(value) > MAX_DIR_NAME
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

    @field_validator("log_groups")
    @classmethod
    def _once_each(cls, groups: list[str]) -> list[str]:
        repeated = sorted({g for g in groups if groups.count(g) > 1})
        if repeated:  # its day files were read once per listing: every event counted twice
            raise ValueError(f"{', '.join(repeated)} listed more than once")
        folders: dict[str, list[str]] = {}
        for group in groups:
            folders.setdefault(log_group_dirname(group), []).append(group)
        shared = [names for names in folders.values() if len(names) > 1]
        if shared:  # "/" is landed as "__": /a_/b and /a/_b would write, and read, one folder
            raise ValueError(f"{' and '.join(shared[0])} would be landed in one folder "
                             f"(aws/cloudwatch/{log_group_dirname(shared[0][0])}): each would read the other's events")
        return groups

    @field_validator("metrics_namespace")
    @classmethod
    def _not_aws(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("AWS/"):
            raise ValueError("AWS/ namespaces are AWS's own")
        return value


class RecurringStagesSection(_Section):
    """Operational stages that never complete (they recur); they are never overdue."""

    stage_ids: list[str] = Field(default_factory=list, description="Stage IDs that recur (as people mean them).")
    name_patterns: list[str] = Field(default_factory=list, description="Regexes on the stage name (case-insensitive).")

    @field_validator("name_patterns")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [_regex(v) for v in values]

    def matches(self, stage_id: str | None, name: str | None) -> bool:
        # a Stage ID as people mean it: Airtable keeps "10.5 " or "10.5" with a zero-width space as written,
        # and such a recurring stage was judged overdue every week
        if stage_id and normalized_key(stage_id) in {normalized_key(s) for s in self.stage_ids}:
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
