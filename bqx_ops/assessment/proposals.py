"""The Airtable updates an assessment proposes, applied only after RM-001 approves.

When a Budget/Timeline Adjustment Proposal is due (variance beyond 15%), the proposal
re-baselines what is still open:

* Stages (upserted on Stage ID): every stage not Done, and not a recurring stage (configuration
  ``recurring_stages``: never re-estimated), whose adjusted estimate (plan update's
  ``adjusted_estimates``) differs from its estimate: Estimated Cost -> the adjusted cost
  (cents), Estimated Days -> the adjusted days rounded up;
* the Plan (upserted on Plan ID): Estimated Budget -> the forecast at completion when the
  budget variance is beyond the band, Estimated Days Max -> the forecast working days (rounded
  up) when the timeline variance is beyond the band and the forecast exceeds the maximum.

Each proposal is one (table, key field, key, field, current, value) row of
``assessment.proposed_updates``; the upserts group them per table.
"""

from __future__ import annotations

import math

from bqx_ops import config as project_config
from bqx_ops.assessment.evidence import Evidence
from bqx_ops.assessment.findings import ADJUSTMENT_VARIANCE, number, needs_adjustment
from bqx_ops.plan_update.common import stage_key
from bqx_ops.plan_update.fmt import half_up

PROPOSAL_COLUMNS = {"quarter": "string", "position": "Int64", "table": "string", "key_field": "string",
                    "key": "string", "field": "string", "current": "string", "value": "string"}
TOLERANCE = 0.005  # relative: a revision smaller than 0.5% is not proposed


def _changed(old: float | None, new: float | None) -> bool:
    return new is not None and (old is None or abs(new - old) > TOLERANCE * max(abs(old), 1.0))


def days_up(days: float | None) -> int | None:
    """The one rounding rule of proposed working days (text and update alike): up to a whole day."""
    return None if days is None else math.ceil(days)


def proposed_updates(e: Evidence, recurring=None) -> list[dict]:
    """``recurring``: stages never re-estimated (default: the configuration's ``recurring_stages``)."""
    if not needs_adjustment(e):
        return []
    recurring = project_config.current().recurring_stages if recurring is None else recurring
    out = []
    for r in sorted(e.adjusted, key=lambda r: (stage_key(r["stage_id"]), str(r["stage_id"]))):  # 2.1 < 10.1
        if r.get("status") == "Done" or recurring.matches(r.get("stage_id"), r.get("name")):
            continue
        est, adj = number(r.get("estimated_cost")), number(r.get("adjusted_cost"))
        if _changed(est, adj):
            out.append(("Stages", "Stage ID", r["stage_id"], "Estimated Cost", est, half_up(adj, 2)))
        days, adj_days = number(r.get("estimated_days")), number(r.get("adjusted_days"))
        if adj_days is not None and _changed(days, float(days_up(adj_days))):
            out.append(("Stages", "Stage ID", r["stage_id"], "Estimated Days", days, days_up(adj_days)))
    budget_v = number((e.budget or {}).get("variance_pct"))
    forecast = number((e.forecast or {}).get("forecast_cost"))
    if e.plan_id and budget_v is not None and abs(budget_v) > ADJUSTMENT_VARIANCE and forecast is not None:
        out.append(("Plans", "Plan ID", e.plan_id, "Estimated Budget", number((e.forecast or {}).get("budget")),
                    half_up(forecast, 2)))
    t = e.timeline or {}
    tv, days_max, fdays = number(t.get("variance_pct")), number(t.get("days_max")), number(t.get("forecast_days"))
    if e.plan_id and tv is not None and abs(tv) > ADJUSTMENT_VARIANCE and fdays is not None and (
            days_max is None or fdays > days_max):
        out.append(("Plans", "Plan ID", e.plan_id, "Estimated Days Max", days_max, days_up(fdays)))
    return [{"table": t, "key_field": k, "key": key, "field": f, "current": cur, "value": v}
            for t, k, key, f, cur, v in out]


MONEY_FIELDS = ("Estimated Cost", "Estimated Budget")


def shown(field: str, value) -> str:
    """A proposed or current value as the documents print it: $1,234.50 for money, whole days for days."""
    v = number(value)
    if v is None:
        return ""
    return f"${v:,.2f}" if field in MONEY_FIELDS else f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


def to_rows(quarter: str, updates: list[dict]) -> list[dict]:
    return [{"quarter": quarter, "position": n, **{k: u[k] for k in ("table", "key_field", "key", "field")},
             "current": None if u["current"] is None else repr(u["current"]), "value": repr(u["value"])}
            for n, u in enumerate(updates)]


def from_rows(rows: list[dict]) -> list[dict]:
    import ast

    return [{"table": r["table"], "key_field": r["key_field"], "key": r["key"], "field": r["field"],
             "value": ast.literal_eval(r["value"])} for r in sorted(rows, key=lambda r: r["position"])]


def upserts(updates: list[dict]) -> list[dict]:
    """One Airtable upsert payload per table: {"table", "merge_on", "records"}, records merged per key."""
    by_table: dict[str, dict] = {}
    for u in updates:
        t = by_table.setdefault(u["table"], {"table": u["table"], "merge_on": [u["key_field"]], "records": {}})
        t["records"].setdefault(u["key"], {u["key_field"]: u["key"]})[u["field"]] = u["value"]
    return [{**t, "records": [t["records"][k] for k in sorted(t["records"])]} for _, t in sorted(by_table.items())]
