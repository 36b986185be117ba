"""One Cost Explorer month file's groups (a day's cost per service) read as a finance reader would:

* a group's service is the key at SERVICE's place in ``GroupDefinitions`` (the first key without it);
  groups of several keys (GroupBy two dimensions, SERVICE and LINKED_ACCOUNT) are summed per service,
  and a file grouped so, or not by SERVICE at all (its keys are accounts, not services), says so;
* service names are compared as people mean them, like Airtable keys: spaces, invisible characters,
  Unicode form (``é`` composed or decomposed, NFKC) and case aside; a second group of one service in a
  day is a repeat. The name kept is the first group's, its invisible characters and spaces aside and in
  NFC, so the same service written two ways on two days is one service in ``aws.daily_costs``;
* a group without ``Unit`` is counted as USD (UnblendedCost is in USD, and leaving it out would
  understate the month against its budget) and said, unless the file also holds amounts in another
  currency: then which one it is cannot be told, and it is left out, said;
* a day marked ``Estimated`` is a Cost Explorer estimate, not the final amount: counted as given, and
  the dashboard says the month to date rests on estimates.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from bqx_ops.base_schema import MAX_MONEY
from bqx_ops.sanitize import INVISIBLE, visible
from bqx_ops.unique_keys import normalized_key

SERVICE = "SERVICE"
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?", re.ASCII)


def shown(value: Any) -> str:
    return "null" if value is None else visible(repr(value))[:80]


def service_key(name: str) -> str:
    """A service name as people mean it (the comparison of ``unique_keys``)."""
    return normalized_key(name)


def service_name(name: str) -> str:
    """The name stored: its invisible characters and surrounding or repeated spaces aside, in NFC."""
    return visible(" ".join(INVISIBLE.sub("", unicodedata.normalize("NFC", name)).split()))


def service_place(source: str, doc: dict) -> tuple[int, list[str]]:
    """Where each group's service is among its Keys, and what the file's grouping makes worth saying."""
    definitions = doc.get("GroupDefinitions")
    if not isinstance(definitions, list) or not definitions:
        return 0, []
    dims = [d.get("Key") if isinstance(d, dict) else d for d in definitions]
    named = ", ".join(shown(d) if not isinstance(d, str) else d for d in dims)
    if SERVICE not in dims:
        return 0, [f"{source}: grouped by {named}, not by SERVICE: each group's first key is read as its "
                   "service (the month's total is right, its split per service is not)"]
    if len(dims) > 1:
        return dims.index(SERVICE), [f"{source}: grouped by {named}: each service's amounts are summed over "
                                     "the other keys"]
    return 0, []


def several_keys(source: str, groups_keys: list[int], place: int, said: bool) -> list[str]:
    """A file whose groups carry more keys than one, its grouping not saying so: the service read at
    ``place`` (the first key), the amounts summed per service."""
    most = max(groups_keys, default=1)
    if most <= 1 or said:
        return []
    return [f"{source}: {sum(1 for n in groups_keys if n > 1)} group(s) carry up to {most} keys (grouped by "
            f"several dimensions): key {place + 1} is read as the service, its amounts summed over the others"]


def other_currencies(results: list) -> set[str]:
    """The currencies other than USD a file's amounts are given in."""
    units = set()
    for result in results:
        for group in (result.get("Groups") if isinstance(result, dict) else None) or []:
            metrics = group.get("Metrics") if isinstance(group, dict) else None
            metric = metrics.get("UnblendedCost") if isinstance(metrics, dict) else None
            unit = metric.get("Unit") if isinstance(metric, dict) else None
            if unit is not None and unit != "USD":
                units.add(shown(unit))
    return units


def group_amount(group: Any, place: int, foreign: set[str]) -> tuple[str, Decimal, bool] | str:
    """(service, USD amount, whether its Unit was missing) of one group, or why it cannot be counted."""
    if not isinstance(group, dict):
        return f"the group is {shown(group)}, not an object"
    keys = group.get("Keys")
    if not isinstance(keys, list) or len(keys) <= place or not isinstance(keys[place], str) \
            or not service_key(keys[place]):
        return f"no service name (Keys is {shown(keys)})"
    metrics = group.get("Metrics")
    metric = metrics.get("UnblendedCost") if isinstance(metrics, dict) else None
    if not isinstance(metric, dict):
        return "no UnblendedCost metric"
    used = usd_amount(metric, foreign)
    return used if isinstance(used, str) else (keys[place], *used)


def usd_amount(metric: dict, foreign: set[str]) -> tuple[Decimal, bool] | str:
    """(USD amount, whether its Unit was missing) of one UnblendedCost metric (a group's, or a day's
    Total), or why it cannot be counted."""
    raw = metric.get("Amount")
    # Cost Explorer writes "12.3456" or "-0.01": Decimal would also read "5_000" or Arabic-Indic digits, a guess
    plain = (isinstance(raw, (int, float)) and not isinstance(raw, bool)
             or isinstance(raw, str) and _AMOUNT.fullmatch(raw))
    try:
        amount = Decimal(str(raw)) if plain else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        return f"amount {shown(raw)} is not a number"
    unit = metric.get("Unit")
    if unit is None and foreign:
        return (f"no Unit, and the file also has amounts in {', '.join(sorted(foreign))}: its currency cannot be "
                "told, never added to USD")
    if unit is not None and unit != "USD":
        return f"amount in {shown(unit)}, never added to USD"
    if abs(amount) > MAX_MONEY:
        return f"amount {amount} is beyond ±{MAX_MONEY:,} a day: implausible"
    return amount, unit is None


def estimate_flag(result: dict) -> tuple[bool, str | None]:
    """Whether a day is a Cost Explorer estimate, and what is wrong with its flag: one that is not true or
    false is taken as an estimate (its amount may still change), said."""
    flag = result.get("Estimated")
    if flag is None or isinstance(flag, bool):
        return flag is True, None
    return True, f"Estimated is {shown(flag)}, not true or false; read as an estimate"
