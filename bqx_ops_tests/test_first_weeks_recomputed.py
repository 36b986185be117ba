"""The sample's first weeks through the code location's jobs, figures recomputed here from the landing JSON:
the adjusted estimates of the 2025-09-05 plan update under the reports' rounding rule (14 x 25.15 / 28 is
12.575, so $12.58: Python's round gave $12.57), the project's first dashboard week without trends (there
was no week before it to compare with), and Cost/Month in the project's first month counted from its start
(August's Cost Explorer data begins on 2025-08-18: its month to date was spread over 24 days and projected
at a third of its run rate)."""

import calendar
import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from bqx_ops_tests.sample_runs import sample_through_jobs

pytestmark = pytest.mark.slow
FRIDAY = "2025-09-05"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("first_weeks")
    sample_through_jobs(data, dt.date(2025, 8, 18), dt.date(2025, 9, 8), [
        ("airtable_snapshot_job", "2025-08-18", "2025-09-08"), ("docs_sync_job", "2025-08-11", "2025-08-25"),
        ("plan_update_job", "2025-08-15", "2025-08-29"), ("dashboard_job", "2025-08-11", "2025-08-18")])
    return data


def cents(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_adjusted_costs(data) -> dict[str, float]:
    """Per open stage of the Friday's snapshot: its estimate x the realized / estimated cost of its phase's
    Done stages (at least 2), else of the plan's, rounded half away from zero to the cent (README)."""
    stages = [r["fields"] for r in json.loads((data / "landing" / "airtable" / FRIDAY / "Stages.json").read_text())
              ["records"]]
    done = [s for s in stages if s["Status"] == "Done" and "Realized Cost" in s and s.get("Estimated Cost")]

    def ratio(rows):
        return (sum(Decimal(repr(s["Realized Cost"])) for s in rows) / sum(Decimal(s["Estimated Cost"]) for s in rows),
                len(rows))

    plan = ratio(done)[0]
    out = {}
    for s in stages:
        if s["Status"] == "Done":
            continue
        phase, n = ratio([d for d in done if d["Phase"] == s["Phase"]]) if any(
            d["Phase"] == s["Phase"] for d in done) else (None, 0)
        out[s["Stage ID"]] = cents(Decimal(s["Estimated Cost"]) * (phase if n >= 2 else plan))
    return out


def test_adjusted_estimates_round_half_away_from_zero_as_the_readme_says(data):
    expected = expected_adjusted_costs(data)
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        got = dict(conn.execute("SELECT stage_id, adjusted_cost FROM plan.adjusted_estimates WHERE "
                                "CAST(period_end AS DATE) = ?", [dt.date.fromisoformat(FRIDAY)]).fetchall())
        forecast = conn.execute("SELECT forecast_cost FROM plan.forecast_at_completion WHERE "
                                "CAST(period_end AS DATE) = ?", [dt.date.fromisoformat(FRIDAY)]).fetchone()[0]
    assert got == expected
    halves = [k for k, v in expected.items() if str(v).endswith("8") and v == 12.58]
    assert halves, "the sample's $14 stages at a plan ratio of 25.15 / 28 (12.575) are the case this tests"
    realized = sum(Decimal(repr(r["fields"]["Realized Cost"])) for r in json.loads(
        (data / "landing" / "airtable" / FRIDAY / "Stages.json").read_text())["records"]
        if r["fields"]["Status"] == "Done" and "Realized Cost" in r["fields"])
    assert forecast == cents(realized + sum(Decimal(repr(v)) for v in expected.values()))
    report = (data / "bqx-ml" / "docs" / "plan-updates" / f"{FRIDAY}.md").read_text()
    assert "| $14.00 | $12.58 |" in report and "$12.57" not in report


def metrics(data, week: str) -> dict:
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT metric, current, trend FROM dashboard.success_metrics WHERE "
                            "CAST(period_start AS DATE) = ?", [dt.date.fromisoformat(week)]).fetchall()
    return {m: (c, t) for m, c, t in rows}


def test_the_projects_first_dashboard_week_has_no_trend_and_the_next_one_has(data):
    first = metrics(data, "2025-08-11")  # as of 2025-08-18 09:00, the start_date of the sample
    assert len(first) == 13 and {t for _, t in first.values()} == {"-"}
    second = metrics(data, "2025-08-18")
    assert second["P0 Issues"][1] in ("↑", "↓", "→") and second["Repository Sync"][1] == "→"


def test_cost_per_month_in_the_first_month_counts_from_the_projects_start(data):
    doc = json.loads((data / "landing" / "aws" / "costs" / "2025-08.json").read_text())
    by_day = {dt.date.fromisoformat(r["TimePeriod"]["Start"]): sum(
        Decimal(g["Metrics"]["UnblendedCost"]["Amount"]) for g in r["Groups"]) for r in doc["ResultsByTime"]}
    start = min(by_day)  # the sample's Cost Explorer data begins with the project
    as_of = dt.date(2025, 8, 25)
    ended = [d for d in by_day if d < as_of]
    mtd = sum(by_day[d] for d in ended)
    month_days = calendar.monthrange(2025, 8)[1] - start.day + 1  # Aug 18 .. 31
    projected = mtd / len(ended) * month_days
    current, _ = metrics(data, "2025-08-18")["Cost/Month"]
    assert current == (f"Jul no data; Aug to date ${cents(mtd):,.2f} ({len(ended)} days since the start, "
                       f"{start.isoformat()}), projected ${cents(projected):,.2f}")
    assert len(ended) == 7 and month_days == 14
