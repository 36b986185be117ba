"""The seven dimensions of the 360 assessment, scored 0-100, the overall alignment and the decision.

Inputs are what the plan update knew at the quarter's as-of instant (the latest plan week
ending at or before it, inside the quarter) and the issues open at that instant (the review's
collection and triage run at it: ``read.open_issues``). A
dimension whose inputs are missing is "no data" (score None); Stakeholder alignment and
Industry trends need people's input and are "manual input required" (None) without it.

Formulas (``clamp`` keeps a score in 0..100; scores are rounded to 0.1):

* Goal alignment, from the current ensemble R² ``r`` (target ``lo``-``hi``, the plan's) and
  its 28-day trend. In target (r >= lo): 100, or 90 with trend ↓. Below target (r < lo) a
  score can never reach full marks nor the "no gap" band: level = 80 * (r - (lo - 0.20)) / 0.20
  (0 at lo - 0.20, 80 just under lo); score = clamp(level + {↑: +5, →: 0, ↓: -10, no trend: 0})
  capped at 85 (so at best a minor gap).
* Technical gaps, from the issues open at the instant:
  score = clamp(100 - 20 * open P0 - 10 * open P1 - 5 * open untriaged).
* Budget & timeline, each variance ``v`` against its band ``b`` (±15% cost, ±20% time):
  part = 100 if |v| <= b, else clamp(100 * (2b - |v|) / b) (0 at twice the band); a plan with nothing
  earned yet and working days behind has no variance % but is further behind than any: its timeline
  part is 0 (and the criterion "timeline ±20%" not met); score = mean of the parts known.
* Success criteria, the seed's dashboard targets: R² above the plan's minimum, budget within ±15%, timeline
  within ±20%, no P0 open > 24 h, no P1 open > 1 week (the open issues past their SLA at the instant); a target
  without data is left out of Y; score = 100 * X / Y, reported "X/Y met".
* Risk, from the open high-priority (P0 + P1) issues ``n`` against "< 5 high-priority":
  n < 5: 100 - 10 n (100..60); n >= 5: clamp(50 - 10 (n - 5)).
* Stakeholder alignment, Industry trends: from people's input (bqx_ops.assessment.people);
  "manual input required" (None) when the quarter has none recorded.
* Overall alignment = mean of the scored dimensions (None if none is scored).

Decision (seed "Decision Framework"), pairing the alignment band with the gap severity. Both
use the same edges: level 0 above 90, level 1 from 70 to 90, level 2 from 50 to < 70, level 3
below 50 (90 itself is level 1, 70 is level 1, 50 is level 2). The alignment band is the
level of the overall alignment; the gap severity is the worst level among the scored
dimensions (none / minor / moderate / major gaps). The decision is the more severe of the two:
0 Continue as planned, 1 Adjust tactics, 2 Pivot strategy, 3 Pause & re-evaluate (nothing
scored: Pause). Overrides replace that decision, in the table's order: "R² degrading
consistently" -> Accelerate; budget overrun > 25% (cost variance > +25%) -> Reduce scope or
secure additional funding. "R² degrading consistently" means: the R² trend (the mean 28-day
change of the ensemble R², ↓ below -0.005) is ↓ in each of the last 3 plan weeks of the
quarter up to the as-of instant; a week without a trend breaks the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bqx_ops.assessment.people import PeopleInputs, industry_parts, stakeholder_parts
from bqx_ops.issue_review.rules import SEED_SLA_HOURS, sla_words
from bqx_ops.plan_update.fmt import fixed, num_vs, pct_vs, plural, rounded
from bqx_ops.plan_update.r2 import DOWN, UP
from bqx_ops.plan_update.targets import BUDGET_BAND_PCT, TIMELINE_BAND_PCT
from bqx_ops.plan_update.timeline import behind_with_nothing_earned as nothing_earned

SCORED, NO_DATA, MANUAL = "scored", "no data", "manual input required"
DIMENSIONS = ("Goal alignment", "Technical gaps", "Budget & timeline", "Success criteria", "Risk",
              "Stakeholder alignment", "Industry trends")
BUDGET_BAND, TIMELINE_BAND = BUDGET_BAND_PCT, TIMELINE_BAND_PCT
R2_FLOOR_SPAN = 0.20
HIGH_PRIORITY_TARGET = 5
DEGRADING_WEEKS = 3
OVERRUN_LIMIT = 25.0
BAND_EDGES = (90.0, 70.0, 50.0)  # level 0 above 90, 1 at 70..90, 2 at 50..<70, 3 below 50
GAP_NAMES = ("no gap", "minor gap", "moderate gap", "major gap")
BELOW_TARGET_LEVEL, BELOW_TARGET_CAP = 80.0, 85.0  # below the R² target: at best a minor gap
CONTINUE, ADJUST, PIVOT, PAUSE = "Continue as planned", "Adjust tactics", "Pivot strategy", "Pause & re-evaluate"
MIN_SCORED = 4  # dimensions with a score (of 7) for a decision: fewer is too little data to judge the plan
ACCELERATE, REDUCE = "Accelerate", "Reduce scope or secure additional funding"


@dataclass(frozen=True)
class QuarterInputs:
    """What was known at the as-of instant; None means the source had no data for the quarter."""

    r2: dict | None = None  # latest plan week: current_r2, trend, target_min, target_max
    r2_trends: tuple[str, ...] = ()  # the quarter's weekly trend arrows up to the as-of, oldest first
    budget: dict | None = None  # latest plan week: variance_pct, band_pct
    timeline: dict | None = None  # latest plan week: variance_pct, band_pct
    open_issues: tuple[dict, ...] | None = None  # open at the instant (priority, untriaged, ...)
    breaches: tuple[dict, ...] | None = None  # open at the instant and past their SLA (priority)
    sla_hours: tuple[float, float] = (SEED_SLA_HOURS["P0"], SEED_SLA_HOURS["P1"])  # the triage rules' P0, P1
    people: PeopleInputs = PeopleInputs()  # Assessment Inputs, utilization, uptime, adoptions


@dataclass(frozen=True)
class Dimension:
    name: str
    score: float | None
    status: str
    rationale: str


@dataclass(frozen=True)
class Decision:
    band: str
    overrides: tuple[str, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def decision(self) -> str:
        return " + ".join(self.overrides) if self.overrides else self.band


@dataclass(frozen=True)
class Assessment:
    dimensions: tuple[Dimension, ...]
    overall: float | None
    decision: Decision


def clamp(value: float) -> float:
    return float(rounded(min(100.0, max(0.0, value)), 1))  # the one rounding rule: 56.25 -> 56.3


def _num(row: dict | None, key: str) -> float | None:
    value = None if row is None else row.get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def goal_alignment(i: QuarterInputs) -> Dimension:
    r = _num(i.r2, "current_r2")
    if r is None:
        return Dimension(DIMENSIONS[0], None, NO_DATA, "no data: no ensemble R² in the quarter's plan weeks")
    lo, hi = _num(i.r2, "target_min"), _num(i.r2, "target_max")  # the plan's, as its week recorded them
    if lo is None:
        return Dimension(DIMENSIONS[0], None, NO_DATA, f"no data: ensemble R² {fixed(r, 4)} but no R² target in the plan")
    hi = lo if hi is None else hi
    trend = (i.r2 or {}).get("trend") or "no trend"
    if r >= lo:
        score, where = (90.0 if trend == DOWN else 100.0), "in target"
    else:
        level = BELOW_TARGET_LEVEL * (r - (lo - R2_FLOOR_SPAN)) / R2_FLOOR_SPAN
        score, where = min(BELOW_TARGET_CAP, clamp(level + {UP: 5.0, DOWN: -10.0}.get(trend, 0.0))), "below target"
    return Dimension(DIMENSIONS[0], score, SCORED,
                     f"ensemble R² {num_vs(r, (lo,), 4)} {where} {lo:.2f}-{hi:.2f}, trend {trend}")


NO_ISSUES = "no data: the triage rules do not load (the issue review says why)"


def _open(i: QuarterInputs, priority: str) -> int:
    return sum(1 for x in i.open_issues or () if x.get("priority") == priority)


def technical_gaps(i: QuarterInputs) -> Dimension:
    if i.open_issues is None:
        return Dimension(DIMENSIONS[1], None, NO_DATA, NO_ISSUES)
    p0, p1 = _open(i, "P0"), _open(i, "P1")
    untriaged = sum(1 for x in i.open_issues if x.get("untriaged"))
    return Dimension(DIMENSIONS[1], clamp(100 - 20 * p0 - 10 * p1 - 5 * untriaged), SCORED,
                     f"open P0 {p0}, open P1 {p1}, untriaged {untriaged} (at the instant)")


def band_part(variance: float, band: float) -> float:
    return 100.0 if abs(variance) <= band else clamp(100 * (2 * band - abs(variance)) / band)


def behind_with_nothing_earned(timeline: dict | None) -> float | None:
    """``plan_update.timeline.behind_with_nothing_earned`` of a plan_timeline row."""
    return nothing_earned(_num(timeline, "variance_pct"), _num(timeline, "schedule_variance_days"))


def budget_timeline(i: QuarterInputs) -> Dimension:
    parts, said = [], []
    for label, row, default in (("budget", i.budget, BUDGET_BAND), ("timeline", i.timeline, TIMELINE_BAND)):
        v = _num(row, "variance_pct")
        band = _num(row, "band_pct") or default
        if v is None and label == "timeline" and (behind := behind_with_nothing_earned(row)) is not None:
            parts.append(0.0)  # beyond twice the band, whatever the band
            said.append(f"timeline nothing earned, {plural(behind, 'working day')} behind vs ±{band:.0f}%")
        elif v is None:
            said.append(f"{label} no data")
        else:
            parts.append(band_part(v, band))
            said.append(f"{label} {pct_vs(v, (band, -band))} vs ±{band:.0f}%")
    if not parts:
        return Dimension(DIMENSIONS[2], None, NO_DATA, "no data: " + ", ".join(said))
    return Dimension(DIMENSIONS[2], clamp(sum(parts) / len(parts)), SCORED, ", ".join(said))


def criteria(i: QuarterInputs) -> list[tuple[str, bool | None]]:
    """The seed's dashboard targets: (name, met), met None without data."""
    r, lo = _num(i.r2, "current_r2"), _num(i.r2, "target_min")
    b, t = _num(i.budget, "variance_pct"), _num(i.timeline, "variance_pct")
    breached = None if i.breaches is None else {x.get("priority") for x in i.breaches}
    return [
        ("R² target" if lo is None else f"R² > {lo:.2f}", None if r is None or lo is None else r > lo),
        ("budget ±15%", None if b is None else abs(b) <= BUDGET_BAND),
        ("timeline ±20%", None if t is None and behind_with_nothing_earned(i.timeline) is None
         else t is not None and abs(t) <= TIMELINE_BAND),
        (f"no P0 > {sla_words(i.sla_hours[0])}", None if breached is None else "P0" not in breached),
        (f"no P1 > {sla_words(i.sla_hours[1])}", None if breached is None else "P1" not in breached),
    ]


def success_criteria(i: QuarterInputs) -> Dimension:
    known = [(name, met) for name, met in criteria(i) if met is not None]
    if not known:
        return Dimension(DIMENSIONS[3], None, NO_DATA, "no data: none of the 5 targets can be evaluated")
    met = sum(1 for _, ok in known if ok)
    missed = [name for name, ok in known if not ok]
    unknown = 5 - len(known)
    text = f"{met}/{len(known)} met" + (f" (missed: {', '.join(missed)})" if missed else "")
    text += f"; {unknown} without data" if unknown else ""
    return Dimension(DIMENSIONS[3], clamp(100 * met / len(known)), SCORED, text)


def risk(i: QuarterInputs) -> Dimension:
    if i.open_issues is None:
        return Dimension(DIMENSIONS[4], None, NO_DATA, NO_ISSUES)
    n = _open(i, "P0") + _open(i, "P1")
    score = 100 - 10 * n if n < HIGH_PRIORITY_TARGET else 50 - 10 * (n - HIGH_PRIORITY_TARGET)
    return Dimension(DIMENSIONS[4], clamp(score), SCORED,
                     f"{plural(n, 'open high-priority (P0/P1) issue')} vs target < {HIGH_PRIORITY_TARGET}")


def manual(name: str) -> Dimension:
    return Dimension(name, None, MANUAL, "manual input required: not measurable from the plan or issue data")


def _people(name: str, parts: list[float], said: list[str], has_input: bool, needed: str) -> Dimension:
    """Scored from people's input plus the computed parts; without the input, manual (no invented number)."""
    if not has_input:
        return Dimension(name, None, MANUAL, f"manual input required: no {needed} recorded for the quarter"
                                             + (f"; computed: {', '.join(said)}" if said else ""))
    return Dimension(name, clamp(sum(parts) / len(parts)), SCORED, ", ".join(said))


def stakeholder_alignment(i: QuarterInputs) -> Dimension:
    return _people(DIMENSIONS[5], *stakeholder_parts(i.people), "User Satisfaction score")


def industry_trends(i: QuarterInputs) -> Dimension:
    return _people(DIMENSIONS[6], *industry_parts(i.people), "Competitive Position or Market Alignment score")


def r2_degrading(trends: tuple[str, ...]) -> bool:
    return len(trends) >= DEGRADING_WEEKS and all(t == DOWN for t in trends[-DEGRADING_WEEKS:])


def level(score: float) -> int:
    """0..3 on the framework's edges: > 90, 70-90, 50-<70, < 50."""
    return next((n for n, edge in enumerate(BAND_EDGES) if score > edge or (n and score >= edge)), 3)


BANDS = (CONTINUE, ADJUST, PIVOT, PAUSE)


def decide(overall: float | None, dimensions: tuple[Dimension, ...], i: QuarterInputs) -> Decision:
    scored = [d for d in dimensions if d.score is not None]
    if overall is None:
        band, why = PAUSE, ["no dimension could be scored"]
    elif len(scored) < MIN_SCORED:  # a mean of two scores is no judgement of the plan
        band = PAUSE
        why = [f"only {len(scored)} of {len(dimensions)} dimensions scored (at least {MIN_SCORED} needed to judge): "
               + ", ".join(d.name for d in dimensions if d.score is None) + " without data"]
    else:
        align = level(overall)
        worst = max((level(d.score) for d in scored), default=0)
        gaps = [f"{d.name} {d.score:.1f}" for d in scored if level(d.score) == worst and worst]
        band = BANDS[max(align, worst)]
        ranges = ("> 90%", "in 70-90%", "in 50-70%", "< 50%")
        why = [f"alignment {overall:.1f}% {ranges[align]}",
               f"worst gap: {GAP_NAMES[worst]}" + (f" ({', '.join(gaps)})" if gaps else "")]
    overrides = []
    if r2_degrading(i.r2_trends):
        overrides.append(ACCELERATE)
        why.append(f"R² trend ↓ in each of the last {DEGRADING_WEEKS} plan weeks")
    cost = _num(i.budget, "variance_pct")
    if cost is not None and cost > OVERRUN_LIMIT:
        overrides.append(REDUCE)
        why.append(f"budget overrun {pct_vs(cost, (OVERRUN_LIMIT,))} > {OVERRUN_LIMIT:.0f}%")  # +25.01%, not +25.0%
    return Decision(band, tuple(overrides), tuple(why))


def assess(i: QuarterInputs) -> Assessment:
    dims = (goal_alignment(i), technical_gaps(i), budget_timeline(i), success_criteria(i), risk(i),
            stakeholder_alignment(i), industry_trends(i))
    scored = [d.score for d in dims if d.score is not None]
    overall = float(rounded(sum(scored) / len(scored), 1)) if scored else None
    return Assessment(dims, overall, decide(overall, dims, i))
