"""The project's operational calendar: the one source of truth for cadence dates.

Partitions and schedules are derived from the ``Cadence`` objects here.

Semantics shared by every partitioned cadence: a partition is the period between
two cadence ticks and is keyed (as Dagster does) by the tick that opens it. The
run at a tick processes the period that just closed; that period's *as-of*
instant is its end, and its report is dated by the end's date.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
from dataclasses import dataclass
from typing import Callable

UTC = dt.timezone.utc
MONDAY, FRIDAY = 0, 4
QUARTER_END_MONTHS = (3, 6, 9, 12)


def naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    """The naive-UTC form DuckDB stores: aware values are converted, naive ones are taken as UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def last_weekday_of_month(year: int, month: int, weekday: int) -> dt.date:
    last = dt.date(year, month, _stdcal.monthrange(year, month)[1])
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def is_last_day_of_month(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def assessment_date(year: int, quarter: int) -> dt.date:
    """The 360 assessment: last Friday of the quarter."""
    return last_weekday_of_month(year, QUARTER_END_MONTHS[quarter - 1], FRIDAY)


def is_assessment_day(day: dt.date) -> bool:
    return day.month in QUARTER_END_MONTHS and day == last_weekday_of_month(day.year, day.month, FRIDAY)


def is_assessment_reminder_day(day: dt.date) -> bool:
    """Three weeks before the quarter's 360 assessment (always in the same month)."""
    return is_assessment_day(day + dt.timedelta(weeks=3))


@dataclass(frozen=True)
class Cadence:
    """A recurring activity of the seed's operational calendar.

    ``cron`` is what a scheduler can express; ``keep`` narrows cron ticks to the
    real rule where cron cannot say it (e.g. "last Friday of the quarter").
    """

    name: str
    title: str
    cron: str
    role: str  # who owns it: a key of the configuration's roles (bqx_ops.config.RolesSection)
    keep: Callable[[dt.date], bool] | None = None

    @property
    def owner(self) -> str:
        """The owner's name in the current configuration."""
        from bqx_ops.config import person

        return person(self.role)

    def is_due(self, when: dt.datetime) -> bool:
        """True if ``when`` (UTC) is exactly one of this cadence's ticks."""
        when = when.astimezone(UTC)
        minute, hour, dom, month, dow = self.cron.split()
        if when.second or when.microsecond:
            return False
        if not (_match(minute, when.minute) and _match(hour, when.hour)):
            return False
        if not (_match(dom, when.day) and _match(month, when.month)):
            return False
        if not _match(dow, (when.weekday() + 1) % 7):  # cron: 0 = Sunday
            return False
        return self.keep(when.date()) if self.keep else True

    def ticks(self, start: dt.date, end: dt.date) -> list[dt.datetime]:
        """Every tick with a date in [start, end], computed without cron libraries."""
        minute, hour = (int(x) for x in self.cron.split()[:2])
        out = []
        day = start
        while day <= end:
            when = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            if self.is_due(when):
                out.append(when)
            day += dt.timedelta(days=1)
        return out


def _match(field: str, value: int) -> bool:
    if field == "*":
        return True
    for part in field.split(","):
        if "-" in part:
            lo, hi = (int(x) for x in part.split("-"))
            if lo <= value <= hi:
                return True
        elif int(part) == value:
            return True
    return False


# -- the four operational stages (seed: "Operational Calendar") -------------
WEEKLY_SYNC = Cadence("weekly_sync", "Repository & Documentation Sync", "0 9 * * 1", "coordinator")
PLAN_UPDATE = Cadence("plan_update", "Airtable Plan Updates", "0 16 * * 5", "coordinator")
ISSUE_REVIEW = Cadence("issue_review", "Issue Resolution Review", "0 10 1,15 * *", "qa")
ASSESSMENT = Cadence(
    "assessment_360", "360 Plan Assessment", "0 9 * 3,6,9,12 5", "architect", keep=is_assessment_day
)

# -- reminders (seed: "Airtable Automation") --------------------------------
PLAN_UPDATE_REMINDER = Cadence(
    "plan_update_reminder", "Plan updates due at 16:00 UTC", "0 15 * * 5", "coordinator"
)
ISSUE_REVIEW_REMINDER = Cadence(
    "issue_review_reminder",
    "Issue review due tomorrow at 10:00 UTC",
    "0 10 14,28-31 * *",
    "qa",
    keep=lambda d: d.day == 14 or is_last_day_of_month(d),
)
ASSESSMENT_REMINDER = Cadence(
    "assessment_reminder",
    "360 assessment in three weeks",
    "0 9 * 3,6,9,12 5",
    "architect",
    keep=is_assessment_reminder_day,
)

# The success-metrics dashboard follows the sync, whose outputs it reads.
DASHBOARD = Cadence("dashboard", "Success Metrics Dashboard", "0 11 * * 1", "coordinator")

CADENCES = (WEEKLY_SYNC, PLAN_UPDATE, ISSUE_REVIEW, ASSESSMENT, DASHBOARD)
REMINDERS = (PLAN_UPDATE_REMINDER, ISSUE_REVIEW_REMINDER, ASSESSMENT_REMINDER)


@dataclass(frozen=True)
class Period:
    """A period of a cadence: [start, end), reported as of ``end``; a period still open is read as
    of ``read_at`` (now) instead. ``key`` is its partition key, when it has one."""

    start: dt.datetime
    end: dt.datetime
    key: str = ""
    read_at: dt.datetime | None = None

    @property
    def as_of(self) -> dt.datetime:
        return self.end if self.read_at is None else min(self.end, self.read_at)

    @property
    def in_progress(self) -> bool:
        return self.as_of < self.end

    @property
    def report_date(self) -> dt.date:
        """Its end, or its as-of day while in progress: never a date after the data it shows."""
        return self.as_of.date() if self.in_progress else self.end.date()


def first_tick(cadence: Cadence, start: dt.date) -> dt.datetime:
    """The tick opening the period that holds ``start`` (00:00 UTC): the plan's first period is
    real even when partial, so the first Friday after a Monday start gets its plan update."""
    begin = dt.datetime(start.year, start.month, start.day, tzinfo=UTC)
    return [t for t in cadence.ticks(start - dt.timedelta(days=400), start) if t <= begin][-1]


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_for(cadence: Cadence, start: dt.datetime) -> Period:
    """The period opened by the tick ``start`` (a partition's window)."""
    start = start.astimezone(UTC)
    probe = start.date() + dt.timedelta(days=1)
    while True:
        for tick in cadence.ticks(probe, probe):
            return Period(start, tick)
        probe += dt.timedelta(days=1)
