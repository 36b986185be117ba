"""The operational calendar, pinned against dates computed independently (2024-2027).

Expected dates come from plain stdlib arithmetic written here, never from
bqx_ops.calendar; schedules are evaluated the way Dagster evaluates them (its
own cron iterator feeding build_schedule_context).
"""

import calendar as stdcal
import datetime as dt

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator

from bqx_ops import calendar as cal
from bqx_ops.config import project_start
from bqx_ops.defs.cadence.partitions import (
    ISSUE_REVIEW_PARTITIONS,
    PLAN_UPDATE_PARTITIONS,
    WEEKLY_SYNC_PARTITIONS,
)
from bqx_ops.defs.cadence.schedules import reminder_schedules

UTC = dt.timezone.utc
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2027, 12, 31)


def every_day():
    day = FIRST
    while day <= LAST:
        yield day
        day += dt.timedelta(days=1)


def last_friday(year: int, month: int) -> dt.date:
    # Independent of bqx_ops: scan the month backwards for a Friday.
    day = dt.date(year, month, stdcal.monthrange(year, month)[1])
    while day.isoweekday() != 5:
        day -= dt.timedelta(days=1)
    return day


def dagster_schedule_dates(schedule: dg.ScheduleDefinition) -> list[dt.datetime]:
    """Run the schedule on every tick Dagster would produce in 2024-2027."""
    fired = []
    start = dt.datetime(2024, 1, 1, tzinfo=UTC).timestamp() - 1
    for tick in cron_string_iterator(start, schedule.cron_schedule, "UTC"):
        if tick.date() > LAST:
            break
        with dg.build_schedule_context(scheduled_execution_time=tick) as context:
            result = schedule.evaluate_tick(context)
        if result.run_requests:
            fired.append(tick.astimezone(UTC))
    return fired


def test_the_2025_assessments_fall_on_the_dates_the_seed_names():
    assert [cal.assessment_date(2025, q) for q in (1, 2, 3, 4)] == [
        dt.date(2025, 3, 28), dt.date(2025, 6, 27), dt.date(2025, 9, 26), dt.date(2025, 12, 26)
    ]


def test_assessment_cadence_ticks_on_the_last_friday_of_each_quarter_only():
    expected = [
        dt.datetime.combine(last_friday(y, m), dt.time(9), UTC)
        for y in range(2024, 2028) for m in (3, 6, 9, 12)
    ]
    assert cal.ASSESSMENT.ticks(FIRST, LAST) == expected


@pytest.mark.parametrize(
    ("cadence", "is_tick", "hour"),
    [
        (cal.WEEKLY_SYNC, lambda d: d.isoweekday() == 1, 9),
        (cal.PLAN_UPDATE, lambda d: d.isoweekday() == 5, 16),
        (cal.ISSUE_REVIEW, lambda d: d.day in (1, 15), 10),
    ],
    ids=["monday-sync", "friday-plan-update", "bi-weekly-review"],
)
def test_stage_cadences_tick_at_the_seed_times(cadence, is_tick, hour):
    expected = [dt.datetime.combine(d, dt.time(hour), UTC) for d in every_day() if is_tick(d)]
    assert cadence.ticks(FIRST, LAST) == expected


@pytest.mark.parametrize(
    ("partitions", "weekday_or_days", "hour", "open_periods"),
    [(WEEKLY_SYNC_PARTITIONS, "mon", 9, 1), (PLAN_UPDATE_PARTITIONS, "fri", 16, 0),
     (ISSUE_REVIEW_PARTITIONS, "1/15", 10, 0)],
    ids=["sync-with-open-week", "plan-update", "issue-review"],
)
def test_partitions_are_the_periods_between_consecutive_ticks(partitions, weekday_or_days, hour, open_periods):
    now = dt.datetime(2027, 12, 31, 23, tzinfo=UTC)
    keys = partitions.get_partition_keys(current_time=now)
    match = {
        "mon": lambda d: d.isoweekday() == 1,
        "fri": lambda d: d.isoweekday() == 5,
        "1/15": lambda d: d.day in (1, 15),
    }[weekday_or_days]
    ticks = [dt.datetime.combine(d, dt.time(hour), UTC) for d in every_day() if match(d)]
    # The first period is the one holding the project's start (00:00 UTC), even when partial.
    start = dt.datetime.combine(project_start(), dt.time(), UTC)
    ticks = ticks[max(i for i, t in enumerate(ticks) if t <= start):]
    # Closed periods, plus the open one where a cadence needs it (the sync's 24-hour SLA).
    assert keys == [t.strftime("%Y-%m-%d") for t in ticks[: len(ticks) - 1 + open_periods]]
    window = partitions.time_window_for_partition_key(keys[10])
    assert (window.start, window.end) == (ticks[10], ticks[11])


def test_a_period_is_reported_as_of_its_closing_tick():
    period = cal.period_for(cal.ISSUE_REVIEW, dt.datetime(2025, 11, 1, 10, tzinfo=UTC))
    assert period.as_of == dt.datetime(2025, 11, 15, 10, tzinfo=UTC)
    assert period.report_date == dt.date(2025, 11, 15)


def test_reminder_schedules_fire_exactly_on_the_seed_reminder_days():
    schedules = {s.name: s for s in reminder_schedules("local")}
    plan = dagster_schedule_dates(schedules["plan_update_reminder_schedule"])
    assert plan == [dt.datetime.combine(d, dt.time(15), UTC) for d in every_day() if d.isoweekday() == 5]

    review = dagster_schedule_dates(schedules["issue_review_reminder_schedule"])
    assert review == [
        dt.datetime.combine(d, dt.time(10), UTC)
        for d in every_day()
        if d.day == 14 or d.day == stdcal.monthrange(d.year, d.month)[1]
    ]

    quarterly = dagster_schedule_dates(schedules["assessment_reminder_schedule"])
    assert quarterly == [
        dt.datetime.combine(last_friday(y, m) - dt.timedelta(days=21), dt.time(9), UTC)
        for y in range(2024, 2028) for m in (3, 6, 9, 12)
    ]


def test_a_reminder_tick_requests_one_idempotent_run_for_its_day():
    schedule = {s.name: s for s in reminder_schedules("local")}["issue_review_reminder_schedule"]
    tick = dt.datetime(2026, 2, 28, 10, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.run_key == "issue_review_reminder:2026-02-28"
    assert request.run_config["ops"]["enqueue_reminder"]["config"]["reminder"] == "issue_review_reminder"


def test_schedules_are_stopped_locally_and_running_live():
    assert {s.default_status for s in reminder_schedules("local")} == {dg.DefaultScheduleStatus.STOPPED}
    assert {s.default_status for s in reminder_schedules("live")} == {dg.DefaultScheduleStatus.RUNNING}
