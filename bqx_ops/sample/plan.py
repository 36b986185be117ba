"""The static shape of plan MP-BQX_ML-001: phases, stages, budgets and the real schedule.

Estimates are what was planned on 2025-08-18 (11 phases, $650, 78 days inside the
71-85 day range); the start/end dates and realized costs are what actually
happened, which is later and (overall) more expensive than planned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .timeline import DAY, d

PLAN_REC = "recSb2RvwT60eSu8U"
PHASE_RECS = {10: "recz83Da9IXxNFubs"}
STAGE_RECS = {
    "10.5": "recD9snWVRPnWkJ3s",
    "10.6": "recKxwnLeNuvbq6L5",
    "10.7": "recfs1gghdsEPuvT8",
    "10.8": "recwWHLfjt5ADumdH",
}
OPS_STAGES = tuple(STAGE_RECS)  # the recurring operational stages 10.5-10.8
OPS_STAGES_ADDED = d("2025-11-10")  # the operational cadence doc of 2025-11-09 added 10.5-10.8


@dataclass(frozen=True)
class Stage:
    sid: str
    name: str
    owner: str
    est_cost: int
    est_days: int
    realized: float | None  # None: still running at the end of the story
    start: dt.date | None = None
    done: dt.date | None = None


@dataclass(frozen=True)
class Phase:
    number: int
    name: str
    owner: str
    est_cost: int
    est_days: int
    start: dt.date
    end: dt.date | None
    summary: str
    stages: tuple[Stage, ...]

    @property
    def pid(self) -> str:
        return f"P{self.number}"

    @property
    def realized(self) -> float | None:
        if self.end is None:
            return None
        return round(sum(s.realized for s in self.stages), 2)


def _s(sid, name, owner, cost, days_, realized, start=None, done=None) -> Stage:
    return Stage(sid, name, owner, cost, days_, realized,
                 d(start) if start else None, d(done) if done else None)


_RAW = [
    (0, "Project Setup & Infrastructure", "INFRA-001", 15, 3, "2025-08-18", "2025-09-02",
     "AWS accounts, IAM, repository, CI and the Airtable base", [
         ("0.1", "AWS Account & IAM Setup", "INFRA-001", 5, 1, 4.10),
         ("0.2", "Repository & CI Bootstrap", "COORD-001", 6, 1, 5.35),
         ("0.3", "Airtable Base & Agent Roles", "COORD-001", 4, 1, 2.55)]),
    (1, "Data Ingestion from bqx-db", "DATA-001", 35, 6, "2025-08-25", "2025-09-19",
     "export BQX history from bqx-db into the S3 data lake", [
         ("1.1", "bqx-db Export Jobs", "DATA-001", 8, 1, 8.40),
         ("1.2", "S3 Data Lake Layout", "INFRA-001", 5, 1, 4.75),
         ("1.3", "Incremental Ingestion Lambda", "DATA-001", 9, 2, 12.90),
         ("1.4", "Historical Backfill 2019-2025", "DATA-001", 8, 1, 10.20),
         ("1.5", "Legacy Model Benchmark", "ML-001", 5, 1, 4.75)]),
    (2, "Data Quality & Validation", "DATA-001", 30, 5, "2025-09-15", "2025-10-03",
     "schema, range, gap and outlier checks on every BQX series", [
         ("2.1", "Schema & Range Checks", "QA-001", 7, 1, 6.80),
         ("2.2", "Missing Data Imputation", "DATA-001", 9, 2, 8.90),
         ("2.3", "Outlier Detection", "DATA-001", 8, 1, 7.50, "2025-09-22", "2025-09-26"),
         ("2.4", "Data Quality Dashboard", "QA-001", 6, 1, 4.80)]),
    (3, "Feature Engineering", "DATA-001", 50, 9, "2025-09-29", "2025-10-31",
     "387 engineered features in an S3 feature store", [
         ("3.1", "Lagged BQX Features", "DATA-001", 8, 1, 8.20),
         ("3.2", "Rolling Window Statistics", "DATA-001", 9, 2, 10.60),
         ("3.3", "Cross-Pair Correlation Features", "DATA-001", 10, 2, 13.40),
         ("3.4", "Volatility Regime Indicators", "ML-001", 7, 1, 7.10),
         ("3.5", "Feature Store on S3", "INFRA-001", 8, 2, 9.90),
         ("3.6", "Feature Selection (387 features)", "ARCH-001", 8, 1, 8.80)]),
    (4, "Baseline Models", "ML-001", 45, 5, "2025-10-20", "2025-11-07",
     "linear and persistence baselines plus the w15-w90 evaluation harness", [
         ("4.1", "Linear & Ridge Baselines", "ML-001", 15, 2, 11.20),
         ("4.2", "Naive Persistence Benchmarks", "ML-001", 12, 1, 8.30),
         ("4.3", "Evaluation Harness (w15-w90)", "QA-001", 18, 2, 14.50)]),
    (5, "LSTM Development", "ML-001", 85, 9, "2025-11-03", "2025-12-05",
     "sequence models trained on SageMaker for every horizon", [
         ("5.1", "Sequence Windowing", "DATA-001", 12, 1, 11.50),
         ("5.2", "LSTM Architecture Search", "ARCH-001", 20, 2, 26.80, "2025-11-06", "2025-11-14"),
         ("5.3", "LSTM Training on SageMaker", "ML-001", 25, 3, 31.20),
         ("5.4", "LSTM Horizon Tuning", "ML-001", 18, 2, 20.10),
         ("5.5", "LSTM Evaluation Report", "QA-001", 10, 1, 9.40)]),
    (6, "XGBoost & Tree Models", "ML-001", 45, 6, "2025-11-17", "2025-12-12",
     "gradient-boosted trees on the 387-feature set", [
         ("6.1", "XGBoost Feature Pipeline", "DATA-001", 10, 1, 8.60),
         ("6.2", "XGBoost Hyperparameter Search", "ML-001", 15, 2, 13.40),
         ("6.3", "LightGBM Comparison", "ML-001", 10, 2, 7.90),
         ("6.4", "Tree Model Evaluation", "QA-001", 10, 1, 8.10)]),
    (7, "Transformer Models", "ML-001", 110, 10, "2025-12-01", "2026-01-16",
     "temporal-fusion transformers with multi-horizon heads", [
         ("7.1", "Temporal Fusion Transformer Prototype", "ML-001", 20, 2, 24.30, "2025-12-01", "2025-12-10"),
         ("7.2", "Attention Window Tuning", "ML-001", 18, 2, 22.80, "2025-12-08", "2025-12-19"),
         ("7.3", "Multi-Horizon Output Heads", "ARCH-001", 16, 1, 19.10, "2025-12-15", "2025-12-23"),
         ("7.4", "Distributed Training on ml.p3", "INFRA-001", 30, 3, 49.60, "2025-12-11", "2026-01-09"),
         ("7.5", "Transformer Regularization", "ML-001", 14, 1, 18.70, "2026-01-05", "2026-01-12"),
         ("7.6", "Transformer Evaluation Report", "QA-001", 12, 1, 14.50, "2026-01-09", "2026-01-16")]),
    (8, "Ensemble & Optimization", "ML-001", 80, 8, "2026-01-05", "2026-02-06",
     "stacked ensemble with horizon-specific weights, gated on R2", [
         ("8.1", "Stacking Meta-Learner", "ML-001", 18, 2, 20.40),
         ("8.2", "Horizon-Specific Ensemble Weights", "ML-001", 14, 1, 15.10),
         ("8.3", "Bayesian Hyperparameter Optimization", "ML-001", 22, 2, 31.70),
         ("8.4", "Walk-Forward Validation", "QA-001", 16, 2, 19.80),
         ("8.5", "Ensemble Sign-off (R2 Gate)", "ARCH-001", 10, 1, 11.00)]),
    (9, "Deployment & Inference API", "INFRA-001", 75, 7, "2026-01-26", "2026-02-20",
     "model registry, inference Lambda, API Gateway and alarms", [
         ("9.1", "Model Registry & Versioning", "INFRA-001", 12, 1, 11.60),
         ("9.2", "Inference Lambda", "INFRA-001", 20, 2, 27.40),
         ("9.3", "API Gateway & Auth", "INFRA-001", 15, 1, 17.20),
         ("9.4", "Monitoring & Alarms", "QA-001", 14, 2, 16.30),
         ("9.5", "Production Cutover", "COORD-001", 14, 1, 15.50)]),
    (10, "Continuous Improvement", "COORD-001", 80, 10, "2026-02-09", None,
     "online learning, drift detection and the recurring operational cadence", [
         ("10.1", "Online Learning Pipeline", "ML-001", 22, 1, 28.40, "2026-02-09", "2026-03-20"),
         ("10.2", "Drift Detection & Monitoring", "QA-001", 14, 2, 12.60, "2026-02-23", "2026-04-17"),
         ("10.3", "Adaptive Ensemble Weights", "ML-001", 12, 1, 15.20, "2026-03-23", "2026-05-15"),
         ("10.4", "A/B Testing Framework", "QA-001", 14, 2, 17.80, "2026-04-20", "2026-06-12"),
         ("10.5", "Repository & Documentation Sync", "COORD-001", 5, 1, None, "2026-02-09"),
         ("10.6", "Airtable Plan Updates", "COORD-001", 4, 1, None, "2026-02-13"),
         ("10.7", "Issue Resolution Review", "QA-001", 4, 1, None, "2026-02-16"),
         ("10.8", "360 Plan Assessment", "ARCH-001", 5, 1, None, "2026-03-27")]),
]

# Phase 10 as first planned (before the operational stages were added): sid -> (cost, days)
PHASE10_ORIGINAL = {"10.1": (26, 3), "10.2": (18, 2), "10.3": (16, 2), "10.4": (20, 3)}


def _weekday(day: dt.date, limit: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += DAY
    return min(day, limit)


def _schedule(start: dt.date, end: dt.date, stages: list[Stage]) -> list[Stage]:
    """Spread stages without explicit dates over the phase, in proportion to estimated days."""
    total = sum(s.est_days for s in stages)
    span = (end - start).days
    out, done_days = [], 0
    for i, s in enumerate(stages):
        if s.start is None:
            first = _weekday(start + dt.timedelta(days=round(span * done_days / total)), end)
            last = end if i == len(stages) - 1 else _weekday(
                start + dt.timedelta(days=round(span * (done_days + s.est_days) / total)), end)
            s = Stage(s.sid, s.name, s.owner, s.est_cost, s.est_days, s.realized, first, max(first, last))
        done_days += s.est_days
        out.append(s)
    return out


def _build() -> tuple[Phase, ...]:
    phases = []
    for number, name, owner, cost, days_, start, end, summary, raw in _RAW:
        stages = [_s(*row) for row in raw]
        start_d, end_d = d(start), d(end) if end else None
        if end_d is not None:
            stages = _schedule(start_d, end_d, stages)
        phases.append(Phase(number, name, owner, cost, days_, start_d, end_d, summary, tuple(stages)))
    return tuple(phases)


PHASES = _build()
STAGES = {s.sid: s for p in PHASES for s in p.stages}
PHASE_OF = {s.sid: p for p in PHASES for s in p.stages}
