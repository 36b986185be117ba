"""Timeline variance in working days: overdue stages, per-phase durations, the plan's schedule.

Durations count Monday-Friday days with both ends included (``common.working_days``):
a stage started and finished on the same day took 1 day, like a 1-day estimate.

The plan's schedule variance uses earned schedule: ``earned_days`` is the sum of the
estimated days of Done stages (the time the plan budgeted for the work now done) and
``elapsed_days`` the working days since the plan's start. ``elapsed - earned`` days
behind (negative: ahead); as a percentage of ``earned`` it is also the overrun of the
forecast duration ``planned_days * elapsed / earned`` if the pace holds. That
percentage is held against the ±20% band.
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import as_date, number, phase_key, records, stage_key, text, working_days
from bqx_ops.plan_update.fmt import half_up
from bqx_ops.plan_update.targets import TIMELINE_BAND_PCT, PlanTargets, band

DONE, IN_PROGRESS = "Done", "In Progress"

OVERDUE_COLUMNS = {
    "record_id": "string", "stage_id": "string", "name": "string", "owner": "string",
    "start_date": "datetime64[us]", "estimated_days": "Int64", "days_in_progress": "Int64", "days_over": "Int64",
    "carried_from": "datetime64[us]",
}
PHASE_TIMELINE_COLUMNS = {
    "phase_record_id": "string", "phase_id": "string", "number": "Int64", "name": "string",
    "status": "string", "start_date": "datetime64[us]", "end_date": "datetime64[us]",
    "estimated_days": "Int64", "actual_days": "Int64", "variance_days": "Int64",
    "variance_pct": "float64", "complete": "bool", "over_estimate": "bool",
}


def behind_with_nothing_earned(variance_pct: float | None, behind_days: float | None) -> float | None:
    """Working days behind when nothing is earned yet, else None: a plan_timeline row with days behind but
    no percentage (0 earned days, stored as no value, leave it undefined) is further behind than any
    percentage, not "no data". The 360 and the dashboard judge it by this one rule."""
    return behind_days if variance_pct is None and behind_days is not None and behind_days > 0 else None


def overdue_stages(stages: pd.DataFrame, as_of: dt.date, recurring=None, snapshot_day=None) -> pd.DataFrame:
    """In Progress stages whose working days since Start Date exceed Estimated Days.

    Sorted by days_over (most first), then stage order. Stages without a start date or
    an estimate cannot be judged and are left out, and so are the operational stages that
    recur and never complete (``recurring``: the configuration's ``recurring_stages``).

    ``stages`` read with carry-forward hold the last valid version of a quarantined record: it
    counts like a live one, and ``carried_from`` is the snapshot that version comes from (rows
    whose ``snapshot_date`` is before ``snapshot_day``, the as-of snapshot); None for live rows.
    """
    as_of, snapshot_day = as_date(as_of), as_date(snapshot_day)
    rows = []
    for r in records(stages):
        estimated, start = number(r.get("estimated_days")), as_date(r.get("start_date"))
        if text(r.get("status")) != IN_PROGRESS or estimated is None or start is None:
            continue
        if recurring is not None and recurring.matches(text(r.get("stage_id")), text(r.get("name"))):
            continue
        elapsed = working_days(start, as_of)
        version = as_date(r.get("snapshot_date"))
        if elapsed > estimated:
            rows.append({
                "record_id": text(r.get("record_id")), "stage_id": text(r.get("stage_id")),
                "name": text(r.get("name")), "owner": text(r.get("owner")), "start_date": start,
                "estimated_days": int(estimated), "days_in_progress": elapsed,
                "days_over": int(elapsed - estimated),
                "carried_from": version if snapshot_day and version and version < snapshot_day else None,
            })
    rows.sort(key=lambda r: (-r["days_over"], stage_key(r["stage_id"]), r["record_id"] or ""))
    return frame(rows, OVERDUE_COLUMNS)


def stage_days(stage: dict) -> int | None:
    """Working days a Done stage took (Start Date to Completed Date), None if unknown."""
    if text(stage.get("status")) != DONE:
        return None
    return working_days(stage.get("start_date"), stage.get("completed_date"))


def phase_ends(stages: pd.DataFrame, phases: pd.DataFrame) -> dict[str, dt.date | None]:
    """Per Done phase (by record id), when it ended: its End Date, else the latest Completed Date of its
    Done stages (a base that never fills a phase's End Date still says when its work finished); None
    when neither is known. Phases not Done are left out."""
    completed: dict[str, dt.date] = {}
    for s in records(stages):
        day, link = as_date(s.get("completed_date")), text(s.get("phase_id")) or ""
        if text(s.get("status")) == DONE and day and (link not in completed or day > completed[link]):
            completed[link] = day
    return {text(p.get("record_id")) or "": as_date(p.get("end_date")) or completed.get(text(p.get("record_id")) or "")
            for p in records(phases) if text(p.get("status")) == DONE}


def phase_timeline(stages: pd.DataFrame, phases: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per phase: estimated vs actual working days (so far, for a phase in progress)."""
    as_of = as_date(as_of)
    first_start: dict[str, dt.date] = {}
    for s in records(stages):
        start, link = as_date(s.get("start_date")), text(s.get("phase_id")) or ""
        if start and (link not in first_start or start < first_start[link]):
            first_start[link] = start
    ends = phase_ends(stages, phases)
    rows = []
    for p in records(phases):
        status, estimated = text(p.get("status")), number(p.get("estimated_days"))
        start = as_date(p.get("start_date")) or first_start.get(text(p.get("record_id")) or "")
        end = ends.get(text(p.get("record_id")) or "")
        actual = None
        if status in (DONE, IN_PROGRESS) and start is not None and (end or status == IN_PROGRESS):
            actual = working_days(start, end or as_of)
        variance = actual - int(estimated) if actual is not None and estimated is not None else None
        rows.append({
            "phase_record_id": text(p.get("record_id")), "phase_id": text(p.get("phase_id")),
            "number": p.get("number"), "name": text(p.get("name")), "status": status,
            "start_date": start, "end_date": end,
            "estimated_days": int(estimated) if estimated is not None else None, "actual_days": actual,
            "variance_days": variance,
            "variance_pct": variance / estimated * 100 if variance is not None and estimated else None,
            "complete": status == DONE, "over_estimate": variance is not None and variance > 0,
        })
    rows.sort(key=lambda r: (phase_key(r["phase_id"], r["number"]), r["phase_record_id"] or ""))
    return frame(rows, PHASE_TIMELINE_COLUMNS)


def plan_timeline(stages: pd.DataFrame, phases: pd.DataFrame, targets: PlanTargets, as_of: dt.date) -> dict:
    """The plan's elapsed working days against its days band and its earned-schedule variance."""
    as_of = as_date(as_of)
    stage_rows, phase_rows = records(stages), records(phases)
    starts = [as_date(r.get("start_date")) for r in phase_rows + stage_rows]
    start = targets.start_date or min((s for s in starts if s), default=None)
    ends = phase_ends(stages, phases)
    # a Done phase with no stage and no End Date (a milestone) holds no work to wait for: counting on
    # its unknown end kept a finished plan's elapsed days growing after its last phase ended
    worked = {text(s.get("phase_id")) or "" for s in stage_rows}
    known = [e for rid, e in ends.items() if e or rid in worked]
    all_done = bool(phase_rows) and len(ends) == len(phase_rows) and bool(known) and all(known)
    end = max(known) if all_done else as_of
    # a Start Date after the day while stages are already Done or under way (2062 for 2026) cannot be the
    # plan's: counted from it, no day had elapsed and all the earned work read as days ahead (-100%)
    under_way = sum(1 for s in stage_rows if text(s.get("status")) in (DONE, IN_PROGRESS))
    start_problem = (f"the plan's Start Date {start.isoformat()} is after {as_of.isoformat()}, yet "
                     f"{under_way} stage{'' if under_way == 1 else 's'} are Done or In Progress: the elapsed days "
                     "cannot be counted") if start and start > as_of and under_way else None
    elapsed = working_days(start, min(end, as_of)) if start and not start_problem else None
    estimates = [(text(s.get("status")), number(s.get("estimated_days"))) for s in stage_rows]
    planned = sum(e for _, e in estimates if e is not None)
    earned = sum(e for status, e in estimates if e is not None and status == DONE)
    # a stage without Estimated Days is in neither earned nor planned days and is never judged overdue: said
    missing = [f"{text(s.get('stage_id')) or '?'} ({text(s.get('status')) or '?'})"
               for s in sorted(stage_rows, key=lambda s: stage_key(s.get("stage_id")))
               if number(s.get("estimated_days")) is None]
    # nothing Done yet earns 0 days: every elapsed day is behind (the percentage of 0 earned is undefined)
    variance = elapsed - earned if elapsed is not None and planned else None
    pct = variance / earned * 100 if variance is not None and earned else None
    return {
        "plan_start": start, "plan_complete": all_done, "days_min": targets.days_min,
        "days_max": targets.days_max, "planned_days": planned or None, "earned_days": earned or None,
        "elapsed_days": elapsed, "schedule_variance_days": variance, "variance_pct": pct,
        "forecast_days": half_up(planned * elapsed / earned, 1) if pct is not None else None,
        **band(pct, TIMELINE_BAND_PCT), "stages_without_days": ", ".join(missing) or None,
        "start_problem": start_problem,
    }
