"""Stakeholder alignment and Industry trends: the two dimensions that need people's input.

ARCH-001 records survey scores, interviews, techniques adopted and the competitive and market
positions in the Airtable table "Assessment Inputs" (one quarter per record); what can be
computed is computed (agent utilization from Tasks, dependency uptime from the failures the
issue review found, innovation adoption from Decisions). A dimension is scored only when its
people's input exists for the quarter; otherwise it stays "manual input required" and its
rationale still shows the computed parts. Scores are out of 100 (see the README for the
formulas; ``clamp`` keeps 0..100, rounded to 0.1):

* Stakeholder alignment (needs >= 1 "User Satisfaction" score) = mean of the known parts:
  satisfaction = clamp(100 * s / 8), s the mean survey score out of 10 (target > 8/10);
  utilization = 100 inside 60-80%, else clamp(100 - 2.5 * points outside the band);
  uptime = 100 at >= 99%, else clamp(100 - 10 * (99 - uptime %)).
* Industry trends (needs >= 1 "Competitive Position" or "Market Alignment" score) = mean of:
  innovation = 100 for 1-2 techniques adopted in the quarter, 50 for more, 0 for none;
  competitive = clamp(100 * c / 7.5) (top quartile = 7.5/10); market = clamp(100 * m / 8).
"""

from __future__ import annotations

from dataclasses import dataclass

from bqx_ops.plan_update.fmt import num_vs, plural, rounded

SATISFACTION, INTERVIEW, TECHNIQUE = "User Satisfaction", "Stakeholder Interview", "Technique Adopted"
COMPETITIVE, MARKET = "Competitive Position", "Market Alignment"
SATISFACTION_TARGET = 8.0  # "> 8/10"
UTILIZATION_BAND = (60.0, 80.0)  # "60-80% (not overloaded)"
UPTIME_TARGET = 99.0  # "> 99%"
TOP_QUARTILE = 7.5  # out of 10
MARKET_TARGET = 8.0
TECHNIQUES_TARGET = (1, 2)  # "1-2 new techniques per quarter"
ADOPTION_PREFIX = "adopt"  # a Decision titled "Adopt ..." adopts a technique


@dataclass(frozen=True)
class PeopleInputs:
    """One quarter, as of the assessment instant."""

    records: tuple[dict, ...] = ()  # Assessment Inputs of the quarter: kind, score, summary, input_key
    utilization: dict | None = None  # agent -> % of the quarter's snapshots with a task In Progress
    failure_days: int | None = None  # days of the quarter on which the sources saw a new failure
    days: int | None = None  # days of the quarter up to the as-of
    adopted: tuple[str, ...] = ()  # titles of the quarter's "Adopt ..." Decisions


def clamp(value: float) -> float:
    return float(rounded(min(100.0, max(0.0, value)), 1))


def scores(p: PeopleInputs, kind: str) -> list[float]:
    return [float(r["score"]) for r in p.records if r.get("kind") == kind and r.get("score") is not None
            and r["score"] == r["score"]]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def team_utilization(p: PeopleInputs) -> float | None:
    return None if not p.utilization else sum(p.utilization.values()) / len(p.utilization)


def uptime_pct(p: PeopleInputs) -> float | None:
    if not p.days or p.failure_days is None:
        return None
    return 100.0 * (p.days - p.failure_days) / p.days


def utilization_part(u: float) -> float:
    lo, hi = UTILIZATION_BAND
    outside = lo - u if u < lo else u - hi if u > hi else 0.0
    return clamp(100 - 2.5 * outside)


def uptime_part(up: float) -> float:
    return 100.0 if up >= UPTIME_TARGET else clamp(100 - 10 * (UPTIME_TARGET - up))


def techniques(p: PeopleInputs) -> list[str]:
    recorded = [r.get("summary") or r.get("input_key") or "" for r in p.records if r.get("kind") == TECHNIQUE]
    return recorded + list(p.adopted)


def innovation_part(n: int) -> float:
    return 0.0 if n == 0 else 100.0 if n <= TECHNIQUES_TARGET[1] else 50.0


def stakeholder_parts(p: PeopleInputs) -> tuple[list[float], list[str], bool]:
    """(parts, what was seen, has the people's input)."""
    parts, said = [], []
    s = mean(scores(p, SATISFACTION))
    if s is not None:
        parts.append(clamp(100 * s / SATISFACTION_TARGET))
        said.append(f"user satisfaction {num_vs(s, (SATISFACTION_TARGET,), 2)}/10 vs > {SATISFACTION_TARGET:.0f}/10")
    u = team_utilization(p)
    if u is not None:
        parts.append(utilization_part(u))
        said.append(f"agent utilization {num_vs(u, UTILIZATION_BAND, 1)}% vs {UTILIZATION_BAND[0]:.0f}-{UTILIZATION_BAND[1]:.0f}%")
    up = uptime_pct(p)
    if up is not None:
        parts.append(uptime_part(up))
        shown = num_vs(up, (UPTIME_TARGET,), 1)
        said.append(f"dependency uptime {shown}% ({plural(p.failure_days, 'failure day')} of {p.days}) vs > 99%")
    interviews = sum(1 for r in p.records if r.get("kind") == INTERVIEW)
    said.append(plural(interviews, "interview"))
    return parts, said, s is not None


def industry_parts(p: PeopleInputs) -> tuple[list[float], list[str], bool]:
    n = len(techniques(p))
    parts = [innovation_part(n)]
    said = [f"{plural(n, 'technique')} adopted vs {TECHNIQUES_TARGET[0]}-{TECHNIQUES_TARGET[1]} per quarter"]
    c, m = mean(scores(p, COMPETITIVE)), mean(scores(p, MARKET))
    if c is not None:
        parts.append(clamp(100 * c / TOP_QUARTILE))
        said.append(f"competitive position {num_vs(c, (TOP_QUARTILE,), 1)}/10 vs top quartile {TOP_QUARTILE}/10")
    if m is not None:
        parts.append(clamp(100 * m / MARKET_TARGET))
        said.append(f"market alignment {num_vs(m, (MARKET_TARGET,), 1)}/10 vs {MARKET_TARGET:.0f}/10")
    return parts, said, c is not None or m is not None
