"""What the plan update writes back to Airtable: one marked line in Notes, per record.

Notes also carry people's text (blockers the issue review reads), so bqx_ops never
replaces a note: it removes its own previous line (one starting with ``[plan update``)
and appends the new one. A record is written only when that changes its note, and a
line carries no date unless its content is dated by nature (a phase in progress), so
re-running a week, or the next week with nothing new, writes nothing.

* phases: the latest-status line;
* Done stages with a Realized Cost: the realized-cost confirmation;
* stages not Done: the adjusted estimate (``estimates.adjusted_estimates``).

Payloads follow the outbox's airtable channel: an upsert merged on our own keys
(Phase ID, Stage ID), so delivering twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import number, records, stage_key, text
from bqx_ops.plan_update.fmt import integer, money, num, pct, plural

OUR_LINE = re.compile(r"^\[plan update[^\]]*\]")
PHASE_NOTE_COLUMNS = {
    "phase_record_id": "string", "phase_id": "string", "number": "Int64", "name": "string",
    "status": "string", "has_notes": "bool", "notes": "string", "status_line": "string",
    "new_notes": "string", "changed": "bool",
}


def with_plan_line(notes: str | None, line: str) -> str:
    """``notes`` without our previous line(s), plus ``line`` at the end."""
    kept = [ln for ln in (notes or "").splitlines() if not OUR_LINE.match(ln.strip())]
    body = "\n".join(kept).strip()
    return f"{body}\n\n{line}" if body else line


def _spent(c: dict) -> str:
    if not c.get("costed_stages"):
        return "no realized cost recorded yet"
    return (f"realized {money(c['realized_cost'])} vs {money(c['estimated_cost_done'])} estimated"
            f" ({pct(c['variance_pct'])})")


def phase_status_line(cost: dict, time: dict, as_of: dt.date) -> str:
    status, done, total = time.get("status"), cost.get("done_stages") or 0, cost.get("stages") or 0
    estimated = time.get("estimated_days")
    days = f"{plural(time.get('actual_days'), 'working day')} vs " + (
        f"{integer(estimated)} estimated" if number(estimated) is not None else "estimated days: no data")
    missing = cost.get("done_without_cost") or 0
    gap = f"; {plural(missing, 'Done stage')} without Realized Cost" if missing else ""
    if status == "Done":
        return f"[plan update] Done: {done}/{total} stages; {_spent(cost)}; {days}{gap}."
    if status == "In Progress":
        return (f"[plan update {as_of.isoformat()}] In Progress: {done}/{total} stages done; {_spent(cost)};"
                f" {days} so far{gap}.")
    return (f"[plan update] {status or 'No status'}: {plural(total, 'stage')}, estimate "
            f"{money(cost.get('estimated_cost'))}, {plural(estimated, 'working day')}.")


def phase_notes(phases: pd.DataFrame, phase_costs: pd.DataFrame, phase_times: pd.DataFrame,
                as_of: dt.date) -> pd.DataFrame:
    """Per phase: whether it has Notes, and the note the plan update would leave."""
    costs = {r["phase_record_id"]: r for r in records(phase_costs)}
    times = {r["phase_record_id"]: r for r in records(phase_times)}
    rows = []
    for p in records(phases):
        rid, notes = text(p.get("record_id")), text(p.get("notes"))
        line = phase_status_line(costs.get(rid, {}), times.get(rid, {"status": text(p.get("status"))}), as_of)
        new = with_plan_line(notes, line)
        rows.append({
            "phase_record_id": rid, "phase_id": text(p.get("phase_id")), "number": p.get("number"),
            "name": text(p.get("name")), "status": text(p.get("status")),
            "has_notes": bool(notes and notes.strip()), "notes": notes, "status_line": line,
            "new_notes": new, "changed": new != notes,
        })
    order = {r["phase_record_id"]: i for i, r in enumerate(records(phase_times))}
    rows.sort(key=lambda r: (order.get(r["phase_record_id"], len(order)), r["phase_record_id"] or ""))
    return frame(rows, PHASE_NOTE_COLUMNS)


def confirmation_line(stage: dict) -> str:
    return (f"[plan update] Realized cost confirmed: {money(stage['realized_cost'])} vs"
            f" {money(stage.get('estimated_cost'))} estimated ({pct(stage.get('variance_pct'))}).")


def estimate_line(stage: dict) -> str:
    days = stage.get("adjusted_days")
    adjusted = f"{num(days, 1)} working days" if number(days) is not None else "working days: no data"
    return (f"[plan update] Adjusted estimate: {money(stage.get('adjusted_cost'))} and {adjusted}"
            f" (estimated {money(stage.get('estimated_cost'))}, {plural(stage.get('estimated_days'), 'day')};"
            f" cost x{number(stage['cost_ratio']):.3f} from {stage['cost_basis']},"
            f" days x{number(stage['days_ratio']):.3f} from {stage['days_basis']}).")


def _stage_updates(rows: list[dict], notes: dict[str, str | None], line) -> list[dict]:
    out = []
    for r in sorted(rows, key=lambda r: (stage_key(r["stage_id"]), r["record_id"] or "")):
        current = notes.get(r["record_id"])
        new = with_plan_line(current, line(r))
        if r.get("stage_id") and new != current:
            out.append({"Stage ID": r["stage_id"], "Notes": new})
    return out


def realized_confirmations(stage_costs: pd.DataFrame, stages: pd.DataFrame) -> list[dict]:
    """Done stages with a Realized Cost whose note lacks the current confirmation."""
    notes = {text(s.get("record_id")): text(s.get("notes")) for s in records(stages)}
    done = [r for r in records(stage_costs) if r.get("status") == "Done" and r.get("realized_cost") is not None]
    return _stage_updates(done, notes, confirmation_line)


def adjusted_estimate_notes(adjusted: pd.DataFrame, stages: pd.DataFrame) -> list[dict]:
    """Stages not Done whose note lacks their current adjusted estimate."""
    notes = {text(s.get("record_id")): text(s.get("notes")) for s in records(stages)}
    return _stage_updates(records(adjusted), notes, estimate_line)


def phase_note_updates(notes: pd.DataFrame) -> list[dict]:
    return [{"Phase ID": r["phase_id"], "Notes": r["new_notes"]}
            for r in records(notes) if r.get("changed") and r.get("phase_id")]


def upsert_payload(table: str, key_field: str, rows: list[dict]) -> dict:
    """The outbox's airtable payload: an upsert merged on ``key_field``."""
    return {"table": table, "merge_on": [key_field], "records": rows}
