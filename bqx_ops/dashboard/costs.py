"""Cost Explorer GetCostAndUsage responses (DAILY, grouped by SERVICE) -> (day, service, amount_usd) rows.

Bad input never raises: a file or row that cannot be read becomes a problem message and is skipped.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple


class CostRow(NamedTuple):
    day: dt.date
    service: str
    amount_usd: float


def parse_response(source: str, doc: Any) -> tuple[list[CostRow], list[str]]:
    """Rows of one response and a message per skipped part (``source`` names it in messages)."""
    rows: list[CostRow] = []
    problems: list[str] = []
    results = doc.get("ResultsByTime") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        return [], [f"{source}: not a GetCostAndUsage response (no ResultsByTime list)"]
    for i, result in enumerate(results):
        where = f"{source}: ResultsByTime[{i}]"
        try:
            day = dt.date.fromisoformat(result["TimePeriod"]["Start"])
            groups = result.get("Groups") or []
            if not isinstance(groups, list):
                raise TypeError("Groups is not a list")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"{where}: unreadable time period ({type(exc).__name__}: {exc})")
            continue
        for j, group in enumerate(groups):
            try:
                service = group["Keys"][0]
                if not isinstance(service, str) or not service.strip():
                    raise ValueError(f"service key {service!r}")
                amount = Decimal(str(group["Metrics"]["UnblendedCost"]["Amount"]))
                if not amount.is_finite():
                    raise ValueError(f"amount {amount}")
            except (KeyError, IndexError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
                problems.append(f"{where}.Groups[{j}] ({day.isoformat()}): skipped ({type(exc).__name__}: {exc})")
                continue
            rows.append(CostRow(day, service.strip(), float(amount)))
    return rows, problems


def merge(rows: list[CostRow]) -> list[CostRow]:
    """One row per (day, service), amounts summed, sorted: the same inputs give the same table."""
    totals: dict[tuple[dt.date, str], Decimal] = {}
    for r in rows:
        key = (r.day, r.service)
        totals[key] = totals.get(key, Decimal(0)) + Decimal(repr(r.amount_usd))
    return [CostRow(day, service, float(total)) for (day, service), total in sorted(totals.items())]


def month_to_date(rows: list[CostRow], as_of: dt.datetime) -> float | None:
    """Cost of the days of as_of's calendar month that had ended by as_of; None without any cost data."""
    if not rows:
        return None
    first = as_of.date().replace(day=1)
    naive = as_of.replace(tzinfo=None)
    total = sum((Decimal(repr(r.amount_usd)) for r in rows
                 if first <= r.day and dt.datetime.combine(r.day + dt.timedelta(days=1), dt.time()) <= naive),
                Decimal(0))
    value = float(total)
    return value if math.isfinite(value) else None
