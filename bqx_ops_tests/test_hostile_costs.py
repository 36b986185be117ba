"""Hostile Cost Explorer month files through the real dashboard assets on a temporary DuckDB: an
unreadable month is "no data" with its data problem (never $0.00 ✅), credits are netted, other
currencies are never added to dollars, and a day given twice is counted once."""

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.dashboard.assets import daily_costs, success_metrics
from bqx_ops.landing import Landing
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests import hostile_corpus as hc


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile-costs")
    folder = Landing(data).costs_dir
    folder.mkdir(parents=True)
    for name, content in hc.hostile_cost_months().items():
        hc.write_raw(folder / name, content if isinstance(content, str) else json.dumps(content))
    hc.make_directory(folder / "2026-07.json")  # a month file that is a directory
    resources = build_resources("local", data)
    assert dg.materialize([daily_costs], resources=resources).success
    for week in ("2026-02-02", "2026-03-09", "2026-04-06"):
        assert dg.materialize([daily_costs, success_metrics], selection=[success_metrics.key],
                              resources=resources, partition_key=week).success
    return data


def query(data, sql: str, params=()):
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def expected_usd() -> dict[tuple[dt.date, str], Decimal]:
    """The rules, applied here to the corpus: USD only, plausible, first entry of a day per file, and a day
    given by several files taken from the file of its own month."""
    out, source = {}, {}
    for name, doc in sorted(hc.hostile_cost_months().items()):
        if not isinstance(doc, dict) or "ResultsByTime" not in doc:
            continue
        seen = set()
        for result in doc["ResultsByTime"]:
            try:
                day = dt.date.fromisoformat(result["TimePeriod"]["Start"])
            except (TypeError, KeyError):  # no day: reported, never counted
                continue
            end = result["TimePeriod"].get("End")
            if end and not 0 <= (dt.date.fromisoformat(end) - day).days <= 1:  # not one day: never counted
                continue
            implausible = not dt.date(2000, 1, 1) <= day <= dt.date(2099, 12, 31)
            if implausible or day in seen or (day in source and source[day] == f"{day:%Y-%m}.json"):
                continue
            seen.add(day)
            if day in source:  # this file is the day's own month: it replaces the other
                out = {k: v for k, v in out.items() if k[0] != day}
            source[day] = name
            services = set()
            for g in result["Groups"] if isinstance(result["Groups"], list) else []:
                try:
                    metric, service = g["Metrics"]["UnblendedCost"], g["Keys"][0].strip()
                    amount, unit = Decimal(str(metric["Amount"])), metric["Unit"]
                except (TypeError, KeyError, IndexError, InvalidOperation, AttributeError):  # skipped, reported
                    continue
                if unit == "USD" and abs(amount) <= 10_000_000 and service and service not in services:
                    out[(day, service)] = amount
                services.add(service)  # a second group of one service (spaces aside) is a repeat
    return out


def test_daily_costs_apply_the_rules_and_keep_credits(data_dir):
    got = {(d.date() if isinstance(d, dt.datetime) else d, s): Decimal(repr(a))
           for d, s, a in query(data_dir, "SELECT day, service, amount_usd FROM aws.daily_costs")}
    assert got == expected_usd()
    assert got[(dt.date(2026, 1, 31), "Amazon S3")] == Decimal("1.50")  # January's own file wins
    assert got[(dt.date(2026, 2, 1), "AWS Lambda")] == Decimal("-4.00")  # a credit, netted
    assert (dt.date(2026, 2, 1), "Amazon EC2") not in got  # EUR
    assert got[(dt.date(2026, 5, 8), "Amazon S3")] == Decimal("2.5")  # an amount given as a number
    assert got[(dt.date(2026, 5, 9), "Amazon S3")] == Decimal("1.00")  # "Amazon S3 " repeats it: counted once
    assert not {(dt.date(2026, 5, 6), "Amazon S3"), (dt.date(2026, 5, 7), "Amazon S3")} & set(got)  # not one day


@pytest.mark.parametrize("fragment, no_data", [
    ("2026-03.json: unreadable JSON", True),
    ("2026-04.json: not a GetCostAndUsage response (no ResultsByTime list)", True),
    ("2026-06.json: unreadable JSON (ValueError: JSON nested deeper than 100 levels)", True),
    ("2026-07.json: unreadable JSON (IsADirectoryError: ", True),
    ("2026-02.json: ResultsByTime[1].Groups[2] (2026-02-01): skipped (amount in 'EUR', never added to USD)",
     False),
    ("2026-02.json: ResultsByTime[2]: 2026-02-01 repeats ResultsByTime[1]; counted once, from the first", False),
    ("beyond ±10,000,000 a day: implausible", False),
    ("2026-01-31 is in 2026-01.json, 2026-02.json: counted once, from 2026-01.json", False),
    ("ResultsByTime[4]: unreadable time period (9999-12-31 is outside 2000-01-01 .. 2099-12-31)", False),
    ("ResultsByTime[5]: unreadable time period (0001-01-01 is outside 2000-01-01 .. 2099-12-31)", False),
    ("2026-05.json: ResultsByTime[0].Groups[0] (2026-05-01): skipped (amount 'abc' is not a number)", False),
    ("2026-05.json: ResultsByTime[1] (2026-05-02): Groups is null, not a list; no cost counted for the day", False),
    ("2026-05.json: ResultsByTime[2].Groups[0] (2026-05-03): skipped (amount null is not a number)", False),
    ("2026-05.json: ResultsByTime[3].Groups[0] (2026-05-04): skipped (no service name (Keys is []))", False),
    ("2026-05.json: ResultsByTime[3].Groups[1] (2026-05-04): skipped (no UnblendedCost metric)", False),
    ("2026-05.json: ResultsByTime[3].Groups[2] (2026-05-04): skipped (the group is 'a string group', not an object)",
     False),
    ("2026-05.json: ResultsByTime[4]: unreadable time period (TimePeriod.Start is missing)", False),
    ("2026-05.json: ResultsByTime[5]: unreadable time period (the entry is 'a string day', not an object)", False),
    ("2026-05.json: ResultsByTime[6]: unreadable time period (TimePeriod 2026-05-06 .. 2026-06-01 covers 26 days, "
     "not one (DAILY data is expected); no cost counted for it)", False),
    ("2026-05.json: ResultsByTime[9].Groups[1] (2026-05-09): repeats the Keys ['Amazon S3'] of Groups[0]; counted "
     "once, from the first", False),
    ("2026-05.json: ResultsByTime[7]: unreadable time period (TimePeriod ends (2026-05-01) before it starts "
     "(2026-05-07))", False),
    ("2026-05.json: ResultsByTime[10] (2026-05-10): no Groups, but Total.UnblendedCost is '7.00'; no cost counted "
     "for the day", False),
])
def test_each_cost_problem_is_recorded_with_its_reason(data_dir, fragment, no_data):
    rows = [r for r in query(data_dir, "SELECT problem, no_data FROM aws.cost_problems") if fragment in r[0]]
    assert len(rows) == 1 and rows[0][1] is no_data, rows


def cost_month(data, week: str):
    return query(data, "SELECT current, value, status FROM dashboard.success_metrics WHERE metric = 'Cost/Month' "
                       "AND period_start::DATE = ?", [dt.date.fromisoformat(week)])[0]


def test_an_unreadable_or_empty_month_is_no_data_with_its_problem_never_zero(data_dir):
    for week, why in (("2026-03-09", "2026-03.json: unreadable JSON"), ("2026-04-06", "no ResultsByTime list")):
        current, value, status = cost_month(data_dir, week)
        assert value is None and status == "no data" and "$0.00" not in current
        assert current.startswith("no data (data problem: ") and why in current


def test_a_day_without_groups_whose_total_is_zero_is_a_day_without_cost_not_a_problem(data_dir):
    assert not [p for (p,) in query(data_dir, "SELECT problem FROM aws.cost_problems") if "2026-05-11" in p]
    assert not query(data_dir, "SELECT * FROM aws.daily_costs WHERE day::DATE = '2026-05-11'")


def test_no_local_path_in_a_cost_problem(data_dir):
    assert not [p for (p,) in query(data_dir, "SELECT problem FROM aws.cost_problems") if str(data_dir) in p]


def test_a_month_with_credits_and_skipped_rows_shows_the_net_usd_and_its_problems(data_dir):
    current, value, status = cost_month(data_dir, "2026-02-02")  # as of Monday 2026-02-09 09:00
    expected = sum(a for (d, _), a in expected_usd().items() if dt.date(2026, 2, 1) <= d <= dt.date(2026, 2, 8))
    assert value == pytest.approx(float(expected)) and expected == Decimal("8.25")
    # Cost/Month shows last month and the month to date with its projection (#10 item 8), then the problems
    assert "Feb to date $8.25 (8 days)" in current and "(data problem: " in current and status == "✅"
