"""README.md's status section: plan dashboard, phase statuses and the stages of running phases."""

from __future__ import annotations

import datetime as dt

from bqx_ops.asof import carried
from bqx_ops.docs_sync.snapshot import Snapshot, day_text
from bqx_ops.lazy import pd
from bqx_ops.markdown import cell, table
from bqx_ops.plan_update.common import stage_key
from bqx_ops.plan_update.fmt import plural
from bqx_ops.plan_update.targets import plan_targets

def _phase_sort(phase: dict):
    return (phase.get("number") is None, phase.get("number") or 0, phase["record_id"])


def _stage_sort(stage: dict):
    return stage_key(stage.get("stage_id")), stage["record_id"]  # the plan update's order


def _carried(snapshot: Snapshot, table: str) -> dict[str, dict]:
    """The rows of ``table`` that are an earlier snapshot's version (a record quarantined this day, carried
    forward as its last valid version: ``asof.carried``), by record id."""
    rows = snapshot.rows(table)
    earlier = set(carried(pd.DataFrame(rows), snapshot.day)["record_id"]) if rows else set()
    return {r["record_id"]: r for r in rows if r["record_id"] in earlier}


def _key(row: dict) -> str:
    return str(row.get("stage_id") or row.get("phase_id") or row.get("plan_id") or row.get("record_id"))


def _marked(row: dict, key: str, carried: dict[str, dict]) -> str:
    """A carried record's key with the day of the version shown, as the plan update marks it."""
    held = carried.get(row["record_id"])
    return f"{row.get(key)} (carried from {day_text(held.get('snapshot_date'))})" if held else row.get(key)


def plan_line(snapshot: Snapshot) -> str | None:
    """The followed plan (``project.plan_id``, else the first Active one: ``plan_targets``)."""
    plans = snapshot.rows("plans")
    if not plans:
        return None
    followed = plan_targets(pd.DataFrame(plans)).record_id
    p = next((p for p in plans if p["record_id"] == followed), plans[0])
    return f"**Plan:** {cell(p.get('plan_id'))} {cell(p.get('name'))} ({cell(p.get('status'))})"


def readme_status(snapshot: Snapshot, dashboard: tuple[dt.date, list[str]] | None = None) -> str:
    """The section between the README markers (its first line records the snapshot it shows).
    ``dashboard``: the latest plan update's dashboard (its date and lines), when there is one."""
    if snapshot.day is None:
        return "_No Airtable snapshot yet._"
    lines = [f"<!-- bqx-ops:snapshot {snapshot.day.isoformat()} -->",
             f"_Synced from Airtable by bqx_ops (weekly sync) · snapshot {snapshot.day.isoformat()}_", ""]
    bad = [q for q in snapshot.rows("quarantine") if q.get("table_name") in ("Plans", "Phases", "Stages")]
    carried = {t: _carried(snapshot, t) for t in ("plans", "phases", "stages")}
    held = [q for q in bad if q.get("record_id") in carried[q["table_name"].lower()]]
    hidden = [q for q in bad if q not in held]
    if held:
        lines += [f"_Shown as their last valid version ({plural(len(held), 'record')} of this snapshot failed "
                  "validation, see `airtable.quarantine`; marked \"carried\"): " + ", ".join(
                      f"{cell(q.get('table_name'))} {cell(_key(carried[q['table_name'].lower()][q['record_id']]))}"
                      f" (version of {day_text(carried[q['table_name'].lower()][q['record_id']].get('snapshot_date'))})"
                      for q in held[:10]) + "._", ""]
    if hidden:  # quarantined since their first snapshot: no valid version to show
        lines += [f"_Not shown: {plural(len(hidden), 'record')} of this snapshot failed validation with no "
                  "earlier valid version (see `airtable.quarantine`): " + ", ".join(
                      f"{cell(q.get('table_name'))} {cell(q.get('record_id'))}" for q in hidden[:10]) + "._", ""]
    if plan := plan_line(snapshot):
        lines += [plan, ""]
    if dashboard:
        day, board = dashboard
        lines += [f"### Plan dashboard (plan update of {day.isoformat()})", "", *(f"- {cell(x)}" for x in board), ""]
    phases = sorted(snapshot.rows("phases"), key=_phase_sort)
    stages = sorted(snapshot.rows("stages"), key=_stage_sort)
    rows = []
    for p in phases:
        mine = [s for s in stages if s.get("phase_id") == p["record_id"]]
        done = sum(1 for s in mine if s.get("status") == "Done")
        rows.append([_marked(p, "phase_id", carried["phases"]), p.get("name"), p.get("status"), p.get("owner"),
                     f"{done}/{len(mine)}"])
    lines += ["### Phases", "", table(["Phase", "Name", "Status", "Owner", "Stages done"], rows).rstrip("\n"), ""]
    running = {p["record_id"] for p in phases if p.get("status") == "In Progress"}
    current = [[_marked(s, "stage_id", carried["stages"]), s.get("name"), s.get("status"), s.get("owner")]
               for s in stages if s.get("phase_id") in running]
    lines += ["### Stages of the phases in progress", "",
              table(["Stage", "Name", "Status", "Owner"], current).rstrip("\n")]
    return "\n".join(lines)
