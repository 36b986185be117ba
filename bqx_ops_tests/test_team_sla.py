"""A team whose triage rules set their own P0/P1 SLAs (8 h and 72 h here): the dashboard counts the issues past
*those* SLAs and says so, and the 360's success criteria and the review's SLA checks name them; the seed's
SLAs (the packaged rules) still read "24h" and "1 week"."""

import datetime as dt

import pandas as pd
import yaml

from bqx_ops.assessment.score import QuarterInputs, criteria
from bqx_ops.dashboard import indicators as ind
from bqx_ops.dashboard.read import past_sla
from bqx_ops.issue_review.rules import p0_p1_sla_hours, sla_words

AS_OF = dt.datetime(2020, 1, 6, 9)


def test_sla_words_read_as_the_seed_writes_them():
    assert [sla_words(h) for h in (24, 168, 8, 72, 336, 36)] == ["24h", "1 week", "8h", "3 days", "2 weeks", "36h"]


def test_the_dashboard_counts_open_issues_past_the_teams_own_sla():
    # open P0 aged 10 h (past 8 h, not 24 h); P1 aged 100 h (past 72 h, not 168 h) and 50 h (past neither);
    # a resolved P0 aged 500 h never counts
    inventory = pd.DataFrame([
        {"state": "open", "priority": "P0", "age_hours": 10.0},
        {"state": "open", "priority": "P1", "age_hours": 100.0},
        {"state": "open", "priority": "P1", "age_hours": 50.0},
        {"state": "resolved", "priority": "P0", "age_hours": 500.0},
    ])
    assert past_sla(inventory, {"P0": 8, "P1": 72}) == (1, 1)
    assert past_sla(inventory, {"P0": 24, "P1": 168}) == (0, 0)
    rows = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF, old_p0=1, old_p1=1, sla_hours=(8, 72)))}
    assert (rows["P0 Issues"].target, rows["P1 Issues"].target) == ("0 older than 8h", "0 older than 3 days")
    seed = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF))}
    assert (seed["P0 Issues"].target, seed["P1 Issues"].target) == ("0 older than 24h", "0 older than 1 week")


def test_the_360_success_criteria_name_the_teams_slas():
    names = [name for name, _ in criteria(QuarterInputs(breaches=(), sla_hours=(8, 72)))]
    assert names[-2:] == ["no P0 > 8h", "no P1 > 3 days"]
    assert [name for name, _ in criteria(QuarterInputs(breaches=()))][-2:] == ["no P0 > 24h", "no P1 > 1 week"]


def test_the_p0_p1_slas_come_from_the_teams_rules_file(tmp_path):
    rules = tmp_path / "triage.yaml"
    rules.write_text(yaml.safe_dump({"priorities": {"P0": {"sla_hours": 8}, "P1": {"sla_hours": 72}}}))
    assert p0_p1_sla_hours(str(rules)) == {"P0": 8, "P1": 72}
    broken = tmp_path / "broken.yaml"
    broken.write_text("priorities: [1, 2]\n")
    assert p0_p1_sla_hours(str(broken)) == {"P0": 24, "P1": 168}  # the seed's; the review says why it failed


def test_timeline_variance_without_earned_days_says_how_far_behind_and_fails_not_just_no_data():
    """Nothing earned after 105 working days: further behind than any percentage, so ❌ (as the 360 scores
    it 0); nothing earned and no day behind yet is still no data."""
    rows = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF, timeline_behind_days=105.0))}
    assert rows["Timeline Variance"].current == "nothing earned yet: 105 working days behind"
    assert rows["Timeline Variance"].status == "❌" and rows["Timeline Variance"].value is None
    fresh = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF, timeline_behind_days=0.0))}
    assert (fresh["Timeline Variance"].current, fresh["Timeline Variance"].status) == ("no data", "no data")
    bare = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF))}
    assert bare["Timeline Variance"].current == "no data"
    shown = {i.metric: i for i in ind.indicators(ind.Facts(as_of=AS_OF, timeline_variance_pct=12.5,
                                                           timeline_behind_days=5.0))}
    assert shown["Timeline Variance"].current == "+12.5%"


def test_the_p0_alarm_describes_the_teams_sla():
    from bqx_ops.dashboard.cloudwatch import alarm_requests

    def p0(requests):
        return next(r["AlarmDescription"] for r in requests if r["AlarmName"].endswith("-p0-issues"))

    assert p0(alarm_requests("Kestrel Grid Load", "kestrel", None, 8)) == "P0 issues open for more than 8 hours."
    assert p0(alarm_requests("X", "x", None)) == "P0 issues open for more than 24 hours."  # the seed's
