"""The plan update report's shared pieces: table rows, carried-record marks, the header and its notes.

A figure resting on the last valid version of a quarantined record is marked where it is listed
("7.4 (carried from 2025-12-15)") and the header lists those records; a week whose as-of snapshot
is older than the week says so (its date and age), so stale data never reads as fresh.
"""

from __future__ import annotations

from bqx_ops import asof

from bqx_ops.lazy import pd
from bqx_ops.markdown import cell
from bqx_ops.markdown import table as md_table
from bqx_ops.plan_update.common import as_date, number, records
from bqx_ops.plan_update.fmt import NO_DATA, day, plural
from bqx_ops.plan_update.targets import configured_targets, not_followed

NOT_APPLICABLE = "–"
CARRIED_TABLES = frozenset({"Stages", "Phases"})  # the tables whose rows the report marks carried


ZERO_BUDGET = "no percentage of a $0 budget"


def over_zero_budget(forecast: dict) -> str | None:
    """For a $0 budget (a real one, not a missing one), the forecast's variance in words: there is no
    percentage of $0, and any cost is over it ("no data" read as if the plan had no budget)."""
    if number(forecast.get("budget")) != 0 or number(forecast.get("forecast_cost")) is None:
        return None
    return ZERO_BUDGET + (": over budget" if number(forecast.get("forecast_cost")) > 0 else "")


def unestimated(forecast: dict) -> str:
    """Open stages without Estimated Cost add nothing to the forecast at completion: said beside its
    total (the plan update's, the adjustment proposal's), not left for a table row to tell."""
    n = int(number(forecast.get("open_without_estimate")) or 0)
    return f"; {plural(n, 'open stage')} without Estimated Cost not in it" if n else ""


def or_dash(fmt):
    """For columns where an empty value means "not applicable" (a phase not started), not missing data."""
    return lambda v: NOT_APPLICABLE if v is None else fmt(v)


def no_data(why: str) -> str:
    return f"_{NO_DATA}: {why}_\n"


def band_words(figures: dict, default_pct: float) -> str:
    """"within the ±15% band" / "outside ...": the sentence ending of a variance and its band fields."""
    side = "within" if figures.get("within_band") else "outside"
    return f"{side} the ±{figures.get('band_pct', default_pct):.0f}% band"


def carried_marks(w) -> dict[str, str]:
    """Record id -> " (carried from <day>)" for the quarantined Stages and Phases records the figures use."""
    return {c["record_id"]: f" (carried from {day(c['from_snapshot'])})" for c in w.carried
            if c.get("table") in CARRIED_TABLES and c.get("from_snapshot") is not None}


def rows(df: pd.DataFrame, columns: list[str], fmt: dict | None = None, marks: dict | None = None) -> list[list]:
    """Formatted cells; with ``marks``, a carried record's first cell says it is carried."""
    fmt, marks = fmt or {}, marks or {}
    out = []
    for r in records(df):
        cells = [fmt.get(c, lambda v: v)(r.get(c)) for c in columns]
        mark = marks.get(r.get("record_id") or r.get("phase_record_id"))
        if mark and cells:
            cells[0] = f"{'' if cells[0] is None else cells[0]}{mark}"
        out.append(cells)
    return out


def stale_days(w) -> int | None:
    """Days from the as-of snapshot to the week's end when no snapshot was taken during the week."""
    return asof.stale_days(as_date(w.snapshot_date), w.period_start.date(), w.period_end.date())


def _stale(w) -> list[str]:
    age = stale_days(w)
    if age is None:
        return []
    return [f"**Stale data: no Airtable snapshot was taken during this week.** Every figure below is as of the"
            f" snapshot of {day(w.snapshot_date)}, {plural(age, 'day')} before {w.period_end.date().isoformat()}.",
            ""]


def _carried(w) -> list[str]:
    """The figures' footnote when they rest on the last valid version of quarantined records."""
    used = [c for c in w.carried if c.get("from_snapshot") is not None]
    lost = [c for c in w.carried if c.get("from_snapshot") is None]
    out = []
    if used:
        table_rows = [[c["table"], c["label"], c["record_id"], day(c["from_snapshot"]), c["reason"]] for c in used]
        out += [f"**These figures rest on the last valid version of {plural(len(used), 'quarantined record')}**"
                " (the current version failed validation; nothing was dropped; marked \"carried\" where listed):", "",
                md_table(["Table", "Record", "Record id", "Version of", "Quarantined because"], table_rows), ""]
    if lost:
        out += [f"**Not in these figures: {plural(len(lost), 'quarantined record')} with no earlier valid version**"
                " (fix it in Airtable and the next plan update counts it):", "",
                md_table(["Table", "Record id", "Quarantined because"],
                         [[c["table"], c["record_id"], c["reason"]] for c in lost]), ""]
    return out


def baseline_words(w) -> str:
    if w.previous_snapshot_date is None:
        return f"previous week: {NO_DATA}"
    if w.baseline_is_first:
        return f"compared with the plan's first snapshot, {day(w.previous_snapshot_date)}"
    return f"previous week: {day(w.previous_snapshot_date)}"


def header(w) -> list[str]:
    plan = w.targets.plan_id or "the plan"
    other = not_followed(w.targets.plan_id, configured_targets().plan_id) if w.snapshot_date else None
    return [
        f"# Plan update {w.period_end.date().isoformat()}", "",
        f"_{cell(plan)} · week {w.period_start:%Y-%m-%d %H:%M} to {w.period_end:%Y-%m-%d %H:%M} UTC ·"
        f" Airtable snapshot {day(w.snapshot_date)} ({baseline_words(w)})_", "", *_stale(w),
        *([f"**Data problem:** {cell(other)}.", ""] if other else []),
        "## Dashboard", "", "```text", *w.dashboard, "```", "", *_carried(w),
        "Working days (Monday to Friday). Budget variance: Realized Cost of Done stages against their"
        " estimates; timeline variance: elapsed against earned working days (the estimates of Done stages).", "",
    ]


def transitions(w) -> list[str]:
    out = ["## Stage transitions", ""]
    if w.previous_snapshot_date is None or w.snapshot_date is None:
        out.append(no_data("no Airtable snapshot as of the previous week to compare with"))
    elif w.previous_snapshot_date == w.snapshot_date:
        out.append(no_data(f"no new Airtable snapshot this week to compare with {day(w.snapshot_date)}"))
    else:
        flagged = int(w.transitions["flagged"].sum()) if not w.transitions.empty else 0
        since = (f" since the plan's first snapshot ({day(w.previous_snapshot_date)})"
                 if w.baseline_is_first else "")
        out += [f"{plural(len(w.transitions), 'change')}{since}, {flagged} flagged (backward or skipped).", ""]
        cols = ["stage_id", "name", "status_before", "status_now", "path", "kind", "flagged"]
        out.append(md_table(["Stage", "Name", "Before", "Now", "Path", "Kind", "Flagged"],
                            rows(w.transitions, cols, {"flagged": lambda v: "⚠ yes" if v else ""})))
    out += ["", "### In Progress past their estimated days", ""]
    out.append(md_table(["Stage", "Name", "Owner", "Started", "Estimated days", "Working days so far", "Days over"],
                        rows(w.overdue, ["stage_id", "name", "owner", "start_date", "estimated_days",
                                         "days_in_progress", "days_over"], {"start_date": day},
                             marks=carried_marks(w))))
    return out + [""]
