"""Quarter 2026-04-01 (Q2-2026, as of Friday 2026-06-26 09:00 UTC) assessed from a short sample.

The snapshots, plan weeks and issue reviews of 2026-05-15..2026-06-30 are materialized first;
the expectations are computed here from the plan and review tables, read as of the assessment.
"""

import datetime as dt
import json
import re
import subprocess

import dagster as dg
import duckdb
import pytest
import yaml

from bqx_ops import config
from bqx_ops_tests.assessment_runs import ASSESSMENT, ASSESSMENT_KEYS, AS_OF, QUARTER

pytestmark = pytest.mark.slow  # snapshots, six plan weeks, three reviews and the assessment (~10 s)

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


def test_risk_counts_the_p0_p1_issues_open_at_the_assessments_instant(assessed):
    from bqx_ops_tests.assessment_runs import open_high

    data, _, _ = assessed
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        n = len(open_high(data, conn, dt.datetime(2026, 4, 1), AS_OF))
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
    assert dg.materialize(ASSESSMENT, resources=resources, partition_key=QUARTER,
                          selection=dg.AssetSelection.assets(*ASSESSMENT_KEYS)).success
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
                                 "WHERE ((source = 'cloudwatch' AND detail LIKE 'ERROR:%') OR kind = 'training_failure') "
                                 "AND created_at >= ? AND created_at <= ? "
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


WEEK, REVIEW = dt.datetime(2026, 6, 19, 16), dt.datetime(2026, 6, 15, 10)  # the last ones before the as-of


def doc(data, name: str) -> str:
    return (data / "bqx-ml" / "docs" / "assessments" / name).read_text(encoding="utf-8")


def test_q2_2026_has_the_full_report_with_every_section(assessed):
    data, _, _ = assessed
    text = report_text(data)
    for heading in ("## Executive summary", "## Dimensions", "## Deep dives", "## Trend analysis", "## Risk matrix",
                    "## Recommendations"):
        assert text.count(heading) == 1, heading
    assert [line.split(":")[0] for line in text.splitlines() if line.startswith("### ")] == [
        f"### {n}. {name}" for n, name in enumerate(["Goal alignment", "Technical gaps", "Budget & timeline",
                                                      "Success criteria", "Risk", "Stakeholder alignment",
                                                      "Industry trends"], 1)]
    assert "**FINAL: submitted to RM-001 for approval**" in text and "DRAFT" not in text
    recommendations = text.split("## Recommendations", 1)[1]
    numbered = re.findall(r"^\d+\. .*$", recommendations, re.M)
    assert numbered and all("_(finding: " in line for line in numbered)  # each tied to the finding behind it


def test_the_gap_plan_exists_because_gaps_exceed_10_percent_of_the_plan(assessed):
    data, _, _ = assessed
    gap = {r for (r,) in sql(data, "SELECT record_id FROM plan.overdue_stages WHERE period_end = ?", [WEEK])}
    gap |= {r for (r,) in sql(data, "SELECT record_id FROM plan.stage_cost_variance WHERE period_end = ? AND "
                                    "status = 'Done' AND variance_pct > 15", [WEEK])}
    gap |= {r for (r,) in sql(data, "SELECT stage_record_id FROM review.issue_inventory WHERE period_end = ? AND "
                                    "state = 'open' AND priority IN ('P0', 'P1') AND stage_record_id IS NOT NULL",
                              [REVIEW])}
    (total,), = sql(data, "SELECT count(DISTINCT record_id) FROM airtable.stages WHERE snapshot_date = "
                          "(SELECT max(snapshot_date) FROM airtable.stages WHERE snapshot_date <= ?)", [AS_OF])
    share = 100 * len(gap) / total
    assert share > 10
    assert f"Gaps: {len(gap)} stage{'' if len(gap) == 1 else 's'}, {share:.1f}% of the plan" in report_text(data)
    plan = doc(data, "Q2-2026-gap-remediation-plan.md")
    assert f"{len(gap)} of {total} stages ({share:.1f}%)" in plan
    for heading in ("## Gap identification and priority ranking", "## Remediation approach",
                    "## Cost and timeline impact"):
        assert heading in plan


def test_the_adjustment_proposal_names_the_phases_behind_the_variance_and_rebaselines(assessed):
    data, _, _ = assessed
    (budget,), = sql(data, "SELECT variance_pct FROM plan.budget_variance WHERE period_end = ?", [WEEK])
    (timeline, days_max, forecast_days), = sql(
        data, "SELECT variance_pct, days_max, forecast_days FROM plan.plan_timeline WHERE period_end = ?", [WEEK])
    assert abs(budget) > 15 or abs(timeline) > 15
    proposal = doc(data, "Q2-2026-budget-timeline-adjustment.md")
    (worst,), = sql(data, "SELECT name FROM plan.phase_cost_variance WHERE period_end = ? ORDER BY variance_usd DESC "
                          "LIMIT 1", [WEEK])
    root_causes = proposal.split("## Variance root cause analysis", 1)[1].split("## Proposed re-baseline", 1)[0]
    assert worst.replace("&", "&amp;") in root_causes
    rounded_up = int(forecast_days) + (forecast_days > int(forecast_days))  # the update's rounding, in the text too
    assert f"–{days_max} → {rounded_up} (forecast {forecast_days:.1f}, rounded up) working days" in proposal
    assert "## Impact assessment" in proposal and "## Approval request" in proposal
    # every open stage whose adjusted cost differs from its estimate by more than 0.5% is re-estimated,
    # except the recurring stages of the configuration (never re-estimated)
    recurring = set(yaml.safe_load(config.SAMPLE_CONFIG.read_text())["recurring_stages"]["stage_ids"])
    candidates = {s for s, est, adj in sql(data, "SELECT stage_id, estimated_cost, adjusted_cost FROM "
                                                 "plan.adjusted_estimates WHERE period_end = ? AND status <> 'Done'",
                                           [WEEK])
                  if adj is not None and (est is None or abs(adj - est) > 0.005 * max(abs(est), 1))}
    assert candidates & recurring  # the exclusion is exercised: recurring stages would otherwise qualify
    expected = candidates - recurring
    got = {k for (k,) in sql(data, "SELECT key FROM assessment.proposed_updates WHERE \"table\" = 'Stages' "
                                   "AND field = 'Estimated Cost'")}
    keys = {k for (k,) in sql(data, "SELECT key FROM assessment.proposed_updates WHERE \"table\" = 'Stages'")}
    assert got == expected and not keys & recurring


def test_the_three_weeks_draft_two_refreshes_and_the_final_are_committed_dated_and_marked(assessed):
    data, _, _ = assessed
    log = subprocess.run(["git", "-C", str(data / "bqx-ml"), "log", "--reverse", "--format=%aI|%s", "--",
                          "docs/assessments/Q2-2026.md"], capture_output=True, text=True, check=True).stdout
    lines = [line.split("|", 1) for line in log.splitlines()]
    assert [d for d, _ in lines] == [f"2026-06-{day:02d}T09:00:00Z" for day in (5, 12, 19, 26)] or [
        d for d, _ in lines] == [f"2026-06-{day:02d}T09:00:00+00:00" for day in (5, 12, 19, 26)]
    assert [s.split(" (", 1)[1].split(")", 1)[0] for _, s in lines] == [
        "draft 1/4", "refresh 2/4", "refresh 3/4", "final 4/4"]
    shas = subprocess.run(["git", "-C", str(data / "bqx-ml"), "log", "--reverse", "--format=%H", "--",
                           "docs/assessments/Q2-2026.md"], capture_output=True, text=True, check=True).stdout.split()
    draft = subprocess.run(["git", "-C", str(data / "bqx-ml"), "show", f"{shas[0]}:docs/assessments/Q2-2026.md"],
                           capture_output=True, text=True, check=True).stdout
    assert "**DRAFT 1 of 3 (week 1, at the 3-week reminder)" in draft and "As of 2026-06-05 09:00 UTC" in draft

def test_goal_alignment_and_the_decision_follow_the_documented_formulas(assessed):
    data, _, _ = assessed
    (r, trend), = sql(data, "SELECT current_r2, trend FROM plan.r2_trend WHERE period_end = ? ORDER BY position "
                            "LIMIT 1", [dt.datetime(2026, 6, 19, 16)])
    if r >= 0.95:
        expected = 90.0 if trend == "↓" else 100.0
    else:
        expected = min(85.0, max(0.0, round(80 * (r - 0.75) / 0.20 + {"↑": 5, "↓": -10}.get(trend, 0), 1)))
    rows = sql(data, "SELECT dimension, score, overall, band FROM assessment.quarterly_scores ORDER BY position")
    scores = {d: s for d, s, _, _ in rows if s == s and s is not None}
    assert scores["Goal alignment"] == pytest.approx(expected)
    overall, band = rows[0][2], rows[0][3]
    assert overall == pytest.approx(round(sum(scores.values()) / len(scores), 1))

    def lvl(x):
        return 0 if x > 90 else 1 if x >= 70 else 2 if x >= 50 else 3
    bands = ["Continue as planned", "Adjust tactics", "Pivot strategy", "Pause & re-evaluate"]
    assert band == bands[max(lvl(overall), *(lvl(s) for s in scores.values()))]
