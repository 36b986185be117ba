"""The plan's targets: from the Plans record of the snapshot, else the seed's figures."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bqx_ops.plan_update.common import as_date, number, records, text

BUDGET_BAND_PCT = 15.0  # seed, 360 assessment: "Budget variance: ±15% acceptable"
TIMELINE_BAND_PCT = 20.0  # seed: "Timeline variance: ±20% acceptable"


@dataclass(frozen=True)
class PlanTargets:
    plan_id: str | None = None
    budget: float = 650.0
    days_min: int = 71
    days_max: int = 85
    r2_min: float = 0.95
    r2_max: float = 0.99
    start_date: object = None  # dt.date | None
    from_airtable: bool = False


def plan_targets(plans: pd.DataFrame) -> PlanTargets:
    """The first Active plan (else the first plan by Plan ID); missing fields keep the seed's values."""
    rows = sorted(records(plans), key=lambda r: (r.get("status") != "Active", str(r.get("plan_id") or "")))
    if not rows:
        return PlanTargets()
    r, seed = rows[0], PlanTargets()

    def pick(value, default):
        return default if value is None else value

    days_min, days_max = number(r.get("estimated_days_min")), number(r.get("estimated_days_max"))
    return PlanTargets(
        plan_id=text(r.get("plan_id")),
        budget=pick(number(r.get("estimated_budget")), seed.budget),
        days_min=int(days_min) if days_min is not None else seed.days_min,
        days_max=int(days_max) if days_max is not None else seed.days_max,
        r2_min=pick(number(r.get("r2_target_min")), seed.r2_min),
        r2_max=pick(number(r.get("r2_target_max")), seed.r2_max),
        start_date=as_date(r.get("start_date")),
        from_airtable=True,
    )
