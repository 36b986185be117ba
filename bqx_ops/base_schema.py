"""The expected Airtable base: tables, fields, types and single-select values.

This is the contract between the sample generator, the live fetcher and the
validator. Real bases differ in naming, so table and field names can be remapped
(see ``schema_mapping.SchemaMapping``); everything inside bqx_ops uses the logical names below.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

STATUSES = ("Todo", "In Progress", "Done")
# People (Owner, Decided By, Recorded By), horizons and models are *open* selects: their options are
# the team's own, whatever they are; a select with ``choices`` is our vocabulary, which the code
# reads (a base naming it otherwise maps its options with the schema map's ``options``). A schema
# map's ``choices`` closes an open select on the base's own list.
ENSEMBLE = "Ensemble"  # the Model value of the ensemble, whose R² the plan is judged on
PRIORITIES = ("P0", "P1", "P2", "P3")
CATEGORIES = (
    "Data Quality",
    "Model Performance",
    "Infrastructure",
    "Cost Overruns",
    "Timeline Delays",
)
ARTIFACT_TYPES = ("Report", "Design", "Runbook", "Notebook", "Dataset Card")
PLAN_STATUSES = ("Active", "On Hold", "Done")
APPROVALS = ("Approved", "Rejected")  # RM-001's answer on a Decisions record; empty = pending
# What ARCH-001 records for a quarter's 360 assessment (scores are out of 10 where they apply)
ASSESSMENT_INPUT_KINDS = ("User Satisfaction", "Stakeholder Interview", "Technique Adopted",
                          "Competitive Position", "Market Alignment")

# Plausible bounds: a value outside them is a typo or hostile input (1e308, 2**63), quarantined
# with its reason instead of overflowing a cast or making a variance of +1.5e307 %.
MAX_MONEY = 10_000_000  # USD per record: far above any plausible ML plan's budget
MAX_DAYS = 3650  # ten years of working days per estimate
MAX_NUMBER = 1000  # phase numbers
MIN_R2 = -1.0  # R² can be negative; below -1 a model is far worse than the mean: a broken result
EARLIEST_DATE = "2000-01-01"  # dates and times outside [EARLIEST_DATE, LATEST_DATE] are quarantined
LATEST_DATE = "2099-12-31"  # (pandas' own range is 1677..2262; 0001-01-01 and 9999-12-31 are hostile)


EARLIEST, LATEST = dt.date.fromisoformat(EARLIEST_DATE), dt.date.fromisoformat(LATEST_DATE)


def plausible_day(day: dt.date) -> bool:
    """Within [EARLIEST_DATE, LATEST_DATE] (a datetime by its date)."""
    return EARLIEST <= (day.date() if isinstance(day, dt.datetime) else day) <= LATEST


@dataclass(frozen=True)
class Field:
    """One Airtable field. ``kind`` is one of the FIELD_KINDS."""

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    link_to: str | None = None  # target table of a link field
    minimum: float | None = None
    maximum: float | None = None

    @property
    def column(self) -> str:
        """snake_case column name in the typed DuckDB table."""
        return _column_name(self.name, self.kind)


@functools.lru_cache(maxsize=4096)
def _column_name(name: str, kind: str) -> str:
    # asked for every field of every record a snapshot run validates (~260,000 times in the demo)
    col = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    return f"{col}_id" if kind == "link" else col


FIELD_KINDS = (
    "text",  # singleLineText
    "long_text",  # multilineText / richText
    "number",  # number (float)
    "integer",  # number with precision 0
    "currency",  # currency, never negative here
    "date",  # date, ISO YYYY-MM-DD
    "single_select",
    "multi_select",
    "link",  # multipleRecordLinks; bqx_ops uses the first linked record
    "last_modified",  # lastModifiedTime, ISO datetime set by Airtable
)


@dataclass(frozen=True)
class Table:
    name: str
    key_field: str  # our human key
    fields: tuple[Field, ...]
    asset_name: str = field(default="")
    unique_key: bool = True  # two records with the same key in a snapshot: the later is quarantined
    optional: bool = False  # a base may not have it (yet): absent in live mode reads as empty
    ordered: tuple[tuple[str, str], ...] = ()  # (low, high) fields: when both are set, low <= high

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")


def _money(name: str, required: bool = False) -> Field:
    return Field(name, "currency", required=required, minimum=0, maximum=MAX_MONEY)


def _days(name: str) -> Field:
    return Field(name, "integer", minimum=0, maximum=MAX_DAYS)


def _r2(name: str, required: bool = False) -> Field:
    return Field(name, "number", required=required, minimum=MIN_R2, maximum=1)


_LAST_MODIFIED = Field("Last Modified", "last_modified")

TABLES: tuple[Table, ...] = (
    Table("Plans", "Plan ID", (
        Field("Plan ID", "text", required=True),
        Field("Name", "text", required=True),
        Field("Goal", "long_text"),
        _money("Estimated Budget", required=True),
        _days("Estimated Days Min"),
        _days("Estimated Days Max"),
        _r2("R2 Target Min"),
        _r2("R2 Target Max"),
        Field("Horizons", "multi_select"),
        Field("Start Date", "date"),
        Field("Status", "single_select", required=True, choices=PLAN_STATUSES),
        Field("Notes", "long_text"),
        _LAST_MODIFIED,
    ), "plans", ordered=(("Estimated Days Min", "Estimated Days Max"), ("R2 Target Min", "R2 Target Max"))),
    Table("Phases", "Phase ID", (
        Field("Phase ID", "text", required=True),
        Field("Number", "integer", required=True, minimum=0, maximum=MAX_NUMBER),
        Field("Name", "text", required=True),
        Field("Plan", "link", required=True, link_to="Plans"),
        Field("Status", "single_select", required=True, choices=STATUSES),
        Field("Owner", "single_select"),
        _money("Estimated Cost"),
        _money("Realized Cost"),
        _days("Estimated Days"),
        Field("Start Date", "date"),
        Field("End Date", "date"),
        Field("Notes", "long_text"),
        _LAST_MODIFIED,
    ), "phases", ordered=(("Start Date", "End Date"),)),
    Table("Stages", "Stage ID", (
        Field("Stage ID", "text", required=True),
        Field("Name", "text", required=True),
        Field("Phase", "link", required=True, link_to="Phases"),
        Field("Status", "single_select", required=True, choices=STATUSES),
        Field("Owner", "single_select"),
        _money("Estimated Cost"),
        _money("Realized Cost"),
        _days("Estimated Days"),
        Field("Start Date", "date"),
        Field("Completed Date", "date"),
        Field("Notes", "long_text"),
        _LAST_MODIFIED,
    ), "stages", ordered=(("Start Date", "Completed Date"),)),
    Table("Tasks", "Task Key", (
        Field("Task Key", "text", required=True),
        Field("Name", "text", required=True),
        Field("Stage", "link", link_to="Stages"),
        Field("Status", "single_select", required=True, choices=STATUSES),
        Field("Priority", "single_select", choices=PRIORITIES),
        Field("Category", "single_select", choices=CATEGORIES),
        Field("Owner", "single_select"),
        Field("Due Date", "date"),
        Field("Notes", "long_text"),
        _LAST_MODIFIED,
    ), "tasks"),
    Table("Decisions", "Title", (
        Field("Title", "text", required=True),
        Field("Date", "date", required=True),
        Field("Stage", "link", link_to="Stages"),
        Field("Decision", "long_text"),
        Field("Rationale", "long_text"),
        Field("Decided By", "single_select"),
        Field("Approval", "single_select", choices=APPROVALS),
        _LAST_MODIFIED,
    ), "decisions", unique_key=False),
    Table("Learnings", "Title", (
        Field("Title", "text", required=True),
        Field("Date", "date", required=True),
        Field("Stage", "link", link_to="Stages"),
        Field("What Worked", "long_text"),
        Field("What Didn't", "long_text"),
        _LAST_MODIFIED,
    ), "learnings", unique_key=False),
    Table("Model Results", "Result ID", (
        Field("Result ID", "text", required=True),
        Field("Model", "single_select", required=True),
        Field("Horizon", "single_select", required=True),
        Field("Evaluated On", "date", required=True),
        _r2("R2", required=True),
        Field("Training Job", "text"),
        Field("Stage", "link", link_to="Stages"),
        _LAST_MODIFIED,
    ), "model_results"),
    Table("Artifacts", "Name", (
        Field("Name", "text", required=True),
        Field("Type", "single_select", choices=ARTIFACT_TYPES),
        Field("Phase", "link", link_to="Phases"),
        Field("Stage", "link", link_to="Stages"),
        Field("Content", "long_text"),
        _LAST_MODIFIED,
    ), "artifacts", unique_key=False),  # same-named artifacts are legitimate (distinct pages)
    Table("Assessment Inputs", "Input Key", (
        Field("Input Key", "text", required=True),
        Field("Quarter", "text", required=True),  # Q{n}-{year}
        Field("Kind", "single_select", required=True, choices=ASSESSMENT_INPUT_KINDS),
        Field("Score", "number", minimum=0, maximum=10),
        Field("Summary", "long_text"),
        Field("Recorded By", "single_select"),
        Field("Date", "date", required=True),
        _LAST_MODIFIED,
    ), "assessment_inputs", optional=True),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}


_KIND_LABEL = {
    "text": "single line text", "long_text": "long text", "number": "number", "integer": "number (integer)",
    "currency": "currency (≥ 0)", "date": f"date (YYYY-MM-DD, {EARLIEST_DATE} .. {LATEST_DATE})", "single_select": "single select",
    "multi_select": "multiple select", "link": "link to another record", "last_modified": "last modified time",
}


def render_markdown() -> str:
    """docs/base-schema.md: the expected base, generated from TABLES so it cannot drift."""
    out = ["# The expected Airtable base", "",
           "Generated by `python -m bqx_ops.base_schema > docs/base-schema.md`; a test keeps it current.",
           "Table and field names can be remapped for a real base with the configuration's `schema_map` or "
           "`BQX_OPS_SCHEMA_MAP` (see README). A select listing its values is our vocabulary (a base naming them "
           "otherwise maps them with the map's `options`); the others are the team's own options.", ""]
    for t in TABLES:
        optional = " Optional: a base without it reads as empty." if t.optional else ""
        out += [f"## {t.name}", "", f"DuckDB table `airtable.{t.asset_name}`; human key: {t.key_field}.{optional}", "",
                *([f"Two records with the same {t.key_field} in one snapshot: the later is quarantined.", ""]
                  if t.unique_key else []),
                *([" ".join(f"{low} must not be after {high}." for low, high in t.ordered)
                   + " A record where it is is quarantined.", ""] if t.ordered else []),
                "| Field | Type | Required | Values / target | Column |", "|---|---|---|---|---|"]
        for f in t.fields:
            values = ", ".join(f.choices) if f.choices else (f.link_to or "")
            if f.kind in ("single_select", "multi_select") and not f.choices:
                values = "the team's own options (one line each)" + (f"; {ENSEMBLE} = the ensemble" if f.name == "Model" else "")
            bounds = []
            if f.minimum is not None:
                bounds.append(f"≥ {f.minimum:g}")
            if f.maximum is not None:
                bounds.append(f"≤ {f.maximum:g}")
            values = "; ".join(x for x in (values, " ".join(bounds)) if x)
            out.append(f"| {f.name} | {_KIND_LABEL[f.kind]} | {'yes' if f.required else ''} | {values} | `{f.column}` |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(render_markdown(), end="")


# a lookup of records by a key (``AirtableSource.find_records``) that found several records holding one key
# gives the first's fields with every copy's fields under this name
COPIES = "__copies__"
