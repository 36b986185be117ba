"""R² from the Model Results table: per-evaluation history, drops, the ensemble figure and its trend.

Definitions (documented here because the dashboard and the issue review rely on them):

* an evaluation is a Model Results row with a model, horizon, Evaluated On date and R2;
  consecutive evaluations of the same model and horizon are ordered by date, then
  Result ID, then record id (``evaluation_rank``: two evaluations on one day keep a stable
  order); the **latest evaluation per model and horizon** is the last in that order
  (``latest_evaluations``), the one definition the plan update, the CHANGELOG and
  ``docs/models.md`` all use;
* a drop is ``previous R2 - R2`` between consecutive evaluations, reported when it is
  greater than the threshold (0.05: the seed's P1 "R² drop > 0.05"); differences are
  rounded to 10 decimals first so 0.90 -> 0.85 is exactly 0.05, not a drop;
* the current ensemble R² on a day is the mean, over horizons, of the latest Ensemble
  evaluation of each horizon evaluated on or before that day; a horizon the plan does not list
  (its Horizons, else the configuration's) is left out of it and named (``other_horizons``);
* the trend compares, horizon by horizon, the latest Ensemble R² on the day with the
  latest one ``TREND_WINDOW_DAYS`` (28) days earlier, and averages the differences
  over the horizons known at both ends: ↑ above +``TREND_FLAT`` (0.005), ↓ below
  -0.005, → in between; without an earlier value there is no trend ("no data").
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.base_schema import ENSEMBLE
from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import as_date, natural_key, number, records, text

DROP_THRESHOLD = 0.05
TREND_WINDOW_DAYS = 28
TREND_FLAT = 0.005
UP, DOWN, FLAT = "↑", "↓", "→"

R2_DROP_COLUMNS = {
    "record_id": "string", "result_id": "string", "model": "string", "horizon": "string",
    "evaluated_on": "datetime64[us]", "previous_evaluated_on": "datetime64[us]",
    "r2": "float64", "previous_r2": "float64", "drop": "float64",
}
R2_EVALUATION_COLUMNS = {
    "record_id": "string", "result_id": "string", "model": "string", "horizon": "string",
    "evaluated_on": "datetime64[us]", "r2": "float64", "previous_evaluated_on": "datetime64[us]",
    "previous_r2": "float64", "change": "float64", "is_drop": "bool",
}


def evaluation_rank(row: dict) -> tuple:
    """The order of evaluations of one model and horizon: Evaluated On, Result ID, record id."""
    return (as_date(row.get("evaluated_on")), text(row.get("result_id")) or "", text(row.get("record_id")) or "")


def is_evaluation(row: dict) -> bool:
    return bool(text(row.get("model")) and text(row.get("horizon")) and as_date(row.get("evaluated_on"))
                and number(row.get("r2")) is not None)


def latest_evaluations(rows, on: dt.date | None = None) -> dict[tuple[str, str], dict]:
    """(model, horizon) -> its latest evaluation (the last by ``evaluation_rank``), over rows that are
    evaluations (model, horizon, Evaluated On and R2 all present) evaluated on or before ``on`` (a
    snapshot's day: an evaluation dated after it is not yet a result, as for the plan's R² current)."""
    latest: dict[tuple[str, str], dict] = {}
    for row in rows:
        if not is_evaluation(row) or (on is not None and as_date(row.get("evaluated_on")) > on):
            continue
        key = (text(row.get("model")), text(row.get("horizon")))
        if key not in latest or evaluation_rank(row) > evaluation_rank(latest[key]):
            latest[key] = row
    return latest


def evaluations(model_results: pd.DataFrame, threshold: float = DROP_THRESHOLD) -> list[dict]:
    """Valid evaluations with their predecessor, ordered by model, horizon, date, result id."""
    rows = []
    if model_results is not None and not model_results.empty:
        for r in records(model_results):  # missing values as None: text, as_date and number read both alike
            row = {
                "record_id": text(r.get("record_id")), "result_id": text(r.get("result_id")),
                "model": text(r.get("model")), "horizon": text(r.get("horizon")),
                "evaluated_on": as_date(r.get("evaluated_on")), "r2": number(r.get("r2")),
            }
            if is_evaluation(row):
                rows.append(row)  # incomplete rows carry no evaluation; validation reports them
    rows.sort(key=lambda r: (r["model"], r["horizon"], *evaluation_rank(r)))
    previous: dict[tuple[str, str], dict] = {}
    for row in rows:
        before = previous.get((row["model"], row["horizon"]))
        row["previous_evaluated_on"] = before["evaluated_on"] if before else None
        row["previous_r2"] = before["r2"] if before else None
        row["change"] = round(row["r2"] - before["r2"], 10) if before else None
        row["is_drop"] = bool(before) and -row["change"] > threshold
        previous[(row["model"], row["horizon"])] = row
    return rows


def by_date(row: dict) -> tuple:
    return (row["evaluated_on"], row["model"], natural_key(row["horizon"]), row["horizon"], row["result_id"] or "",
            row["record_id"] or "")


def r2_evaluations(model_results: pd.DataFrame, threshold: float = DROP_THRESHOLD) -> pd.DataFrame:
    """One row per evaluation with the previous one of the same model and horizon, by date."""
    return frame(sorted(evaluations(model_results, threshold), key=by_date), R2_EVALUATION_COLUMNS)


def r2_drops(model_results: pd.DataFrame, threshold: float = DROP_THRESHOLD) -> pd.DataFrame:
    """Every drop greater than ``threshold`` between consecutive evaluations of a model and horizon.

    Sorted by evaluated_on, model, horizon, result_id. ``drop`` is positive (previous - current).
    """
    rows = [dict(r, drop=-r["change"]) for r in evaluations(model_results, threshold) if r["is_drop"]]
    return frame(sorted(rows, key=by_date), R2_DROP_COLUMNS)


def _latest(rows: list[dict], on: dt.date, left_out: frozenset[str] = frozenset()) -> dict[str, float]:
    latest: dict[str, float] = {}
    for r in rows:  # ordered by date within each horizon
        if r["model"] == ENSEMBLE and r["evaluated_on"] <= on and r["horizon"] not in left_out:
            latest[r["horizon"]] = r["r2"]
    return dict(sorted(latest.items(), key=lambda kv: natural_key(kv[0])))


def other_horizons(rows: list[dict], on: dt.date, plan_horizons) -> frozenset[str]:
    """The Ensemble horizons evaluated by ``on`` that the plan does not list (a typo, ``w51``; a horizon
    dropped from the plan): left out of the ensemble mean, which is the plan's horizons' (none listed: all)."""
    plan = {str(h).casefold() for h in plan_horizons or ()}
    return frozenset(h for h in _latest(rows, on) if plan and h.casefold() not in plan)


def _mean(values: dict[str, float]) -> float | None:
    return sum(values.values()) / len(values) if values else None


def latest_ensemble(model_results: pd.DataFrame, on: dt.date) -> dict[str, float]:
    """Horizon -> R² of the latest Ensemble evaluation on or before ``on``."""
    return _latest(evaluations(model_results), on)


def r2_trend(model_results: pd.DataFrame, on: dt.date, window_days: int = TREND_WINDOW_DAYS,
             plan_horizons=()) -> dict:
    """Current ensemble R² over the plan's horizons (``other_horizons`` left out), the one ``window_days``
    earlier, the mean change and the arrow."""
    rows = evaluations(model_results)
    others = other_horizons(rows, on, plan_horizons)
    now = _latest(rows, on, others)
    then_day = on - dt.timedelta(days=window_days)
    then = _latest(rows, then_day, others)
    common = sorted(set(now) & set(then))
    delta = round(sum(now[h] - then[h] for h in common) / len(common), 10) if common else None
    if delta is None:
        arrow = None
    else:
        arrow = UP if delta > TREND_FLAT else DOWN if delta < -TREND_FLAT else FLAT
    return {
        "current_r2": _mean(now),
        "horizons": len(now),
        "latest_by_horizon": now,
        "window_start": then_day,
        "window_start_r2": _mean(then),
        "trend_delta": delta,
        "trend": arrow,
        "other_horizons": ", ".join(sorted(others)) or None,
    }


def ensemble_series(model_results: pd.DataFrame, on: dt.date, left_out=frozenset()) -> list[tuple[dt.date, float]]:
    """(day, current ensemble R²) at every Ensemble evaluation day up to ``on``: the chart's line (the
    horizons ``left_out`` of the mean, ``r2_trend``'s ``other_horizons``, left out of it too)."""
    rows = evaluations(model_results)
    left_out = frozenset(left_out)
    days = sorted({r["evaluated_on"] for r in rows if r["model"] == ENSEMBLE and r["evaluated_on"] <= on
                   and r["horizon"] not in left_out})
    return [(day, _mean(_latest(rows, day, left_out))) for day in days]
