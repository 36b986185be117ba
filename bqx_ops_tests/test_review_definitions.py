"""The issue-review domain: its schedule, job and definitions in both modes."""

import datetime as dt

import dagster as dg
import pytest

from bqx_ops.defs.issue_review.definitions import domain_defs
from bqx_ops.defs.issue_review.schedules import issue_review_schedule
from bqx_ops.resources.factory import build_resources

UTC = dt.timezone.utc


def defs(mode, data_dir) -> dg.Definitions:
    return dg.Definitions.merge(domain_defs(mode), dg.Definitions(
        resources=build_resources(mode, data_dir),
        executor=dg.in_process_executor))


@pytest.mark.parametrize("tick, period", [
    (dt.datetime(2026, 3, 15, 10, tzinfo=UTC), "2026-03-01"),  # 1st -> 15th just closed
    (dt.datetime(2026, 3, 1, 10, tzinfo=UTC), "2026-02-15"),  # 15th -> 1st just closed
    (dt.datetime(2026, 1, 1, 10, tzinfo=UTC), "2025-12-15"),
])
def test_the_schedule_reviews_the_period_that_just_closed(tmp_path, tick, period):
    schedule = issue_review_schedule("local")
    repository = defs("local", tmp_path).get_repository_def()
    context = dg.build_schedule_context(scheduled_execution_time=tick, repository_def=repository)
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == period and request.run_key == f"issue_review:{period}"


def test_the_schedule_runs_on_the_1st_and_15th_at_10_utc_stopped_locally_running_live():
    local, live = issue_review_schedule("local"), issue_review_schedule("live")
    assert local.cron_schedule == "0 10 1,15 * *" and local.execution_timezone == "UTC"
    assert local.default_status == dg.DefaultScheduleStatus.STOPPED
    assert live.default_status == dg.DefaultScheduleStatus.RUNNING
    skipped = local.evaluate_tick(dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 3, 2, 10, tzinfo=UTC)))
    assert not skipped.run_requests and "is not a tick of issue_review" in skipped.skip_message


@pytest.mark.parametrize("mode", ["local", "live"])
def test_the_domain_loads_with_its_resources_without_credentials_or_network(tmp_path, mode):
    loaded = defs(mode, tmp_path)
    job = loaded.resolve_job_def("issue_review_job")
    assert job.executor_def is dg.in_process_executor
    assert sorted(job.asset_layer.executable_asset_keys) == sorted(
        k for k in loaded.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "review")
    graph = loaded.resolve_asset_graph()
    review_keys = [k for k in graph.get_all_asset_keys() if k.path[0] == "review"]
    assert len(review_keys) == 8
    for key in review_keys:
        node = graph.get(key)
        assert node.description and node.group_name == "issue_review" and node.owners == ["team:QA-001"]
        assert node.kinds and node.partitions_def is not None, key
    assert sorted(k.name for k in graph.asset_check_keys) == [
        "every_issue_is_triaged", "every_p0_p1_has_an_action_item",
        "no_p0_open_longer_than_24_hours", "no_p1_open_longer_than_a_week"]
