"""The BQX-ML story as dated Airtable changes, including the deliberately bad records."""

from __future__ import annotations

from bqx_ops.sample.vocabulary import HORIZONS

from . import training
from .airtable import Base, Record, rid
from .plan import OPS_STAGES, OPS_STAGES_ADDED, PHASE10_ORIGINAL, PHASE_RECS, PHASES, PLAN_REC, STAGE_RECS, STAGES
from .timeline import DAY, SAMPLE_END, SAMPLE_START, d, days, snapshot_dates

MISSING_STAGE = rid("Stages", "9.9 (deleted)")  # a link target that never existed


def phase_id(number: int) -> str:
    return PHASE_RECS.get(number) or rid("Phases", f"P{number}")


def stage_id(sid: str) -> str:
    return STAGE_RECS.get(sid) or rid("Stages", sid)


def _money(value: float) -> str:
    return f"${value:,.2f}"


# --- deliberately bad records ----------------------------------------------
# table, key (record id source), introduced, fixed, kind, field, problem
_BAD = [
    ("Tasks", "T-013", "2025-10-08", "2025-10-22", "missing_required", "Name",
     "required field Name is missing (task created without a name)"),
    ("Phases", "P3", "2025-10-06", "2025-10-16", "wrong_type", "Estimated Cost",
     'Estimated Cost is the string "fifty" instead of a number'),
    ("Stages", "7.4", "2025-12-16", "2026-01-05", "unknown_choice", "Status",
     'Status "Blocked" is not one of Todo / In Progress / Done'),
    ("Stages", "2.3", "2025-09-26", "2025-10-10", "negative_number", "Realized Cost",
     "Realized Cost is negative (-7.50, a refund typed as a cost)"),
    ("Model Results", "Transformer-w45-2026-01-12", "2026-01-12", "2026-01-30", "out_of_range", "R2",
     "R2 is 1.07, above the maximum of 1"),
    ("Learnings", "Spot instances cut LSTM cost", "2025-11-20", "2025-12-03", "dangling_link", "Stage",
     f"Stage links to {MISSING_STAGE}, a record id that does not exist"),
    ("Decisions", "Adopt a stacking ensemble with a ridge meta-learner", "2026-01-21", "2026-02-04",
     "duplicate_id", "id", "the same record id appears twice in the table (stale copy)"),
    ("Tasks", "T-036", "2026-03-11", "2026-03-25", "malformed_date", "Due Date",
     'Due Date is "2025-13-45", not a valid date'),
]
BAD_WINDOW = {(t, k): (d(a), d(b)) for t, k, a, b, *_ in _BAD}
BAD_KIND = {(t, k): kind for t, k, _, _, kind, *_ in _BAD}


def _record_id(table: str, key: str) -> str:
    if table == "Phases":
        return phase_id(int(key.removeprefix("P")))
    return stage_id(key) if table == "Stages" else rid(table, key)


def _bad_records() -> list[dict]:
    snaps = snapshot_dates(SAMPLE_START, SAMPLE_END)
    out = []
    for table, key, intro, fixed, kind, field, problem in _BAD:
        out.append({
            "table": table, "record_id": _record_id(table, key), "key": key, "kind": kind, "field": field,
            "problem": problem,
            "first_snapshot": min(s for s in snaps if s >= d(intro)),
            "last_snapshot": max(s for s in snaps if s < d(fixed)),
        })
    return out


BAD_RECORDS = _bad_records()


# --- plan, phases, stages ----------------------------------------------------
def plan(base: Base) -> None:
    rec = base.create("Plans", "MP-BQX_ML-001", SAMPLE_START, {
        "Plan ID": "MP-BQX_ML-001", "Name": "BQX-ML",
        "Goal": "Exact prediction of future BQX variables for every currency pair at horizons w15-w90, "
                "reaching R2 0.95-0.99 within the $650 budget and 71-85 working days.",
        "Estimated Budget": 650, "Estimated Days Min": 71, "Estimated Days Max": 85,
        "R2 Target Min": 0.95, "R2 Target Max": 0.99, "Horizons": list(HORIZONS),
        "Start Date": SAMPLE_START.isoformat(), "Status": "Active",
        "Notes": "Plan approved by RM-001. Phases 0-10 planned; Phase 0 starts today.",
    }, rec_id=PLAN_REC)
    ensemble = [e for e in training.evaluations() if e.model == "Ensemble" and e.horizon == "w15"]
    for day in days(SAMPLE_START + DAY, SAMPLE_END):
        if day.day != 1:
            continue
        done = [p for p in PHASES if p.end and p.end <= day]
        running = [p for p in PHASES if p.start <= day and not (p.end and p.end <= day)]
        realized = sum(s.realized for s in STAGES.values() if s.done and s.done <= day and s.realized)
        r2 = [e.r2 for e in ensemble if e.day <= day]
        base.update(rec, day, {"Notes": (
            f"Status {day}: {len(done)}/11 phases done, {len(running)} in progress "
            f"({', '.join(p.pid for p in running) or 'none'}). Realized {_money(realized)} of $650 on completed "
            f"stages. Ensemble R2 (w15) {r2[-1] if r2 else 'n/a'}; target 0.95-0.99.")})


def _stages(base: Base, phase, phase_rec: Record) -> None:
    for s in phase.stages:
        original = PHASE10_ORIGINAL.get(s.sid)
        created = OPS_STAGES_ADDED if s.sid in OPS_STAGES else SAMPLE_START
        cost, est_days = original or (s.est_cost, s.est_days)
        rec = base.create("Stages", s.sid, created, {
            "Stage ID": s.sid, "Name": s.name, "Phase": [phase_rec.id], "Status": "Todo", "Owner": s.owner,
            "Estimated Cost": cost, "Estimated Days": est_days,
        }, rec_id=stage_id(s.sid))
        if original:
            base.update(rec, OPS_STAGES_ADDED, {"Estimated Cost": s.est_cost, "Estimated Days": s.est_days,
                                                "Notes": "Estimate reduced to fund operational stages 10.5-10.8."})
        if created == OPS_STAGES_ADDED:
            base.update(rec, created, {"Notes": "Added from the operational cadence doc (2025-11-09)."})
        base.update(rec, s.start, {"Status": "In Progress", "Start Date": s.start.isoformat(),
                                   "Notes": f"Started {s.start}; owner {s.owner}."})
        if s.done:
            base.update(rec, s.done, {"Status": "Done", "Completed Date": s.done.isoformat(),
                                      "Realized Cost": s.realized,
                                      "Notes": f"Completed {s.done}; realized {_money(s.realized)} vs "
                                               f"{_money(s.est_cost)} estimated."})
        elif s.sid in OPS_STAGES:
            _ops_notes(base, rec, s)


def _ops_notes(base: Base, rec: Record, s) -> None:
    what = {"10.5": "repository sync", "10.6": "Airtable plan update", "10.7": "issue review",
            "10.8": "360 assessment"}[s.sid]
    runs = 0
    for day in days(s.start, SAMPLE_END):
        ran = {"10.5": day.weekday() == 0, "10.6": day.weekday() == 4, "10.7": day.day in (1, 15),
               "10.8": day in (d("2026-03-27"), d("2026-06-26"))}[s.sid]
        if ran:
            runs += 1
            if s.sid != "10.5" or runs % 4 == 1:  # the weekly sync only notes once a month
                base.update(rec, day, {"Notes": f"Recurring: {runs} {what} run(s) so far; last on {day}."})


# Phase notes are not touched by progress updates while a blocker or a gap is shown.
_NOTE_HOLDS = {1: ("2025-09-03", "2025-09-09"), 6: ("2025-11-21", "2025-12-12"), 9: ("2026-02-02", "2026-02-11")}


def phases(base: Base) -> None:
    for p in PHASES:
        rec = base.create("Phases", p.pid, SAMPLE_START, {
            "Phase ID": p.pid, "Number": p.number, "Name": p.name, "Plan": [PLAN_REC], "Status": "Todo",
            "Owner": p.owner, "Estimated Cost": p.est_cost, "Estimated Days": p.est_days,
            "Notes": f"Planned: {p.summary}. Estimate {_money(p.est_cost)}, {p.est_days} days.",
        }, rec_id=phase_id(p.number))
        _stages(base, p, rec)
        base.update(rec, p.start, {"Status": "In Progress", "Start Date": p.start.isoformat(),
                                   "Notes": f"In progress since {p.start}: stage {p.stages[0].sid} "
                                            f"{p.stages[0].name} underway."})
        finished = sorted((s for s in p.stages if s.done), key=lambda s: s.done)
        hold = _NOTE_HOLDS.get(p.number)
        for k, s in enumerate(finished, 1):
            if (p.end and s.done >= p.end) or (hold and d(hold[0]) <= s.done < d(hold[1])):
                continue
            spent = sum(x.realized for x in finished[:k])
            base.update(rec, s.done, {"Notes": f"{k}/{len(p.stages)} stages done (latest {s.sid} on {s.done}); "
                                               f"realized {_money(spent)} of {_money(p.est_cost)} so far."})
        if p.end:
            var = (p.realized - p.est_cost) / p.est_cost * 100
            base.update(rec, p.end, {"Status": "Done", "End Date": p.end.isoformat(), "Realized Cost": p.realized,
                                     "Notes": f"Done {p.end}: realized {_money(p.realized)} vs "
                                              f"{_money(p.est_cost)} estimated ({var:+.0f}%), "
                                              f"{(p.end - p.start).days + 1} calendar days vs {p.est_days} planned."})


def blockers_and_gaps(base: Base) -> None:
    """Blockers mentioned for a while, the success-metric gaps, and the bad stage/phase values."""
    stage = lambda sid: base.get("Stages", sid)  # noqa: E731
    phase = lambda n: base.get("Phases", f"P{n}")  # noqa: E731
    events = [
        (stage("1.3"), "2025-09-03", "Blocked: waiting on cross-account S3 read permission from the bqx-db account."),
        (stage("1.3"), "2025-09-09", "Unblocked 2025-09-09: bucket policy updated; Lambda deployed to staging."),
        (phase(1), "2025-09-03", "In progress; blocker: IAM cross-account access for stage 1.3."),
        (phase(1), "2025-09-09", "In progress; 1.3 unblocked, backfill (1.4) next."),
        (stage("7.4"), "2025-12-12", "Blocked: waiting on SageMaker ml.p3.8xlarge quota increase (case opened 2025-12-12)."),
        (stage("7.4"), "2026-01-05", "Quota granted 2026-01-05; distributed training running on ml.p3.8xlarge."),
        (phase(9), "2026-02-02", "In progress; blocker: API Gateway custom domain certificate pending DNS validation."),
        (phase(9), "2026-02-11", "In progress; certificate issued 2026-02-11, monitoring (9.4) underway."),
        (stage("10.4"), "2026-05-06", "Blocked: waiting on enough production traffic for the challenger (< 10k requests)."),
        (stage("10.4"), "2026-05-29", "Traffic sufficient since 2026-05-29; challenger v7 ahead by +0.004 R2."),
    ]
    for rec, day, text in events:
        base.update(rec, d(day), {"Notes": text})
    # Success-metric gaps: phase 6 loses its Notes for three weeks, stage 5.2 is Done without a cost.
    base.update(phase(6), d("2025-11-21"), {"Notes": None})
    base.update(stage("5.2"), STAGES["5.2"].done, {"Realized Cost": None})
    base.update(stage("5.2"), d("2025-12-05"), {"Realized Cost": STAGES["5.2"].realized,
                                                "Notes": "Realized cost recorded late (Friday update 2025-12-05)."})
    # Bad values.
    lo, hi = BAD_WINDOW[("Phases", "P3")]
    base.update(phase(3), lo, {"Estimated Cost": "fifty"})
    base.update(phase(3), hi, {"Estimated Cost": 50})
    lo, hi = BAD_WINDOW[("Stages", "7.4")]
    base.update(stage("7.4"), lo, {"Status": "Blocked"})
    base.update(stage("7.4"), hi, {"Status": "In Progress"})
    lo, hi = BAD_WINDOW[("Stages", "2.3")]
    base.update(stage("2.3"), lo, {"Realized Cost": -STAGES["2.3"].realized})
    base.update(stage("2.3"), hi, {"Realized Cost": STAGES["2.3"].realized})

