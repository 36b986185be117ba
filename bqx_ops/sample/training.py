"""Model evaluations and the SageMaker training jobs behind them.

One world, shared by the Airtable "Model Results" table, the SageMaker job list,
the SageMaker CloudWatch logs and the daily SageMaker cost: every evaluation is
the final metric of a completed training job of the same day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache

from bqx_ops.sample.vocabulary import HORIZONS

from .timeline import SAMPLE_END, at, d, rng

FIRST_EVAL = d("2025-09-15")
QUOTA_BLOCK = (d("2025-12-15"), d("2026-01-05"))  # no ml.p3.8xlarge quota (stage 7.4 blocker)
# (model, horizon, day): how much R2 falls versus the previous evaluation of that pair
DROPS = {
    ("Ensemble", "w60", d("2025-12-29")): 0.071,  # year-end regime shift
    ("XGBoost", "w30", d("2026-03-09")): 0.063,  # ingestion dropped rows on 2026-03-06
}
FORCED = {("Transformer", "w45", d("2026-01-12"))}  # the evaluation mistyped in Airtable

# model -> (first day, R2 at start for w15, R2 at the end for w15, instance, seconds range)
MODEL_SPECS = {
    "LSTM": (FIRST_EVAL, 0.740, 0.935, "ml.g4dn.xlarge", (3000, 5400)),
    "XGBoost": (FIRST_EVAL, 0.760, 0.925, "ml.m5.2xlarge", (700, 1500)),
    "Transformer": (d("2025-12-01"), 0.860, 0.955, "ml.p3.2xlarge", (6000, 10800)),
    "Ensemble": (FIRST_EVAL, 0.805, 0.982, "ml.m5.4xlarge", (1200, 2400)),
}
HOURLY_USD = {"ml.g4dn.xlarge": 0.736, "ml.m5.2xlarge": 0.461, "ml.p3.2xlarge": 3.825,
              "ml.m5.4xlarge": 0.922, "ml.p3.8xlarge": 14.688}
FAILURES = (
    ("AlgorithmError: ExecuteUserScriptError: RuntimeError: CUDA out of memory. Tried to allocate "
     "2.50 GiB (GPU 0; 15.78 GiB total capacity)", "oom"),
    ("AlgorithmError: ExecuteUserScriptError: ValueError: Input contains NaN, infinity or a value "
     "too large for dtype('float32').", "nan"),
    ("ClientError: Data download failed:Could not download s3://bqx-ml-features/train/part-00017.parquet: "
     "insufficient disk space", "disk"),
    ("InternalServerError: We encountered an internal error. Please try again.", "internal"),
)
QUOTA_FAILURE = ("ResourceLimitExceeded: The account-level service limit 'ml.p3.8xlarge for training "
                 "job usage' is 0 Instances, with current utilization of 0 Instances and a request delta "
                 "of 1 Instances. Please use AWS Service Quotas to request an increase for this quota.")


@dataclass(frozen=True)
class Job:
    name: str
    model: str
    horizon: str
    day: dt.date
    status: str  # Completed | Failed | Stopped
    failure: str | None
    failure_kind: str | None
    instance: str
    created: dt.datetime
    started: dt.datetime | None
    ended: dt.datetime
    r2: float | None

    @property
    def billable_seconds(self) -> int:
        return 0 if self.started is None else int((self.ended - self.started).total_seconds())

    @property
    def cost(self) -> float:
        return self.billable_seconds / 3600 * HOURLY_USD[self.instance]


@dataclass(frozen=True)
class Evaluation:
    model: str
    horizon: str
    day: dt.date
    r2: float
    job: str


def evaluation_days() -> list[dt.date]:
    r = rng("evaluation-days")
    out, day = [], FIRST_EVAL
    while day <= SAMPLE_END:
        out.append(day)
        day += dt.timedelta(days=7 * r.choice((1, 2, 2)))
    out += [day for (_, _, day) in [*DROPS, *FORCED]]
    return sorted(set(out))


def _trend(model: str, horizon: str, day: dt.date) -> float:
    first, begin, finish = MODEL_SPECS[model][:3]
    total = (SAMPLE_END - first).days
    progress = (1 - math.exp(-(day - first).days / 110)) / (1 - math.exp(-total / 110))
    penalty = HORIZONS.index(horizon) * 0.0035
    return begin + (finish - begin) * progress - penalty


def _pairs(index: int, day: dt.date, r) -> list[tuple[str, str]]:
    rotating = ("w30", "w45", "w75")[index % 3]
    pairs = [("Ensemble", h) for h in HORIZONS if h in ("w15", "w60", "w90", rotating)]
    pairs += [("LSTM", h) for h in r.sample(HORIZONS, r.choice((1, 1, 1, 2)))]
    pairs += [("XGBoost", "w30")] + ([("XGBoost", r.choice(("w15", "w60", "w90")))] if r.random() < 0.2 else [])
    if day >= MODEL_SPECS["Transformer"][0]:
        pairs += [("Transformer", h) for h in r.sample(HORIZONS, r.choice((1, 1, 2)))]
    pairs += [(m, h) for (m, h, fday) in [*DROPS, *FORCED] if fday == day]
    return sorted(set(pairs), key=lambda p: (list(MODEL_SPECS).index(p[0]), HORIZONS.index(p[1])))


@lru_cache(maxsize=1)
def world() -> tuple[tuple[Evaluation, ...], tuple[Job, ...]]:
    evaluations: list[Evaluation] = []
    jobs: list[Job] = []
    last: dict[tuple[str, str], float] = {}
    for index, day in enumerate(evaluation_days()):
        r = rng("evaluation", day)
        clock = at(day, 0, 30)
        for model, horizon in _pairs(index, day, r):
            if (model, horizon, day) in DROPS:
                r2 = last[(model, horizon)] - DROPS[(model, horizon, day)]
            else:
                r2 = _trend(model, horizon, day) + max(-0.007, min(0.007, r.gauss(0, 0.003)))
            r2 = round(min(r2, 0.99), 4)
            last[(model, horizon)] = r2
            instance, (lo, hi) = MODEL_SPECS[model][3], MODEL_SPECS[model][4]
            attempts = []
            if model == "Transformer" and QUOTA_BLOCK[0] <= day <= QUOTA_BLOCK[1]:
                attempts.append(("Failed", QUOTA_FAILURE, "quota", "ml.p3.8xlarge"))
            elif r.random() < 0.08:
                reason, kind = FAILURES[r.randrange(len(FAILURES))]
                attempts.append(("Failed", reason, kind, instance))
            elif r.random() < 0.03:
                attempts.append(("Stopped", None, None, instance))
            attempts.append(("Completed", None, None, instance))
            for n, (status, reason, kind, inst) in enumerate(attempts, 1):
                name = f"bqx-ml-{model.lower()}-{horizon}-{day:%Y%m%d}-{n:02d}"
                created = clock
                if kind == "quota":
                    started, ended = None, created + dt.timedelta(seconds=r.randint(20, 60))
                else:
                    started = created + dt.timedelta(seconds=r.randint(60, 240))
                    seconds = r.randint(lo, hi) if status == "Completed" else r.randint(90, 900)
                    ended = started + dt.timedelta(seconds=seconds)
                jobs.append(Job(name, model, horizon, day, status, reason, kind, inst, created, started,
                                ended, r2 if status == "Completed" else None))
                clock = ended + dt.timedelta(minutes=r.randint(5, 20)) if status != "Completed" else clock
            clock += dt.timedelta(minutes=6)
            evaluations.append(Evaluation(model, horizon, day, r2, jobs[-1].name))
    return tuple(evaluations), tuple(jobs)


def evaluations() -> tuple[Evaluation, ...]:
    return world()[0]


def jobs() -> tuple[Job, ...]:
    return world()[1]


def stage_for(model: str, day: dt.date) -> str:
    """The stage an evaluation belongs to, by model and date."""
    windows = {
        "LSTM": (d("2025-11-03"), d("2025-12-05"), "5.3"),
        "XGBoost": (d("2025-11-17"), d("2025-12-12"), "6.2"),
        "Transformer": (d("2025-12-01"), d("2026-01-16"), "7.4"),
        "Ensemble": (d("2026-03-23"), SAMPLE_END, "10.3"),
    }
    first, last, sid = windows[model]
    if first <= day <= last:
        return sid
    for since, sid in ((d("2026-02-09"), "10.1"), (d("2026-01-05"), "8.4"), (d("2025-10-20"), "4.3")):
        if day >= since:
            return sid
    return "1.5"
