"""The project configuration: validation that names the file and the key, and the lookup order."""

import datetime as dt

import pytest

from bqx_ops import config
from bqx_ops.calendar import ISSUE_REVIEW, PLAN_UPDATE, WEEKLY_SYNC, first_tick
from bqx_ops_tests.base_builder import minimal_base, write_snapshot

UTC = dt.timezone.utc


def refusal(path, text: str, load, error) -> str:
    """The message of the ``error`` that ``load(path)`` raises once ``text`` is written to ``path``; it
    names the file."""
    path.write_text(text)
    with pytest.raises(error) as info:
        load(path)
    assert str(path) in str(info.value), str(info.value)
    return str(info.value)


def test_the_sample_configuration_is_valid_and_complete():
    cfg = config.load_config(config.SAMPLE_CONFIG)
    assert cfg.start_date == dt.date(2025, 8, 18) and cfg.project.plan_id == "MP-BQX_ML-001"
    assert cfg.docs_dir() == "bqx-ml" and cfg.recurring_stages.matches("10.7", "anything")


@pytest.mark.parametrize(("text", "expected"), [
    ("project: {nam: x}\n", "project.nam: Extra inputs are not permitted"),
    ("start_date: 2025-13-01\n", "start_date: Input should be a valid date"),
    ("targets: {r2_max: 1.5}\n", "targets.r2_max: Input should be less than or equal to 1"),
    ("cost_budget_per_month: -1\n", "cost_budget_per_month: Input should be greater than or equal to 0"),
    ("cost_budget_per_month: .inf\n", "cost_budget_per_month: Input should be a finite number"),
    ("targets: {r2_min: 0.99, r2_max: 0.9}\n", "targets: Value error, r2_min 0.99 is above r2_max 0.9"),
    ("targets: {days_min: 90, days_max: 60}\n", "targets: Value error, days_min 90 is above days_max 60"),
    ("start_date: 0001-01-01\n", "start_date: Input should be greater than or equal to 2000-01-01"),
    ("github_repo: 'a/b/../../c'\n", "github_repo: String should match pattern"),
    ("schema_map: {options: {Stages: {Status: {Complete: Finished}}}}\n",
     "schema_map: Value error, schema mapping inline: options: Stages.Status: 'Finished' is not one of"),
    ("- a list\n", "expected a mapping"),
    ('project: {name: "Acme\\n# Injected"}\n', "project.name: Value error, one line of text, without control"),
    ('project: {goal: "ding\\a"}\n', "project.goal: Value error, one line of text"),
    ("slack: {channel: '#ops <!here>'}\n", "slack.channel: String should match pattern"),
    ('reminders: {plan_update: ["ML-001\\nX"]}\n', "reminders.plan_update: Value error, one line of text"),
    ("docs_repo: {dir_name: ../../etc}\n", "docs_repo.dir_name: Value error, one folder name inside the data dir"),
    ("docs_repo: {dir_name: landing}\n", "docs_repo.dir_name: Value error, one folder name"),
    ("docs_repo: {branch: --upload-pack=touch}\n", "docs_repo.branch: Value error, a branch name"),
    ("docs_repo: {branch: a..b}\n", "docs_repo.branch: Value error, a branch name"),
    ("docs_repo: {remote_url: --upload-pack=touch}\n", "docs_repo.remote_url: Value error, a git remote"),
    ("project: [unclosed\n", "not valid YAML"),
    ("aws: {metrics_namespace: \"Ops\\x85\"}\n", "aws.metrics_namespace: String should match pattern"),
    ("aws: {metrics_namespace: AWS/Lambda}\n", "aws.metrics_namespace: Value error, AWS/ namespaces are AWS's own"),
    ("aws: {metrics_namespace: Prévisions}\n", "aws.metrics_namespace: String should match pattern"),
])
def test_a_bad_file_is_refused_naming_the_file_and_the_key(tmp_path, text, expected):
    assert expected in refusal(tmp_path / "team.yaml", text, config.load_config, config.ConfigError)


def test_names_that_only_take_ascii_keep_the_letters_of_a_non_ascii_project_name(tmp_path, monkeypatch):
    from bqx_ops import settings

    path = tmp_path / "team.yaml"
    path.write_text("project: {name: \"Prévisions Météo 中文 🌦\"}\n")
    monkeypatch.setenv("BQX_OPS_CONFIG", str(path))
    cfg = config.load_config(path)
    assert cfg.docs_dir() == "previsions-meteo"
    monkeypatch.setattr(config, "current", lambda *a, **k: cfg)
    assert settings.cloudwatch_names() == {"dashboard": "previsions-meteo-operational-health",
                                           "namespace": "Previsions Meteo"}


def test_a_recorded_plan_name_on_several_lines_becomes_one_line_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.delenv("BQX_OPS_CONFIG", raising=False)
    monkeypatch.delenv("BQX_OPS_SCHEMA_MAP", raising=False)
    base = minimal_base()
    base["Plans"][0]["fields"].update({"Name": "Acme\n# Injected\x07 heading", "Goal": "g" * 500, "Plan ID": "AC\t7"})
    write_snapshot(tmp_path / "data", dt.date(2024, 10, 9), base)
    derived = config.resolve("local", tmp_path / "data")
    assert derived.project.name == "Acme # Injected\\x07 heading" and derived.project.plan_id is None  # the first Active plan
    assert len(derived.project.goal) == 200 and derived.project.goal.endswith("…")


def test_an_implausible_snapshot_folder_or_plan_start_never_starts_the_partitions_in_year_one(tmp_path, monkeypatch):
    monkeypatch.delenv("BQX_OPS_CONFIG", raising=False)
    monkeypatch.delenv("BQX_OPS_SCHEMA_MAP", raising=False)
    base = minimal_base()
    base["Plans"][0]["fields"]["Start Date"] = "0001-01-01"
    write_snapshot(tmp_path / "data", dt.date(2024, 10, 9), base)
    (tmp_path / "data" / "landing" / "airtable" / "0001-01-01").mkdir()  # not a snapshot folder
    derived = config.resolve("local", tmp_path / "data")
    assert derived.start_date == dt.date(2024, 10, 9)


def test_lookup_order_env_file_then_data_dir_then_landing_zone(tmp_path, monkeypatch):
    monkeypatch.delenv("BQX_OPS_CONFIG", raising=False)
    monkeypatch.delenv("BQX_OPS_SCHEMA_MAP", raising=False)
    data = tmp_path / "data"
    # nothing at all, local mode: the sample (embedded mode writes it on first use)
    assert config.resolve("local", data).project.name == "BQX-ML"
    # live mode without a start date: a clear error where the start is needed (the partitions)
    with pytest.raises(config.ConfigError, match="start_date: live mode needs the plan's start date"):
        config.project_start(config.resolve("live", data), "live")
    # a recorded landing zone: its Plans record
    base = minimal_base()
    base["Plans"][0]["fields"].update({"Name": "Acme Forecast", "Plan ID": "AC-7", "Start Date": "2024-10-07"})
    write_snapshot(data, dt.date(2024, 10, 9), base)
    derived = config.resolve("local", data)
    assert (derived.project.name, derived.project.plan_id, derived.start_date) == ("Acme Forecast", "AC-7",
                                                                                   dt.date(2024, 10, 7))
    assert derived.docs_dir() == "acme-forecast"
    # a file in the data dir wins over the landing zone, the file named by BQX_OPS_CONFIG over both
    (data / "bqx_ops.yaml").write_text("project: {name: Local}\nstart_date: 2024-01-01\n")
    assert config.resolve("live", data).project.name == "Local"
    named = tmp_path / "named.yaml"
    named.write_text("project: {name: Named}\nstart_date: 2024-02-01\n")
    monkeypatch.setenv("BQX_OPS_CONFIG", str(named))
    assert config.resolve("local", data).start_date == dt.date(2024, 2, 1)


@pytest.mark.parametrize(("cadence", "start", "key"), [
    (PLAN_UPDATE, dt.date(2025, 8, 18), "2025-08-15"),  # Monday start: the week closing Friday 08-22
    (ISSUE_REVIEW, dt.date(2025, 8, 18), "2025-08-15"),  # the period closing 09-01
    (WEEKLY_SYNC, dt.date(2024, 10, 7), "2024-09-30"),  # Monday 00:00 is before the 09:00 tick
    (ISSUE_REVIEW, dt.date(2024, 10, 15), "2024-10-01"),  # 00:00 on the 15th is before its 10:00 tick
])
def test_the_first_period_is_the_one_holding_the_start(cadence, start, key):
    assert first_tick(cadence, start).strftime("%Y-%m-%d") == key
