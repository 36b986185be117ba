"""Hostile configuration, schema maps and triage rules: each is refused on load with a message naming
the file and the key, never a stack trace from deep inside a run, a silent misreading or a hang."""

import re

import pytest

from bqx_ops import config
from bqx_ops.schema_mapping import SchemaMapping
from bqx_ops.issue_review.rules import RulesError, load_rules
from bqx_ops.regex_safety import problem
from bqx_ops_tests.test_config import refusal

CATASTROPHIC = ["(a+)+$", "(a*)*b", r"(\w+\s?)+$", "(.*a){12}", "(x+x+)+y", r"\s*(\w+\s*)*$", "(?=(a+)+$)a"]
LINEAR = [r"(\d+\.){3}\d+", r"(?:[-_](?:retry|rerun|attempt)[-_]?\d*)+$", r"(?i)\bblocked\b", "(a+b)+", "(a++)+",
          "operations review", "a*a*a*"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_pattern_is_found(pattern):
    assert problem(pattern)


@pytest.mark.parametrize("pattern", LINEAR)
def test_a_linear_pattern_is_let_through(pattern):
    assert problem(pattern) is None
    re.compile(pattern)


def test_the_packaged_rules_and_the_sample_configuration_pass():
    load_rules(path="")
    cfg = config.load_config(config.SAMPLE_CONFIG)
    assert all(problem(p) is None for p in cfg.recurring_stages.name_patterns)


@pytest.mark.parametrize(("text", "expected"), [
    ("recurring_stages: {name_patterns: ['(a+)+$']}\n",
     "recurring_stages.name_patterns: Value error, '(a+)+$' can take exponential time on some text"),
    ("recurring_stages: {name_patterns: ['(unclosed']}\n",
     "recurring_stages.name_patterns: Value error, not a regular expression"),
    ("aws: {sagemaker: {retry_pattern: '(-?retry\\w*)+$'}}\n", "aws.sagemaker.retry_pattern: Value error"),
    ("schema_map: {tables: {Stages: X, Phases: X}}\n",
     "schema_map: Value error, schema mapping inline: tables: Phases and Stages would both be read from 'X'"),
    ("schema_map: missing-map.yaml\n", "schema_map: cannot read missing-map.yaml: FileNotFoundError"),
    ("aws: {log_groups: ['']}\n", "aws.log_groups.0: String should match pattern"),
    ("aws: {log_groups: ['/ok', \"/a\\nb\"]}\n", "aws.log_groups.1: String should match pattern"),
])
def test_a_hostile_configuration_is_refused_naming_the_file_and_the_key(tmp_path, text, expected):
    message = refusal(tmp_path / "team.yaml", text, config.load_config, config.ConfigError)
    assert expected in message, message


def test_a_schema_map_file_is_checked_on_load_naming_it(tmp_path):
    (tmp_path / "map.yaml").write_text("fields: {Stages: {Name: Notes}}\n")
    path = tmp_path / "team.yaml"
    path.write_text("schema_map: map.yaml\n")
    with pytest.raises(config.ConfigError, match=r"schema mapping map.yaml \(schema_map\): fields.Stages: Name and "
                                                 r"Notes would both be read from 'Notes'"):
        config.load_config(path)
    (tmp_path / "map.yaml").write_text("tables: {Stages: Work Items}\nfields: {Stages: {Name: Title}}\n")
    assert config.load_config(path).schema_map == "map.yaml"


@pytest.mark.parametrize(("data", "message"), [
    ({"tables": {"Stages": "X", "Phases": "X"}}, "tables: Phases and Stages would both be read from 'X'"),
    ({"tables": {"Stages": "phases"}}, "tables: Phases and Stages would both be read from 'phases'"),
    ({"tables": {"Stages": "../../etc"}}, "tables.Stages: '../../etc' is not a table name"),
    ({"tables": {"Stages": 5}}, "tables.Stages: '5' is not a table name"),
    ({"tables": {"Stages": "Work\nItems"}}, "tables.Stages: 'Work\\nItems' is not a table name"),
    ({"tables": ["Stages"]}, "tables: expected a mapping, got list"),
    ({"fields": {"Stages": "x"}}, "fields.Stages: expected a mapping, got str 'x'"),
    ({"fields": {"Stages": {"Bogus": "X"}}}, "fields.Stages: Stages has no field 'Bogus'"),
    ({"fields": {"Stages": {"Name": "X", "Notes": "X"}}}, "fields.Stages: Name and Notes would both be read from 'X'"),
    ({"fields": {"Stages": {"Name": "Notes"}}}, "fields.Stages: Name and Notes would both be read from 'Notes'"),
    ({"fields": {"Stages": {"Name": None}}}, "fields.Stages.Name: 'None' is not a field name"),
    ({"choices": {"Stages": {"Status": ["Complete", "Todo"]}}},
     "choices.Stages.Status: Stages.Status is our vocabulary (Todo, In Progress, Done): map the base's options"),
    ({"choices": {"Model Results": {"Horizon": "d7"}}}, "choices.Model Results.Horizon: expected a list of options"),
    ({"options": {"Stages": {"Bogus": {"a": "b"}}}}, "options: Stages.Bogus is not a select field"),
    ({"options": {"Stages": ["x"]}}, "options.Stages: expected a mapping, got list"),
    ({"options": {"Stages": {"Status": ["Done"]}}}, "options.Stages.Status: expected base option: our option"),
])
def test_a_schema_map_that_would_misread_the_base_is_refused(data, message):
    with pytest.raises(ValueError) as info:
        SchemaMapping.from_data(data, "map.yaml")
    assert str(info.value) == f"schema mapping map.yaml: {message}" or message in str(info.value), str(info.value)


def test_a_swap_of_two_field_names_is_a_mapping_like_any_other():
    mapping = SchemaMapping.from_data({"fields": {"Stages": {"Name": "Notes", "Notes": "Name"}}})
    assert mapping.to_logical_fields("Stages", {"Name": "n", "Notes": "t"}) == {"Notes": "n", "Name": "t"}


@pytest.mark.parametrize(("text", "expected"), [
    ("rules: [{name: x, pattern: '(a+)+$', priority: P1}]\n", "rules[0] (x): pattern '(a+)+$' can take exponential"),
    ("notes: {blocker: '(x+x+)+y'}\n", "notes.blocker: pattern '(x+x+)+y' can take exponential"),
    ("rules: [just a string]\n", "rules[0]: expected a mapping, got str 'just a string'"),
    ("rules: {a: 1}\n", "rules: expected a list, got dict"),
    ("priorities: {P0: {sla_hours: soon}}\n", "priorities.P0.sla_hours: expected a whole number ≥ 0 and ≤ 87,600, got str 'soon'"),
    ("priorities: [P0]\n", "priorities: expected a mapping, got list"),
    ("rules: [{name: x, pattern: a, priority: P2, escalations: [{priority: P1}]}]\n",
     "rules[0].escalations[0].min_count: expected a number, got NoneType"),
    ("labels: {priority: [P0]}\n", "labels.priority: expected a mapping, got list"),
    ("rules: [{name: x, pattern: a, sources: github}]\n", "rules[0].sources: expected a list, got str 'github'"),
    ("owners: [a]\n", "owners: expected a mapping, got list"),
    ("unresolved: {interval_minutes: often}\n", "unresolved.interval_minutes: expected a whole number ≥ 1"),
    ("unresolved: {levels: [P0]}\n", "unresolved.levels: expected a mapping, got list"),
    ("derived: {cost_overrun: {escalations: [{min_variance_pct: x, priority: P0}]}}\n",
     "derived.cost_overrun.escalations[0].min_variance_pct: expected a number, got str 'x'"),
    ("cloudwatch: {match: '(?<=ERROR)x'}\n", "cloudwatch.match: expected a regular expression RE2 accepts"),
    ("cloudwatch: {normalize: [['(unclosed', x]]}\n", "cloudwatch.normalize[0]: expected a regular expression RE2"),
    ("cloudwatch: {normalize: [just-a-pattern]}\n", "cloudwatch.normalize[0]: expected [pattern, replacement]"),
    ("sagemaker: {degradation: {min_drop: lots}}\n", "sagemaker.degradation.min_drop: expected a number ≥ 0"),
    ("priorities: {P0: null}\n", "priorities.P0.sla_hours is missing"),
    ("derived: {r2_drop: {threshold: big}}\n", "derived.r2_drop.threshold: expected a number ≥ 0, got str 'big'"),
    ("derived: {quarantine: {priority: P9}}\n", "derived.quarantine.priority: expected one of P0, P1, P2, P3"),
    ("sagemaker: {degradation: {category: Vibes}}\n", "sagemaker.degradation.category: expected one of"),
    ("cloudwatch: {window_days: 0}\n", "cloudwatch.window_days: expected a whole number ≥ 1"),
])
def test_a_hostile_rules_file_is_refused_naming_the_file_and_the_key(tmp_path, text, expected):
    message = refusal(tmp_path / "rules.yaml", text, lambda path: load_rules(path=str(path)), RulesError)
    assert expected in message, message


@pytest.mark.parametrize("order", ["ours first", "theirs first"])
def test_a_base_field_named_like_one_of_ours_that_the_map_moved_is_never_read_as_ours(order):
    """Map {Realized Cost: Actual Cost} on a base that also has a field of its own named "Realized Cost":
    ours is Actual Cost, whatever the order the fields come in (the last listed used to win)."""
    mapping = SchemaMapping.from_data({"fields": {"Stages": {"Realized Cost": "Actual Cost"}}})
    fields = {"Realized Cost": 999.0, "Actual Cost": 5.0, "Name": "x"}
    if order == "theirs first":
        fields = dict(reversed(list(fields.items())))
    assert mapping.to_logical_fields("Stages", fields) == {"Realized Cost": 5.0, "Name": "x"}


@pytest.mark.parametrize("start", ["20240901", "2024-W36-1", 20240901, 10**400, ["2024-09-02"]])
def test_a_recorded_plan_start_in_another_form_never_moves_the_partitions(tmp_path, monkeypatch, start):
    """Read as the validation reads it: not YYYY-MM-DD, so the earliest snapshot's day starts the partitions."""
    import datetime as dt

    from bqx_ops_tests.base_builder import minimal_base, write_snapshot

    monkeypatch.delenv("BQX_OPS_CONFIG", raising=False)
    monkeypatch.delenv("BQX_OPS_SCHEMA_MAP", raising=False)
    base = minimal_base()
    base["Plans"][0]["fields"]["Start Date"] = start
    write_snapshot(tmp_path / "data", dt.date(2024, 10, 9), base)
    assert config.resolve("local", tmp_path / "data").start_date == dt.date(2024, 10, 9)
