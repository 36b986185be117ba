"""The Friday 16:00 schedule, and weeks whose snapshot lacks model results, costs or exists not at all."""

import datetime as dt

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.plan_update import assets, checks, outputs
from bqx_ops.defs.plan_update.definitions import domain_defs
from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.sample_runs import span, take_snapshots

UTC = dt.timezone.utc
PLAN = [*dg.load_assets_from_modules([assets, outputs]), *dg.load_asset_checks_from_modules([checks])]


def resolved(mode: str):
    defs = dg.Definitions.merge(domain_defs(mode), dg.Definitions(resources=build_resources("local", "/nonexistent")))
    return defs, defs.resolve_schedule_def("plan_update_schedule")


@pytest.mark.parametrize("tick, week", [
    (dt.datetime(2025, 12, 5, 16, tzinfo=UTC), "2025-11-28"),
    (dt.datetime(2026, 1, 2, 16, tzinfo=UTC), "2025-12-26"),  # across the year end
    (dt.datetime(2025, 8, 29, 16, tzinfo=UTC), "2025-08-22"),
    (dt.datetime(2025, 8, 22, 16, tzinfo=UTC), "2025-08-15"),  # the plan's first, partial, week (Mon 08-18 start)
])
def test_the_friday_schedule_requests_exactly_the_week_that_just_closed(tick, week):
    defs, schedule = resolved("local")
    with dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def()) as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == [week]
    window = PLAN_UPDATE_PARTITIONS.time_window_for_partition_key(week)
    assert window.end == tick and window.start == tick - dt.timedelta(days=7)


def test_the_schedule_runs_fridays_at_16_utc_stopped_locally_and_running_live():
    _, schedule = resolved("local")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 16 * * 5", "UTC")
    assert schedule.job_name == "plan_update_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert resolved("live")[1].default_status == dg.DefaultScheduleStatus.RUNNING


def test_a_week_without_model_results_or_costs_renders_no_data(tmp_path):
    base = edit(minimal_base(), "Stages", "recSTAGE000000001", Realized_Cost=None)
    base["Model Results"] = []
    for day in (dt.date(2025, 8, 22), dt.date(2025, 8, 29)):
        write_snapshot(tmp_path, day, base)
    resources = build_resources("local", tmp_path)
    take_snapshots(resources, "2025-08-22", "2025-08-29")
    result = dg.materialize(PLAN, resources=resources, tags=span("2025-08-22", "2025-08-22"))
    assert result.success
    report = resources["docs_repo"].read("docs/plan-updates/2025-08-29.md")
    assert "Budget: $650 estimated | realized: no data | variance: no data | budget spent: no data" in report
    assert "R²: Current: no data | Target 0.95-0.99 | Trend: no data" in report
    assert "_no data: the snapshot has no model results_" in report
    assert "_no data: no Done stage has a Realized Cost in this snapshot_" in report
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT realized_cost, variance_pct FROM plan.budget_variance").fetchall() == [(None, None)]
        assert conn.execute("SELECT current_r2, trend FROM plan.r2_trend").fetchall() == [(None, None)]
        assert conn.execute("SELECT count(*) FROM plan.r2_drops").fetchall() == [(0,)]
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["completed_stages_have_realized_cost"].passed  # 0.1 is Done without a cost
    assert evaluations["budget_variance_within_band"].passed  # nothing to compare: not a breach


def test_a_week_without_any_snapshot_runs_and_says_so(tmp_path):
    resources = build_resources("local", tmp_path)
    result = dg.materialize(PLAN, resources=resources, tags=span("2025-09-05", "2025-09-05"))
    assert result.success
    report = resources["docs_repo"].read("docs/plan-updates/2025-09-12.md")
    assert "_no data: no Airtable snapshot was taken on or before 2025-09-12_" in report
    # no data is not zero: the dashboard never says "Phases: 0 total"
    assert "No snapshot yet: no Airtable snapshot had been taken by 2025-09-12" in report
    assert "Phases: 0 total" not in report
