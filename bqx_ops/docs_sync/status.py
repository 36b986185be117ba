"""README.md's status section: plan dashboard, phase statuses and the stages of running phases."""

from __future__ import annotations

import datetime as dt

from bqx_ops.docs_sync.snapshot import Snapshot
from bqx_ops.lazy import pd
from bqx_ops.markdown import cell, table
from bqx_ops.plan_update.fmt import plural
from bqx_ops.plan_update.targets import plan_targets

def _phase_sort(phase: dict):
    return (phase.get("number") is None, phase.get("number") or 0, phase["record_id"])


def _stage_sort(stage: dict):
    parts = str(stage.get("stage_id") or "").split(".")
    return tuple(int(p) if p.isdigit() else 10**6 for p in parts), stage["record_id"]


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
    hidden = [q for q in snapshot.rows("quarantine") if q.get("table_name") in ("Plans", "Phases", "Stages")]
    if hidden:
        lines += [f"_Not shown: {plural(len(hidden), 'record')} of this snapshot failed validation (see "
                  "`airtable.quarantine`): " + ", ".join(f"{cell(q.get('table_name'))} {cell(q.get('record_id'))}"
                                                         for q in hidden[:10]) + "._", ""]
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
        rows.append([p.get("phase_id"), p.get("name"), p.get("status"), p.get("owner"), f"{done}/{len(mine)}"])
    lines += ["### Phases", "", table(["Phase", "Name", "Status", "Owner", "Stages done"], rows).rstrip("\n"), ""]
    running = {p["record_id"] for p in phases if p.get("status") == "In Progress"}
    current = [[s.get("stage_id"), s.get("name"), s.get("status"), s.get("owner")]
               for s in stages if s.get("phase_id") in running]
    lines += ["### Stages of the phases in progress", "",
              table(["Stage", "Name", "Status", "Owner"], current).rstrip("\n")]
    return "\n".join(lines)
