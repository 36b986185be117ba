"""The assessment schedule fires on the four Fridays of the assessment's three weeks (draft at the 3-week
reminder, two weekly refreshes, final on the last Friday), for the quarter it is in."""

import datetime as dt

import dagster as dg

from bqx_ops.defs.assessment import definitions
from bqx_ops.defs.assessment.assets import ASSESSMENT_PARTITIONS
from bqx_ops.defs.assessment.schedules import assessment_job, assessment_schedule
from bqx_ops.resources.factory import build_resources

UTC = dt.timezone.utc


def resolved(mode: str = "local") -> dg.Definitions:
    return dg.Definitions.merge(definitions.domain_defs(mode),
                                dg.Definitions(resources=build_resources("local", "/nonexistent")))


def fridays_of_quarter_end_months(first: dt.date, last: dt.date) -> list[dt.datetime]:
    day, out = first, []
    while day <= last:
        if day.weekday() == 4 and day.month in (3, 6, 9, 12):
            out.append(dt.datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
        day += dt.timedelta(days=1)
    return out


def test_the_schedule_fires_on_the_four_fridays_of_the_three_weeks_with_the_quarter_key():
    defs = resolved()
    schedule, repository = defs.resolve_schedule_def("assessment_schedule"), defs.get_repository_def()
    fired = {}
    ticks = fridays_of_quarter_end_months(dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    assert len(ticks) == 16  # 4 Fridays in each of Sep, Dec 2025 and Mar, Jun 2026: the cron's superset
    for tick in ticks:
        with dg.build_schedule_context(scheduled_execution_time=tick, repository_def=repository) as context:
            result = schedule.evaluate_tick(context)
        if result.run_requests:
            (request,) = result.run_requests
            fired[tick.date()] = (request.partition_key, request.run_key)
        else:
            assert result.skip_message
    finals = {dt.date(2025, 9, 26): "2025-07-01", dt.date(2025, 12, 26): "2025-10-01",
              dt.date(2026, 3, 27): "2026-01-01", dt.date(2026, 6, 26): "2026-04-01"}
    expected = {}
    for final, key in finals.items():
        for weeks in (3, 2, 1, 0):  # the reminder is 3 weeks before the last Friday, always in the same month
            day = final - dt.timedelta(weeks=weeks)
            expected[day] = (key, f"assessment_360:{key}:{day.isoformat()}")
    assert fired == expected


def test_the_schedule_uses_the_calendar_cron_and_is_stopped_locally_running_live():
    assert assessment_schedule("local").cron_schedule == "0 9 * 3,6,9,12 5"
    assert assessment_schedule("local").default_status == dg.DefaultScheduleStatus.STOPPED
    assert assessment_schedule("live").default_status == dg.DefaultScheduleStatus.RUNNING


def test_the_open_quarter_exists_and_quarters_start_in_q3_2025():
    keys = ASSESSMENT_PARTITIONS.get_partition_keys(current_time=dt.datetime(2026, 6, 26, 9, tzinfo=UTC))
    assert keys == ["2025-07-01", "2025-10-01", "2026-01-01", "2026-04-01"]


def test_the_domain_defines_the_job_the_schedule_and_the_check():
    defs = resolved()
    assert defs.resolve_job_def("assessment_job").name == assessment_job.name
    graph = defs.resolve_asset_graph()
    for key in (["assessment", "quarterly_scores"], ["assessment", "proposed_updates"], ["assessment", "report"],
                ["assessment", "approval_request"], ["assessment", "approval_outcome"]):
        node = graph.get(dg.AssetKey(key))
        assert node.group_name == "assessment" and node.owners == ["team:ARCH-001"]
        assert node.partitions_def == ASSESSMENT_PARTITIONS and node.pools == {"duckdb"}
    assert sorted(k.name for k in graph.asset_check_keys) == ["all_seven_dimensions_present",
                                                               "approved_adjustments_in_airtable"]
    assert defs.resolve_sensor_def("assessment_approval_sensor").job_name == "assessment_approval_job"
    # the assessment job never applies anything: the approval job alone does, on RM-001's answer
    selected = defs.resolve_job_def("assessment_job").asset_layer.asset_graph.get_all_asset_keys()
    assert dg.AssetKey(["assessment", "approval_outcome"]) not in selected
