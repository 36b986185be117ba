"""Round 4 hostile input of the dashboard's sources and the configuration (hostile_corpus_more.py):
each case is reported or refused with its reason, pure functions on hand-built input."""

import datetime as dt

import pytest

from bqx_ops import config
from bqx_ops.dashboard import costs, latency
from bqx_ops.issue_review.rules import RulesError, load_rules
from bqx_ops_tests import hostile_corpus_more as hm
from bqx_ops_tests.test_config import refusal

SPEC = latency.MetricSpec("AWS/ApiGateway", "Latency", (("ApiName", "api"),))


@pytest.mark.parametrize("case, doc, fragment", hm.LATENCY_CASES, ids=[c[0] for c in hm.LATENCY_CASES])
def test_a_latency_response_that_gives_no_usable_point_says_why(case, doc, fragment):
    points, problems = latency.parse_response("f.json", doc, SPEC)
    assert points == []
    assert fragment in [p.problem for p in problems]


def test_a_good_point_beside_a_result_of_another_query_is_counted_and_nothing_is_reported():
    doc = {"MetricDataResults": [{"Id": "other", "Timestamps": [], "Values": []}, {"Id": "p95", **hm.LATENCY_POINT}],
           "Messages": []}
    assert latency.parse_response("f.json", doc, SPEC) == ([latency.DailyP95(dt.date(2026, 3, 10), 50.0)], [])


def _month(amount) -> dict:
    return {"ResultsByTime": [{"TimePeriod": {"Start": "2026-03-01", "End": "2026-03-02"}, "Groups": [
        {"Keys": ["Amazon S3"], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}]}]}


@pytest.mark.parametrize("amount", hm.COST_AMOUNTS_REFUSED, ids=[repr(a) for a in hm.COST_AMOUNTS_REFUSED])
def test_a_cost_amount_written_otherwise_is_skipped_with_its_reason_never_guessed(amount):
    rows, problems = costs.parse_response("2026-03.json", _month(amount))
    assert rows == []
    assert problems == [f"2026-03.json: ResultsByTime[0].Groups[0] (2026-03-01): skipped (amount {amount!r} is not "
                        "a number)"]


@pytest.mark.parametrize("amount, usd", hm.COST_AMOUNTS_READ, ids=[repr(a) for a, _ in hm.COST_AMOUNTS_READ])
def test_a_cost_amount_as_cost_explorer_writes_it_is_read(amount, usd):
    assert costs.parse_response("2026-03.json", _month(amount)) == ([costs.CostRow(dt.date(2026, 3, 1), "Amazon S3",
                                                                                   usd)], [])


@pytest.mark.parametrize("text, expected", hm.CONFIG_REFUSED, ids=[t for t, _ in hm.CONFIG_REFUSED])
def test_a_configuration_in_another_shape_is_refused_naming_the_file_and_the_key(tmp_path, text, expected):
    message = refusal(tmp_path / "team.yaml", text, config.load_config, config.ConfigError)
    assert expected in message, message


@pytest.mark.parametrize("text, expected", hm.RULES_REFUSED)
def test_a_rules_file_with_a_key_given_twice_is_refused(tmp_path, text, expected):
    message = refusal(tmp_path / "rules.yaml", text, lambda path: load_rules(path=str(path)), RulesError)
    assert expected in message, message


def test_a_schema_map_file_with_a_table_given_twice_is_refused(tmp_path):
    (tmp_path / "map.yaml").write_text("tables: {Stages: Work, Stages: Items}\n")
    message = refusal(tmp_path / "team.yaml", "schema_map: map.yaml\n", config.load_config, config.ConfigError)
    assert "schema_map: cannot read map.yaml: ConstructorError" in message and "given twice" in message, message


def test_an_escalation_names_the_configured_roles_inert_in_slack(tmp_path, monkeypatch):
    """The missed-sync escalation's Slack text held the roles raw: a role named <!channel> pinged everyone."""
    from bqx_ops.escalation import RULES, overdue
    from bqx_ops_tests.hostile_corpus import LIVE_IN_SLACK

    path = tmp_path / "team.yaml"
    path.write_text(hm.HOSTILE_ROLES)
    monkeypatch.setenv("BQX_OPS_CONFIG", str(path))
    sync = {r.name: r for r in RULES}["repository_sync"]
    monday = dt.datetime(2025, 11, 17, 9, tzinfo=dt.timezone.utc)
    esc = overdue(sync, monday - dt.timedelta(days=7), monday + dt.timedelta(days=4))
    assert "<!channel> -> @here <@U0HOST> *boss* & co notification." in esc.text()  # the plain text, for SNS
    text = esc.slack_text()
    assert not LIVE_IN_SLACK.search(text), text
    assert "*&lt;!channel&gt;* -&gt; *@\u2060here &lt;@U0HOST&gt; *\u200bboss*\u200b &amp; co* notification." in text
    assert "<@U0TEAM>" in esc.slack_text({"@here <@U0HOST> *boss* & co": "U0TEAM"})  # a mapped role is a mention
