"""The plan's targets, in one place: the Plans record of the as-of snapshot, else the configuration.

Every report, check, dashboard row and assessment takes its budget, timeline band, R² band and
horizons from here. A target neither gives is None and is shown as "no data", never invented.
"""

from __future__ import annotations

from dataclasses import dataclass

from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import as_date, number, records, text

BUDGET_BAND_PCT = 15.0  # seed, 360 assessment: "Budget variance: ±15% acceptable"
TIMELINE_BAND_PCT = 20.0  # seed: "Timeline variance: ±20% acceptable"


def band(pct: float | None, band_pct: float) -> dict:
    """A variance's band fields: the band, and whether ``pct`` is inside it (None without a variance)."""
    return {"band_pct": band_pct, "within_band": None if pct is None else abs(pct) <= band_pct}


@dataclass(frozen=True)
class PlanTargets:
    plan_id: str | None = None
    budget: float | None = None
    days_min: int | None = None
    days_max: int | None = None
    r2_min: float | None = None
    r2_max: float | None = None
    start_date: object = None  # dt.date | None
    horizons: tuple[str, ...] = ()
    from_airtable: bool = False
    record_id: str | None = None  # the followed Plans record (plan_scope leaves the other plans' phases out)


def configured_targets(config=None) -> PlanTargets:
    """The configuration's fallback targets (``targets:`` and ``project.plan_id``)."""
    from bqx_ops import config as project_config

    cfg = config or project_config.current()
    t = cfg.targets
    return PlanTargets(plan_id=cfg.project.plan_id, budget=t.budget, days_min=t.days_min, days_max=t.days_max,
                       r2_min=t.r2_min, r2_max=t.r2_max, start_date=cfg.start_date, horizons=tuple(t.horizons))


def same_plan(plan_id, configured) -> bool:
    """Whether a Plans record's Plan ID is the configured one as people mean it (spaces, case, invisible
    characters, Unicode form: like every human key), so "MP-ACME-01 " is never another plan."""
    from bqx_ops.unique_keys import normalized_key

    return configured is not None and isinstance(text(plan_id), str) \
        and normalized_key(text(plan_id)) == normalized_key(configured)


def not_followed(followed: str | None, configured: str | None) -> str | None:
    """Why the report follows a plan other than the configured one (None: it follows that one, or the
    configuration names none)."""
    if configured is None or same_plan(followed, configured):
        return None
    return (f"the configuration follows plan {configured}, which no Plans record of the snapshot has: "
            + (f"{followed} (the first Active plan) is reported instead" if followed else "no plan is reported"))


def pick(value, default):
    return default if value is None else value


def plan_targets(plans: pd.DataFrame, fallback: PlanTargets | None = None) -> PlanTargets:
    """The configured plan (``project.plan_id``), else the first Active plan, else the first by Plan ID;
    missing fields keep the configuration's values."""
    seed = fallback or configured_targets()
    rows = sorted(records(plans), key=lambda r: (not same_plan(r.get("plan_id"), seed.plan_id),
                                                 r.get("status") != "Active", str(r.get("plan_id") or "")))
    if not rows:
        return seed
    r = rows[0]
    days_min, days_max = number(r.get("estimated_days_min")), number(r.get("estimated_days_max"))
    horizons = tuple(h for h in (text(r.get("horizons")) or "").split(",") if h) or seed.horizons  # stored joined
    return PlanTargets(
        plan_id=text(r.get("plan_id")),
        budget=pick(number(r.get("estimated_budget")), seed.budget),
        days_min=int(days_min) if days_min is not None else seed.days_min,
        days_max=int(days_max) if days_max is not None else seed.days_max,
        r2_min=pick(number(r.get("r2_target_min")), seed.r2_min),
        r2_max=pick(number(r.get("r2_target_max")), seed.r2_max),
        start_date=pick(as_date(r.get("start_date")), seed.start_date),
        horizons=horizons,
        from_airtable=True,
        record_id=text(r.get("record_id")),
    )
