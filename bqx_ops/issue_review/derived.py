"""Issues derived from the plan tables of the as-of snapshot (computations of bqx_ops.plan_update).

* R² drops (``plan.r2.r2_drops``): open until a later evaluation of the same model and
  horizon is back within the threshold of the R² before the drop;
* cost overruns (``plan.variance.stage_cost_variance``) above the YAML's variance
  thresholds: open from the stage's completion until its phase is Done (its End Date, else its Last
  Modified) or the action item (Airtable Task keyed on the fingerprint) is Done;
* timeline delays (``plan.timeline.overdue_stages``): open from the first working day
  past the estimate (a re-opened stage: at the earliest from its re-opening) while the stage stays
  In Progress over it (never for the recurring
  operational stages the configuration names, ``recurring_stages``); one overdue at the
  previous review but no longer is resolved when the stage completed (or at the
  as-of snapshot when its estimate was raised instead).
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.lazy import np, pd
from bqx_ops.plan_update.common import as_date, number, records, text
from bqx_ops.plan_update.fmt import num_vs, pct_vs, plural
from bqx_ops.plan_update.r2 import by_date, evaluations
from bqx_ops.plan_update.timeline import overdue_stages
from bqx_ops.plan_update.variance import stage_cost_variance
from bqx_ops.issue_review.model import Found, fingerprint, midnight
from bqx_ops.unique_keys import normalized_key


def _by_threshold(value: float, escalations) -> str | None:
    for minimum, priority in escalations:  # highest first
        if value >= minimum:
            return priority
    return None


def r2_issues(model_results: pd.DataFrame, config: dict) -> list[Found]:
    threshold = float(config.get("threshold", 0.05))
    # the rows of r2_evaluations (by date) and r2_drops (those that are drops), worked out once: each look
    # of a replay asks (113 escalation looks), and their frames were only read back as records
    evaluated = sorted(evaluations(model_results, threshold), key=by_date)
    jobs = {} if model_results is None or model_results.empty or "training_job" not in model_results else {
        str(rid): text(job) for rid, job in zip(model_results["record_id"], model_results["training_job"])}
    series: dict[tuple, list[tuple[dt.date, float]]] = {}  # per model and horizon, in evaluation order
    for e in evaluated:
        series.setdefault((e["model"], e["horizon"]), []).append((e["evaluated_on"], e["r2"]))
    found = []
    for d in (e for e in evaluated if e["is_drop"]):
        drop_day, drop = d["evaluated_on"], -d["change"]
        recovery = next((day for day, r2 in series.get((d["model"], d["horizon"]), ())
                         if day > drop_day and r2 >= d["previous_r2"] - threshold), None)
        found.append(Found(
            source="derived", source_ref=f"r2_drop/{d['result_id'] or d['record_id']}", kind="r2_drop",
            title=f"R² drop of {drop:.3f} on {d['model']} {d['horizon']} "
                  f"({d['previous_r2']:.4f} → {d['r2']:.4f}, {drop_day})",
            created_at=midnight(drop_day), resolved_at=midnight(recovery), text="R² drop",
            priority=config.get("priority", "P1"), category=config.get("category", "Model Performance"),
            rule="derived.r2_drop", detail=f"Model Results {d['result_id']} ({d['record_id']}); "
                                           f"previous evaluation {as_date(d['previous_evaluated_on'])}",
            problem=f"training-job:{jobs[d['record_id']]}" if jobs.get(d["record_id"]) else None,
        ))
    return found


def done_since(history: pd.DataFrame | None, table: str = "Phases") -> dict[str, dt.date]:
    """Per record Done in its latest snapshot of ``history`` (rows snapshot_date, table, record_id, status),
    the first snapshot day of that Done run: when the base first showed it Done."""
    if history is None or history.empty or "status" not in history:
        return {}
    rows = history[history["table"] == table].sort_values(["record_id", "snapshot_date"], kind="stable")
    out: dict[str, dt.date] = {}
    for rid, day, status in zip(rows["record_id"], rows["snapshot_date"], rows["status"]):
        if status != "Done":
            out.pop(rid, None)
        elif rid not in out:
            out[rid] = as_date(day)
    return out


def cost_issues(stages: pd.DataFrame, phases: pd.DataFrame, tasks: pd.DataFrame, config: dict,
                phases_done_since: dict[str, dt.date] | None = None) -> list[Found]:
    stage_info = {text(s.get("record_id")): s for s in records(stages)}
    # a Done phase without an End Date is still Done: closed when the snapshots first showed it Done
    # (``phases_done_since``). Not its Last Modified: any later edit moves that (a note, the plan update's own
    # weekly write-back), which re-dated the resolution into every later review as a new resolved issue.
    # Without the history, its Last Modified (else its snapshot); never left open for ever.
    since = phases_done_since or {}
    phase_done = {text(p.get("record_id")): midnight(
        as_date(p.get("end_date")) or since.get(text(p.get("record_id"))) or as_date(p.get("last_modified"))
        or as_date(p.get("snapshot_date"))) for p in records(phases) if text(p.get("status")) == "Done"}
    task_done = {text(t.get("task_key")): midnight(as_date(t.get("last_modified")) or as_date(t.get("snapshot_date")))
                 for t in records(tasks) if text(t.get("status")) == "Done"}
    found = []
    for v in records(stage_cost_variance(stages)):
        pct = number(v.get("variance_pct"))
        priority = _by_threshold(pct, config.get("escalations") or ()) if v["overrun"] and pct is not None else None
        if priority is None:
            continue
        s = stage_info.get(v["record_id"], {})
        edges = tuple(m for m, _ in config.get("escalations") or ())
        opened = as_date(s.get("completed_date")) or as_date(s.get("start_date")) or as_date(s.get("snapshot_date"))
        ref = f"cost_overrun/{v['record_id']}"
        closes = [c for c in (phase_done.get(v["phase_id"]), task_done.get(fingerprint("derived", ref))) if c]
        found.append(Found(
            source="derived", source_ref=ref, kind="cost_overrun",
            # never rounded onto a priority's threshold: 24.9995% (P2) read "25%", as 25.0003% (P1) did
            title=f"Stage {v['stage_id']} {v['name']} over its estimate by "
                  f"{num_vs(pct, edges, 0)}% "
                  f"(${v['realized_cost']:,.2f} vs ${v['estimated_cost']:,.2f})",
            created_at=midnight(opened), text="cost overrun",
            resolved_at=max(min(closes), midnight(opened) or min(closes)) if closes else None,
            priority=priority, category=config.get("category", "Cost Overruns"), rule="derived.cost_overrun",
            stage_record_id=v["record_id"], stage_owner=v["owner"],
            detail=f"variance ${v['variance_usd']:,.2f} ({pct_vs(pct, edges)})",
        ))
    return found


def reopened_days(history: pd.DataFrame) -> dict[str, list[dt.date]]:
    """Per stage re-opened (Done in a snapshot, In Progress in a later one), the first snapshot day of each
    In Progress run that follows a Done, oldest first; ``history``: rows (snapshot_date, table, record_id,
    status). A look as of a day uses the latest of them up to that day."""
    if history is None or history.empty or "status" not in history:
        return {}
    rows = history[history["table"] == "Stages"].sort_values(["record_id", "snapshot_date"], kind="stable")
    out: dict[str, list[dt.date]] = {}
    last: dict[str, object] = {}
    for rid, day, status in zip(rows["record_id"], rows["snapshot_date"], rows["status"]):
        if status == "In Progress" and last.get(rid) == "Done":
            out.setdefault(rid, []).append(as_date(day))
        last[rid] = status
    return out


def _overdue(stages: pd.DataFrame, as_of: dt.date, config: dict) -> dict[str, dict]:
    # Stage IDs as people mean them, like recurring_stages: the base keeps "10.5 " as written
    out, excluded = {}, {normalized_key(str(s)) for s in config.get("exclude_stage_ids") or ()}
    # recurring: bqx_ops.config.RecurringStagesSection, stages that never complete (never overdue)
    for o in records(overdue_stages(stages, as_of, config.get("recurring"))):
        if normalized_key(o["stage_id"] or "") in excluded:
            continue
        priority = _by_threshold(float(o["days_over"]), config.get("escalations") or ())
        if priority:
            # the first working day past the estimate: day number estimated_days + 1 from the start
            late = pd.Timestamp(np.busday_offset(as_date(o["start_date"]), int(o["estimated_days"]),
                                                 roll="forward")).date()
            reopened = [d for d in (config.get("reopened") or {}).get(o["record_id"], ()) if d <= as_of]
            if reopened:
                late = max(late, reopened[-1])  # Done until then: not late while it was Done
            out[o["record_id"]] = dict(o, priority=priority, opened=late)
    return out


def timeline_issues(stages_now: pd.DataFrame, as_of: dt.date, stages_before: pd.DataFrame | None,
                    before: dt.date | None, config: dict, since: dt.datetime | None = None,
                    inside: list[tuple[dt.date, pd.DataFrame]] = ()) -> list[Found]:
    """Stages past their estimate as of ``as_of``, and those that were at ``before`` (the previous review's
    day; ``since``: its instant) or on a day of ``inside`` (snapshots of the period: day, stages) and are
    not any more: resolved at their Completed Date, never before the last day that saw them late (a
    Completed Date before it, entered late, would put the resolution outside the period and the review
    would call the issue "no longer reported")."""
    now = _overdue(stages_now, as_of, config)
    late: dict[str, tuple[dict, dt.date]] = {}  # not late any more: (its latest late record, the day seen late)
    if stages_before is not None and before:
        late = {rid: (o, before) for rid, o in _overdue(stages_before, before, config).items()}
    for day, stages in inside:
        late.update({rid: (o, day) for rid, o in _overdue(stages, day, config).items()})
    completed = {text(s.get("record_id")): as_date(s.get("completed_date")) for s in records(stages_now)}
    found = []
    for rid, o in sorted({**{r: o for r, (o, _) in late.items()}, **now}.items()):
        if rid in now:
            resolved = None
        else:  # late at the previous review or inside the period, not any more
            resolved = max(completed.get(rid) or as_of, late[rid][1])
        resolved_at = midnight(resolved)
        if resolved_at is not None and since is not None:
            resolved_at = max(resolved_at, since)
        found.append(Found(
            source="derived", source_ref=f"timeline/{rid}", kind="timeline_delay",
            title=f"Stage {o['stage_id']} {o['name']} past its estimate of {plural(o['estimated_days'], 'working day')}",
            created_at=midnight(o["opened"]), resolved_at=resolved_at, text="timeline delay",
            priority=o["priority"], category=config.get("category", "Timeline Delays"), rule="derived.timeline",
            stage_record_id=rid, stage_owner=o["owner"],
            detail=f"{plural(o['days_over'], 'working day')} over (started {as_date(o['start_date'])})",
        ))
    return found
