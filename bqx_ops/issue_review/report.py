"""The issue-resolution report: ``docs/reviews/YYYY-MM-DD-issue-review.md`` and its JSON twin.

Rendered from the review tables of one period only, so the same tables always give
the same bytes: rows are sorted, times are the period's (never the wall clock) and
numbers have fixed formats. Every piece of user text (titles, log messages, labels)
goes through ``bqx_ops.markdown`` so pipes, HTML, newlines or a 10,000-character
title cannot break a table.
"""

from __future__ import annotations

import datetime as dt
import json

from bqx_ops.base_schema import PRIORITIES
from bqx_ops.asof import stale_days
from bqx_ops.calendar import ISSUE_REVIEW
from bqx_ops.landing import dumps
from bqx_ops.lazy import pd
from bqx_ops.markdown import cell
from bqx_ops.markdown import table as md_table
from bqx_ops.plan_update.common import records
from bqx_ops.plan_update.fmt import num_vs, plural
from bqx_ops.issue_review.model import OPEN
from bqx_ops.issue_review.rules import TriageRules
from bqx_ops.issue_review.trend import NEW, RESOLVED_NOW


def report_paths(day: dt.date) -> tuple[str, str]:
    base = f"docs/reviews/{day.isoformat()}-issue-review"
    return f"{base}.md", f"{base}.json"


def hours(value, thresholds=()) -> str:
    """A duration in hours (days from 48 h) under the reports' rounding rule (5.25 h reads 5.3 h), never
    rounded onto or across a threshold it is judged against (an age just past its SLA, a breach's margin
    over 0)."""
    if value is None or pd.isna(value):
        return "—"
    if value < 48:
        return f"{num_vs(value, thresholds, 1)} h"
    return f"{num_vs(value / 24, [t / 24 for t in thresholds], 1)} d"


def when(value) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _stale(meta) -> list[str]:
    """The plan-derived issues and notes rest on an older snapshot when none was taken in the period
    (as the plan update says for its week)."""
    snapshot = None if meta["as_of_snapshot"] is None or pd.isna(meta["as_of_snapshot"]) \
        else pd.Timestamp(meta["as_of_snapshot"]).date()
    end = pd.Timestamp(meta["period_end"]).date()
    age = stale_days(snapshot, pd.Timestamp(meta["period_start"]).date(), end)
    if age is None:
        return []
    return [f"**Stale data: no Airtable snapshot was taken during this period.** Blockers, quarantine episodes and "
            f"plan-derived issues are as of the snapshot of {snapshot.isoformat()}, "
            f"{plural(age, 'day')} before {end.isoformat()}.", ""]


def _iso(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _plain(row: dict) -> dict:
    """JSON-ready values: timestamps as ISO strings, floats rounded, NaN as null."""
    out = {}
    for key, value in row.items():
        if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
            out[key] = _iso(value)
        elif isinstance(value, float):
            out[key] = None if pd.isna(value) else round(value, 2)
        elif hasattr(value, "item"):  # numpy scalars
            out[key] = value.item()
        else:
            out[key] = value
    return out


def _stat_rows(stats: list[dict], dimension: str, labels: dict[str, str] | None = None) -> list[list]:
    rows = []
    for s in stats:
        if s["dimension"] == dimension and s["open"] is None:  # a source without data: not 0 issues
            rows.append([s["value"], *([labels.get(s["value"], "")] if labels is not None else []), NO_DATA,
                         *["—"] * (len(STAT_HEADERS) - 1)])
        elif s["dimension"] == dimension:
            rows.append([s["value"], *([labels.get(s["value"], "")] if labels is not None else []), s["open"],
                         s["new"], s["resolved"], s["breached"], hours(s["avg_hours_to_close"]),
                         hours(s["median_hours_to_close"]), hours(s["p90_hours_to_close"])])
    return rows


NO_DATA = "no data"


def _sla(issue: dict, rules: TriageRules) -> tuple:
    """The SLA an issue's age is judged against, as a threshold of its display (none untriaged)."""
    hours_ = rules.sla_hours.get(issue.get("priority"))
    return () if hours_ is None else (hours_,)


STAT_HEADERS = ["Open", "New", "Resolved", "Past SLA", "Avg time to close", "Median", "90th percentile"]


def render_markdown(tables: dict[str, pd.DataFrame], rules: TriageRules) -> str:
    meta = records(tables["meta"])[0]
    inv, trend, stats = records(tables["inventory"]), records(tables["trend"]), records(tables["stats"])
    breaches, actions = records(tables["breaches"]), records(tables["actions"])
    problems = json.loads(meta["problems"] or "[]")
    day = pd.Timestamp(meta["review_date"]).date()
    open_ = [r for r in inv if r["state"] == OPEN]
    untriaged = [r for r in open_ if r["untriaged"]]  # a resolved issue needs no triage any more
    total = next(s for s in stats if s["dimension"] == "all")
    out = [
        f"# Issue resolution review — {day.isoformat()}", "",
        f"Bi-weekly issue review, owner {cell(ISSUE_REVIEW.owner)}. Period {when(meta['period_start'])} → {when(meta['period_end'])} UTC, "
        f"as of its end; Airtable snapshot {when(meta['as_of_snapshot'])[:10]}.", "",
        *_stale(meta),
        "## Summary", "",
        md_table(["Open", "New", "Resolved", "Past SLA", "Untriaged", "Action items (P0/P1)"],
                 [[total["open"], total["new"], total["resolved"], total["breached"], len(untriaged), len(actions)]]),
    ]
    if untriaged:
        out += [f"**{plural(len(untriaged), 'untriaged issue')}**: no rule gave them a priority or a category "
                "(listed below; label them or extend the triage rules).", ""]
    sla = {p: hours(rules.sla_hours[p]) for p in PRIORITIES}
    definitions = {p: f"{rules.definitions[p]} (SLA {sla[p]})" for p in PRIORITIES}
    out += ["### By priority", "",
            md_table(["Priority", "Definition", *STAT_HEADERS], _stat_rows(stats, "priority", definitions)),
            "### By category", "", md_table(["Category", *STAT_HEADERS], _stat_rows(stats, "category")),
            "### By source", "", md_table(["Source", *STAT_HEADERS], _stat_rows(stats, "source")),
            "## SLA breaches", "",
            md_table(["Priority", "Issue", "Category", "Owner", "Open for", "SLA due", "Over by"],
                     [[b["priority"], b["title"], b["category"], b["owner"], hours(b["age_hours"], _sla(b, rules)),
                       when(b["sla_due_at"]), hours(b["hours_over_sla"], (0,))] for b in breaches])]
    by_fp = {r["fingerprint"]: r for r in inv}
    new = [t for t in trend if t["change"] in NEW]
    resolved = [t for t in trend if t["change"] in RESOLVED_NOW]
    moved = [t for t in trend if t["priority_changed"]]
    unknown = [t for t in trend if t["change"] == "unknown"]

    def closed(t: dict) -> list[str]:  # an issue can be resolved by leaving its source (logs out of the window)
        if t["change"] == "recurred":  # the row is the new episode's; the earlier one's end is not known here
            return ["episode ended, began again", "—"]
        row = by_fp.get(t["fingerprint"])
        return [when(row["resolved_at"]), hours(row["time_to_close_hours"])] if row else ["no longer reported", "—"]

    resolved_rows = []
    for t in resolved:
        if t["change"] == "recurred":  # the earlier episode, then the new one if it is over too
            resolved_rows.append([t["previous_priority"], t["title"], t["source"], *closed(t)])
            row = by_fp.get(t["fingerprint"])
            if row and row["state"] != OPEN:
                resolved_rows.append([t["priority"], t["title"], t["source"], when(row["resolved_at"]),
                                      hours(row["time_to_close_hours"])])
        else:
            resolved_rows.append([t["priority"] or t["previous_priority"], t["title"], t["source"], *closed(t)])
    out += ["## New since the last review", "",
            md_table(["Priority", "Issue", "Source", "Created", "State"],
                     [[t["priority"], t["title"], t["source"], when(by_fp[t["fingerprint"]]["created_at"]),
                       by_fp[t["fingerprint"]]["state"]] for t in new]),
            "## Resolved since the last review", "",
            md_table(["Priority", "Issue", "Source", "Resolved", "Time to close"], resolved_rows),
            *(["## Not known this time", "",
               "Open at the last review; their source has no data this time, so whether they were resolved "
               "is not known (they are not counted as resolved):", "",
               md_table(["Priority", "Issue", "Source"], [[t["previous_priority"], t["title"], t["source"]]
                                                          for t in unknown])] if unknown else []),
            "## Priority changes", "",
            md_table(["Issue", "Before", "Now"], [[t["title"], t["previous_priority"], t["priority"]] for t in moved]),
            "## Action items (P0/P1)", "",
            md_table(["Task Key", "Priority", "Issue", "Category", "Owner", "Due", "Status"],
                     [[a["task_key"], a["priority"], a["name"], a["category"], a["owner"],
                       when(a["due_date"])[:10], a["status"]] for a in actions]),
            "## Untriaged issues", "",
            md_table(["Issue", "Source", "Labels", "Priority", "Category", "Created"],
                     [[r["title"], r["source"], r["labels"], r["priority"], r["category"], when(r["created_at"])]
                      for r in untriaged]),
            "## Open issues", "",
            md_table(["Priority", "Category", "Source", "Issue", "Owner", "Age", "SLA due", "Breached", "Events"],
                     [[r["priority"], r["category"], r["source"], r["title"], r["owner"], hours(r["age_hours"], _sla(r, rules)),
                       when(r["sla_due_at"]), "yes" if r["breached"] else "no",
                       "" if r["event_count"] is None else r["event_count"]] for r in open_]),
            "## Data problems", "",
            md_table(["Problem"], [[p] for p in problems]) if problems else "_none_\n",
            "---", "",
            "Issues found per source as of the period's end (before keeping those of the period): "
            + ", ".join(f"{cell(k)} {NO_DATA if v is None else v}"
                        for k, v in json.loads(meta["found_by_source"] or "{}").items()) + ".", ""]
    return "\n".join(out)


def render_json(tables: dict[str, pd.DataFrame]) -> str:
    meta = _plain(records(tables["meta"])[0])
    meta["found_by_source"] = json.loads(meta["found_by_source"] or "{}")
    meta["problems"] = json.loads(meta["problems"] or "[]")
    body = {"review": meta}
    for name in ("stats", "breaches", "trend", "actions", "inventory"):
        body[name] = [_plain({k: v for k, v in r.items() if k not in ("period_start", "period_end")})
                      for r in records(tables[name])]
    return dumps(body)
