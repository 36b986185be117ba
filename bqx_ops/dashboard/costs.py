"""Cost Explorer GetCostAndUsage responses (DAILY, grouped by SERVICE) -> (day, service, amount_usd) rows.

Bad input never raises and is never summed blindly; each case becomes a problem message:

* a month file that is not JSON or has no ``ResultsByTime`` list gives that month **no data**
  (``CostProblem.no_data``): the dashboard then says "no data", never ``$0.00 ✅``;
* an amount in another currency (``Unit`` other than USD) is left out, never added to dollars; a
  missing ``Unit``, service names and several keys per group: ``cost_groups``;
* an amount beyond ±MAX_MONEY a day for one service is implausible and left out;
* **negative amounts are credits** (refunds, promotional credits): they are kept and netted,
  as AWS bills them, so Cost/Month is the net cost;
* a day with no ``Groups`` but a ``Total`` other than 0 had a cost no service was given for: it is a
  problem, never $0.00 for the day;
* a day given twice is counted once: within a file its first ``ResultsByTime`` entry wins; across
  files (a month file that overlaps the next) the file of the day's own month wins, else the
  first file by name.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from decimal import Decimal
from typing import Any, NamedTuple

from bqx_ops.base_schema import EARLIEST_DATE, LATEST_DATE, plausible_day
from bqx_ops.dashboard import cost_groups as groups





class CostRow(NamedTuple):
    day: dt.date
    service: str
    amount_usd: float


class CostProblem(NamedTuple):
    month: str | None  # YYYY-MM of the file (None: a file named otherwise)
    problem: str
    no_data: bool  # the whole month is unusable: its cost is "no data"


def file_month(name: str) -> str | None:
    """``2026-03.json`` -> ``2026-03``; None for any other name."""
    stem = name.removesuffix(".json")
    try:
        dt.date.fromisoformat(stem + "-01")
    except ValueError:
        return None
    return stem


class Month(NamedTuple):
    rows: list[CostRow]
    problems: list[str]
    estimated: list[dt.date]  # the days Cost Explorer marked Estimated (their first entry): not final


def parse_response(source: str, doc: Any) -> tuple[list[CostRow], list[str]]:
    """Rows of one response and a message per skipped part (``source`` names it in messages).
    A response without a ResultsByTime list yields exactly one message."""
    month = parse_month(source, doc)
    return month.rows, month.problems


def parse_month(source: str, doc: Any) -> Month:
    """``parse_response`` with the days that are Cost Explorer estimates (``cost_groups``)."""
    rows: list[CostRow] = []
    problems: list[str] = []
    results = doc.get("ResultsByTime") if isinstance(doc, dict) else None
    if not isinstance(results, list):
        return Month([], [f"{source}: not a GetCostAndUsage response (no ResultsByTime list)"], [])
    if doc.get("NextPageToken"):  # its later pages never landed (a fetch stopped at a token that repeated)
        return Month([], [f"{source}: only part of the answer (it ends with NextPageToken "
                          f"{_shown(doc['NextPageToken'])}: Cost Explorer had more pages); the month is not counted"], [])
    place, grouping = groups.service_place(source, doc)
    problems += grouping
    foreign = groups.other_currencies(results)
    seen: dict[dt.date, int] = {}
    estimated, key_counts, without_unit = [], [], []
    for i, result in enumerate(results):
        where = f"{source}: ResultsByTime[{i}]"
        day = _period_start(result)
        if isinstance(day, str):
            problems.append(f"{where}: unreadable time period ({day})")
            continue
        if day in seen:
            problems.append(f"{where}: {day.isoformat()} repeats ResultsByTime[{seen[day]}]; counted once, "
                            "from the first")
            continue
        seen[day] = i
        is_estimate, flag_problem = groups.estimate_flag(result)
        if flag_problem:
            problems.append(f"{where} ({day.isoformat()}): {flag_problem}")
        day_groups = result.get("Groups")
        if not isinstance(day_groups, list):  # GetCostAndUsage with GroupBy gives a list, [] on a day without cost
            shown = "missing" if "Groups" not in result else _shown(day_groups)
            problems.append(f"{where} ({day.isoformat()}): Groups is {shown}, not a list; no cost counted for the day")
            continue
        if not day_groups and _nonzero_total(result):  # a cost Cost Explorer gave no service for: never $0.00
            problems.append(f"{where} ({day.isoformat()}): no Groups, but Total.UnblendedCost is "
                            f"{_shown(result['Total']['UnblendedCost'].get('Amount'))}; no cost counted for the day")
            continue
        if is_estimate:
            estimated.append(day)
        keys_seen: dict[tuple, int] = {}
        for j, group in enumerate(day_groups):
            used = groups.group_amount(group, place, foreign)
            if isinstance(used, str):
                problems.append(f"{where}.Groups[{j}] ({day.isoformat()}): skipped ({used})")
                continue
            key_counts.append(len(group["Keys"]))
            # one group per key: a second group with the same Keys is a repeat, never a second cost (a
            # service over several keys, e.g. grouped by service and account, is summed in ``merge``);
            # keys are compared as people mean them ("Amazon S3 ", NFD accents, a zero-width space)
            keys = tuple(groups.service_key(str(k)) for k in group["Keys"])
            if keys in keys_seen:
                problems.append(f"{where}.Groups[{j}] ({day.isoformat()}): repeats the Keys "
                                f"{_shown([groups.service_name(str(k)) for k in group['Keys']])} of "
                                f"Groups[{keys_seen[keys]}]; counted once, from the first")
                continue
            keys_seen[keys] = j
            service, amount, no_unit = used
            if no_unit:
                without_unit.append(f"ResultsByTime[{i}].Groups[{j}] ({day.isoformat()})")
            rows.append(CostRow(day, groups.service_name(service), float(amount)))
    problems += groups.several_keys(source, key_counts, place, bool(grouping))
    if without_unit:
        problems.append(f"{source}: {len(without_unit)} amount(s) without a Unit (the first: {without_unit[0]}); "
                        "counted as USD, the currency of Cost Explorer's UnblendedCost")
    return Month(rows, problems, estimated)


_shown = groups.shown


def _period_start(result: Any) -> dt.date | str:
    """The day of one ResultsByTime entry, or why there is none."""
    period = result.get("TimePeriod") if isinstance(result, dict) else None
    start = period.get("Start") if isinstance(period, dict) else None
    if not isinstance(result, dict):
        return f"the entry is {_shown(result)}, not an object"
    if not isinstance(start, str):
        return "TimePeriod.Start is missing" if start is None else f"TimePeriod.Start is {_shown(start)}"
    try:
        day = dt.date.fromisoformat(start)
    except ValueError:
        return f"TimePeriod.Start {_shown(start)} is not a date"
    if not plausible_day(day):  # 0001-01-01 / 9999-12-31 would overflow the table's dates
        return f"{day.isoformat()} is outside {EARLIEST_DATE} .. {LATEST_DATE}"
    return _one_day(day, period.get("End"))


def _one_day(day: dt.date, end: Any) -> dt.date | str:
    """``day`` when the entry is that one day (End the next day, exclusive; an End equal to the Start or
    none is read as the day too), else why not: a longer period (MONTHLY data) put on its first day
    would make month-to-date count the whole month, and one ending before it starts is no period."""
    if end is None:
        return day
    try:
        last = dt.date.fromisoformat(end) if isinstance(end, str) else None
    except ValueError:
        last = None
    if last is None:
        return f"TimePeriod.End {_shown(end)} is not a date"
    if last < day:
        return f"TimePeriod ends ({last.isoformat()}) before it starts ({day.isoformat()})"
    if (last - day).days > 1:
        return (f"TimePeriod {day.isoformat()} .. {last.isoformat()} covers {(last - day).days} days, not one "
                "(DAILY data is expected); no cost counted for it")
    return day


def _nonzero_total(result: dict) -> bool:
    """Whether a day's ``Total`` (present without GroupBy, usually empty with it) holds a cost other than 0
    (or one that cannot be read: never taken for $0.00)."""
    total = result.get("Total")
    metric = total.get("UnblendedCost") if isinstance(total, dict) else None
    used = groups.usd_amount(metric, set()) if isinstance(metric, dict) else None
    return used is not None and (isinstance(used, str) or used[0] != 0)


def one_source_per_day(files: list[tuple[str, list[CostRow]]]) -> tuple[list[CostRow], list[str]]:
    """The rows of every file with each day taken from one file only (see the module docstring)."""
    chosen, problems = day_sources(files)
    out = [r for name, rows in files for r in rows if chosen[r.day] == name]
    return out, problems


def day_sources(files: list[tuple[str, list[CostRow]]]) -> tuple[dict[dt.date, str], list[str]]:
    """The file each day is taken from (its own month's, else the first by name), and each repeat said."""
    owners: dict[dt.date, list[str]] = {}
    for name, rows in files:
        for day in sorted({r.day for r in rows}):
            owners.setdefault(day, []).append(name)
    chosen, problems = {}, []
    for day, names in owners.items():
        own = [n for n in names if file_month(n) == f"{day:%Y-%m}"]
        chosen[day] = (own or sorted(names))[0]
        if len(names) > 1:
            problems.append(f"{day.isoformat()} is in {', '.join(sorted(names))}: counted once, from {chosen[day]}")
    return chosen, sorted(problems)


def merge(rows: list[CostRow]) -> list[CostRow]:
    """One row per (day, service), amounts summed, sorted: the same inputs give the same table."""
    totals: dict[tuple[dt.date, str], Decimal] = {}
    for r in rows:
        key = (r.day, r.service)
        totals[key] = totals.get(key, Decimal(0)) + Decimal(repr(r.amount_usd))
    return [CostRow(day, service, float(total)) for (day, service), total in sorted(totals.items())]


def month_to_date(rows: list[CostRow], as_of: dt.datetime, start: dt.date | None = None) -> float | None:
    """Net cost of the days of as_of's calendar month that had ended by as_of (from the project's
    ``start`` in its first month); None without any cost row for those days (a month whose file is
    missing or unreadable is "no data", never $0.00)."""
    first = _month_start(as_of, start)
    naive = as_of.replace(tzinfo=None)
    ended = [r for r in rows if first <= r.day and dt.datetime.combine(r.day + dt.timedelta(days=1), dt.time()) <= naive]
    if not ended:
        return None
    value = float(sum((Decimal(repr(r.amount_usd)) for r in ended), Decimal(0)))
    return value if math.isfinite(value) else None


def _sum(rows: list[CostRow], first: dt.date, last: dt.date) -> float:
    total = sum((Decimal(repr(r.amount_usd)) for r in rows if first <= r.day <= last), Decimal(0))
    return float(total)


def _month_start(as_of: dt.datetime, start: dt.date | None) -> dt.date:
    """The first day of as_of's month that counts: the 1st, or the project's start in its first month."""
    first = as_of.date().replace(day=1)
    return start if start is not None and first < start <= as_of.date() else first


def month_figures(rows: list[CostRow], as_of: dt.datetime, start: dt.date | None = None) -> dict | None:
    """Cost/Month read at ``as_of``, so that a month in progress is never compared with a whole one:

    * ``days``: the days of as_of's month that had ended by as_of (N), counted from the project's
      ``start`` in its first month (``since``: that day, else None): the days before it are not the
      project's, so they neither dilute the month to date's daily rate nor count in the projection;
    * ``month_to_date``: their cost; ``projected``: month_to_date / N x the month's days (from the
      start in the first month) (None when N is 0, on the 1st);
    * ``previous_month``: the whole previous calendar month (None without any cost row in it); when the
      project started during it, from the start (``previous_since``: that day, else None), as its month to
      date counted then: the days before the start are not the project's;
    * ``like_days``: the previous month's first N days (its last day when shorter; from the start as
      above, None when they all fell before it), the baseline the trend compares month_to_date with.
    None without any cost data.
    """
    if not rows:
        return None
    first = as_of.date().replace(day=1)
    counted = _month_start(as_of, start)
    days = (as_of.replace(tzinfo=None) - dt.datetime.combine(counted, dt.time())).days
    month_days = calendar.monthrange(first.year, first.month)[1] - (counted - first).days
    prev_last = first - dt.timedelta(days=1)
    prev_first = prev_last.replace(day=1)
    prev_from = start if start is not None and prev_first < start <= prev_last else prev_first
    has_prev = any(prev_from <= r.day <= prev_last for r in rows)
    mtd = month_to_date(rows, as_of, start)
    like_last = prev_first + dt.timedelta(days=min(days, prev_last.day) - 1) if days else None
    return {
        "days": days, "month_days": month_days, "month_to_date": mtd,
        "since": counted if counted != first else None,
        "projected": None if not days or mtd is None else mtd / days * month_days,
        "previous_month": _sum(rows, prev_from, prev_last) if has_prev else None,
        "like_days": _sum(rows, prev_from, like_last) if has_prev and like_last and like_last >= prev_from else None,
        "month": first, "previous": prev_first, "previous_since": prev_from if prev_from != prev_first else None,
    }
