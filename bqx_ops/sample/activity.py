"""Tasks, decisions, learnings, model results and artifacts as dated Airtable changes."""

from __future__ import annotations

import datetime as dt

from bqx_ops.sample.vocabulary import HORIZONS

from . import training
from .airtable import Base
from .content import ARTIFACT_CODE, ARTIFACT_POINTS, ARTIFACTS, DECISIONS, LEARNINGS, TASKS
from .plan import PHASE_OF, STAGES
from .story import BAD_WINDOW, BAD_KIND, MISSING_STAGE, phase_id, stage_id
from .timeline import SAMPLE_END, airtable_time, d


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def tasks(base: Base) -> None:
    for key, created, sid, name, category, priority, owner, due_in, started, done in TASKS:
        day = d(created)
        due = day + _days(due_in)
        fields = {"Task Key": key, "Name": name, "Stage": [stage_id(sid)], "Status": "Todo",
                  "Priority": priority.lstrip("!"), "Category": category, "Owner": owner,
                  "Due Date": due.isoformat(), "Notes": f"Raised {day} for stage {sid}."}
        bad = BAD_KIND.get(("Tasks", key))
        if bad == "missing_required":  # created without a name, named later
            del fields["Name"]
        rec = base.create("Tasks", key, day, fields)
        if bad == "missing_required":
            base.update(rec, BAD_WINDOW[("Tasks", key)][1], {"Name": name})
        elif bad == "malformed_date":
            lo, hi = BAD_WINDOW[("Tasks", key)]
            base.update(rec, lo, {"Due Date": "2025-13-45"})
            base.update(rec, hi, {"Due Date": due.isoformat()})
        if started is not None:
            base.update(rec, day + _days(started), {"Status": "In Progress",
                                                    "Notes": f"Picked up by {owner} on {day + _days(started)}."})
        if priority.startswith("!"):
            base.update(rec, day + _days(7), {"Priority": "P0", "Notes": "Escalated to P0: blocking Phase 7 "
                                                                          "distributed training."})
        if done is None:
            if started is not None and due < SAMPLE_END:
                base.update(rec, due + _days(1), {"Notes": f"Overdue since {due}; still in progress."})
            continue
        finished = day + _days(done)
        if finished > due + _days(2):
            base.update(rec, due + _days(1), {"Due Date": finished.isoformat(),
                                              "Notes": f"Due date moved from {due} to {finished}."})
        base.update(rec, finished, {"Status": "Done", "Notes": f"Done {finished}."})


def decisions(base: Base) -> None:
    for date, sid, title, decision, rationale, who in DECISIONS:
        day = d(date)
        fields = {"Title": title, "Date": date, "Stage": [stage_id(sid)], "Decision": decision,
                  "Rationale": rationale, "Decided By": who}
        rec = base.create("Decisions", title, day, fields)
        if ("Decisions", title) in BAD_WINDOW:
            # The record is edited, and for two weeks the base returns the stale copy too (same id).
            lo, hi = BAD_WINDOW[("Decisions", title)]
            base.update(rec, lo, {"Rationale": f"{rationale} Confirmed by the {lo} walk-forward rerun."})
            copy = base.create("Decisions", f"{title} (stale copy)", lo,
                               dict(fields, **{"Last Modified": airtable_time(day)}),
                               rec_id=rec.id, created_time=airtable_time(day))
            base.delete(copy, hi)


def learnings(base: Base) -> None:
    for date, sid, title, worked, didnt in LEARNINGS:
        day = d(date)
        fields = {"Title": title, "Date": date, "Stage": [stage_id(sid)], "What Worked": worked,
                  "What Didn't": didnt}
        if ("Learnings", title) in BAD_WINDOW:  # created with the bad link, relinked later
            rec = base.create("Learnings", title, day, dict(fields, Stage=[MISSING_STAGE]))
            base.update(rec, BAD_WINDOW[("Learnings", title)][1], {"Stage": [stage_id(sid)]})
        else:
            base.create("Learnings", title, day, fields)


def model_results(base: Base) -> None:
    for e in training.evaluations():
        key = f"{e.model}-{e.horizon}-{e.day}"
        fields = {"Result ID": key, "Model": e.model, "Horizon": e.horizon, "Evaluated On": e.day.isoformat(),
                  "R2": e.r2, "Training Job": e.job, "Stage": [stage_id(training.stage_for(e.model, e.day))]}
        if ("Model Results", key) in BAD_WINDOW:  # mistyped when entered, corrected later
            rec = base.create("Model Results", key, e.day, dict(fields, R2=1.07))
            base.update(rec, BAD_WINDOW[("Model Results", key)][1], {"R2": e.r2})
        else:
            base.create("Model Results", key, e.day, fields)


def markdown(name: str, kind: str, sid: str, day: dt.date, updates: list[dt.date]) -> str:
    stage, phase = STAGES[sid], PHASE_OF[sid]
    lines = [f"# {name}", "",
             f"_{kind} · Phase {phase.number} – {phase.name} · Stage {sid} {stage.name} · {day}_", "",
             "## Summary", "",
             f"{name} for stage {sid} ({stage.name}) of plan MP-BQX_ML-001: {phase.summary}.", "",
             "## Key points", ""]
    lines += [f"- {point}" for point in ARTIFACT_POINTS[kind]]
    lines += ["", "## Latest Ensemble R² by horizon", "", "| Horizon | R² | Evaluated | Target |",
              "|---|---|---|---|"]
    latest = {e.horizon: e for e in training.evaluations() if e.model == "Ensemble" and e.day <= day}
    for h in HORIZONS:
        e = latest.get(h)
        lines.append(f"| {h} | {e.r2:.4f} | {e.day} | 0.95 |" if e else f"| {h} | n/a | – | 0.95 |")
    lang, code = ARTIFACT_CODE[kind]
    lines += ["", "## Example", "", f"```{lang}", code, "```"]
    for when in updates:
        lines += ["", f"## Update {when}", "", f"1. Revised after the {when} review.",
                  "2. Numbers above refreshed from the latest evaluations."]
    return "\n".join(lines) + "\n"


def artifacts(base: Base) -> None:
    for created, name, kind, sid, edits, deleted in ARTIFACTS:
        day = d(created)
        rec = base.create("Artifacts", f"{name}@{created}", day, {
            "Name": name, "Type": kind, "Phase": [phase_id(PHASE_OF[sid].number)], "Stage": [stage_id(sid)],
            "Content": markdown(name, kind, sid, day, []),
        })
        for i, edit in enumerate(map(d, edits)):
            base.update(rec, edit, {"Content": markdown(name, kind, sid, edit, [d(x) for x in edits[: i + 1]])})
        if deleted:
            base.delete(rec, d(deleted))
