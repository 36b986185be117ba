"""Quarter 2026-04-01 (Q2-2026, as of Friday 2026-06-26 09:00 UTC) assessed from a short sample.

The snapshots, plan weeks and issue reviews of 2026-05-15..2026-06-30 are materialized first;
the expectations are computed here from the plan and review tables, read as of the assessment.
"""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.defs.assessment import assets as assessment_assets
from bqx_ops.defs.assessment import checks as assessment_checks
from bqx_ops.defs.issue_review import assets as review_assets
from bqx_ops.defs.plan_update import assets as plan_assets
from bqx_ops.defs.plan_update import outputs as plan_outputs
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import write_sample

pytestmark = pytest.mark.slow  # snapshots, six plan weeks, three reviews and the assessment (~10 s)

QUARTER, AS_OF = "2026-04-01", dt.datetime(2026, 6, 26, 9)
ASSESSMENT = [*dg.load_assets_from_modules([assessment_assets]),
              *dg.load_asset_checks_from_modules([assessment_checks])]


def span(first: str, last: str) -> dict:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    data = tmp_path_factory.mktemp("assessment")
    write_sample(data, dt.date(2026, 5, 15), dt.date(2026, 6, 30))
    resources = build_resources("local", data)
    assert dg.materialize([raw_records, airtable_tables], resources=resources,
                          tags=span("2026-05-15", "2026-06-30")).success
    plan = [a for a in dg.load_assets_from_modules([plan_assets, plan_outputs])
            if "airtable_writeback" not in str(a.keys)]
    assert dg.materialize(plan, resources=resources, tags=span("2026-05-15", "2026-06-19")).success
    assert dg.materialize(dg.load_assets_from_modules([review_assets]), resources=resources,
                          tags=span("2026-05-15", "2026-06-01")).success
    result = dg.materialize(ASSESSMENT, resources=resources, partition_key=QUARTER)
    return data, resources, result


def sql(data, query: str, params=()):
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute(query, list(params)).fetchall()


def report_text(data) -> str:
    return (data / "bqx-ml" / "docs" / "assessments" / "Q2-2026.md").read_text(encoding="utf-8")


def test_the_quarter_has_seven_dimensions_and_the_check_passes(assessed):
    data, _, result = assessed
    assert result.success
    rows = sql(data, "SELECT dimension, status FROM assessment.quarterly_scores ORDER BY position")
    assert [r[0] for r in rows] == ["Goal alignment", "Technical gaps", "Budget & timeline", "Success criteria",
                                    "Risk", "Stakeholder alignment", "Industry trends"]
    assert rows[5][1] == rows[6][1] == "scored"  # the sample records Q2-2026's people inputs
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_budget_and_timeline_use_the_last_plan_week_ending_before_the_assessment(assessed):
    data, _, _ = assessed
    # the week ending Friday 2026-06-19 16:00; the one ending 06-26 16:00 is after 09:00 that day
    (budget, timeline), = sql(data, "SELECT b.variance_pct, t.variance_pct FROM plan.budget_variance b JOIN "
                                    "plan.plan_timeline t USING (period_end) WHERE period_end = ?",
                              [dt.datetime(2026, 6, 19, 16)])
    part = lambda v, b: 100.0 if abs(v) <= b else max(0.0, min(100.0, 100 * (2 * b - abs(v)) / b))  # noqa: E731
    expected = round((part(budget, 15) + part(timeline, 20)) / 2, 1)
    (score, rationale), = sql(data, "SELECT score, rationale FROM assessment.quarterly_scores "
                                    "WHERE dimension = 'Budget & timeline'")
    assert score == pytest.approx(expected) and f"budget {budget:+.1f}%" in rationale


def test_risk_counts_the_open_p0_p1_issues_of_the_review_of_june_1(assessed):
    data, _, _ = assessed
    (n,), = sql(data, "SELECT count(*) FROM review.issue_inventory WHERE period_end = ? AND state = 'open' "
                      "AND priority IN ('P0', 'P1')", [dt.datetime(2026, 6, 15, 10)])
    (rationale,), = sql(data, "SELECT rationale FROM assessment.quarterly_scores WHERE dimension = 'Risk'")
    assert rationale.startswith(f"{n} open high-priority")


def test_the_report_is_in_the_docs_repo_with_its_decision_dated_at_the_as_of(assessed):
    data, resources, _ = assessed
    text = report_text(data)
    (decision,), = sql(data, "SELECT DISTINCT decision FROM assessment.quarterly_scores")
    assert f"**Decision: {decision}**" in text and "# 360 Plan Assessment Q2-2026" in text
    assert text.count("Stakeholder alignment") >= 1
    repo = resources["docs_repo"]
    assert repo.last_commit_time("docs/assessments/Q2-2026.md") == AS_OF.replace(tzinfo=dt.timezone.utc)


def test_rerunning_the_quarter_changes_nothing(assessed):
    data, resources, _ = assessed
    before_text, before_rows = report_text(data), sql(data, "SELECT * FROM assessment.quarterly_scores ORDER BY ALL")
    head = resources["docs_repo"].head()
    assert dg.materialize(ASSESSMENT, resources=resources, partition_key=QUARTER).success
    assert report_text(data) == before_text and resources["docs_repo"].head() == head
    assert sql(data, "SELECT * FROM assessment.quarterly_scores ORDER BY ALL") == before_rows


def landing_tables(data, table: str) -> dict[dt.date, list[dict]]:
    """Every snapshot of a table in the landing zone up to the as-of, read as plain JSON."""
    out = {}
    for folder in sorted((data / "landing" / "airtable").iterdir()):
        day = dt.date.fromisoformat(folder.name)
        if day <= AS_OF.date():
            out[day] = json.loads((folder / f"{table}.json").read_text(encoding="utf-8"))["records"]
    return out


def test_q2_2026_scores_stakeholder_alignment_and_industry_trends_from_the_recorded_inputs(assessed):
    data, _, _ = assessed
    inputs = landing_tables(data, "Assessment Inputs")
    latest = [r["fields"] for r in inputs[max(inputs)] if r["fields"].get("Quarter") == "Q2-2026"]
    sat = [f["Score"] for f in latest if f["Kind"] == "User Satisfaction"]
    comp = [f["Score"] for f in latest if f["Kind"] == "Competitive Position"]
    market = [f["Score"] for f in latest if f["Kind"] == "Market Alignment"]
    techniques = sum(1 for f in latest if f["Kind"] == "Technique Adopted")
    assert sat and comp and market and techniques
    # agent utilization: share of the quarter's Tasks snapshots with an In Progress task, per owner
    tasks = landing_tables(data, "Tasks")
    owners = {r["fields"]["Owner"] for rs in tasks.values() for r in rs if r["fields"].get("Owner")}
    busy = {o: sum(1 for rs in tasks.values() if any(r["fields"].get("Owner") == o
                                                      and r["fields"].get("Status") == "In Progress" for r in rs))
            for o in owners}
    utilization = sum(100 * n / len(tasks) for n in busy.values()) / len(busy)
    (failure_days,), = sql(data, "SELECT count(DISTINCT CAST(created_at AS DATE)) FROM review.issue_inventory "
                                 "WHERE source IN ('cloudwatch', 'sagemaker') AND created_at >= ? AND created_at <= ? "
                                 "AND period_end <= ?", [dt.datetime(2026, 4, 1), AS_OF, AS_OF])
    days = (AS_OF.date() - dt.date(2026, 4, 1)).days + 1
    uptime = 100 * (days - failure_days) / days
    clamp = lambda v: max(0.0, min(100.0, v))  # noqa: E731
    parts = [clamp(100 * (sum(sat) / len(sat)) / 8),
             100.0 if 60 <= utilization <= 80 else clamp(100 - 2.5 * (60 - utilization if utilization < 60
                                                                      else utilization - 80)),
             100.0 if uptime >= 99 else clamp(100 - 10 * (99 - uptime))]
    decisions = landing_tables(data, "Decisions")
    adopted = {r["fields"]["Title"] for r in decisions[max(decisions)]
               if "2026-04-01" <= r["fields"]["Date"] <= "2026-06-26" and r["fields"]["Title"].lower().startswith("adopt")}
    n = techniques + len(adopted)
    industry = [0.0 if n == 0 else 100.0 if n <= 2 else 50.0,
                clamp(100 * (sum(comp) / len(comp)) / 7.5), clamp(100 * (sum(market) / len(market)) / 8)]
    got = dict(sql(data, "SELECT dimension, score FROM assessment.quarterly_scores WHERE dimension IN "
                         "('Stakeholder alignment', 'Industry trends')"))
    assert got["Stakeholder alignment"] == pytest.approx(round(sum(parts) / 3, 1))
    assert got["Industry trends"] == pytest.approx(round(sum(industry) / 3, 1))
