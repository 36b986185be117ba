"""Sample-wide constants and calendar helpers (no I/O, no randomness)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

SAMPLE_START = dt.date(2025, 8, 18)
SAMPLE_END = dt.date(2026, 6, 30)
SAMPLE_REPO = "bqx-labs/bqx-ml"
LOG_GROUPS = ("/aws/lambda/bqx-ml-inference", "/aws/sagemaker/TrainingJobs", "/bqx-ml/pipeline")

SEED = "bqx-ml-sample-v1"
UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def days(start: dt.date, end: dt.date):
    """Every date in [start, end]."""
    day = start
    while day <= end:
        yield day
        day += DAY


def is_month_end(day: dt.date) -> bool:
    return (day + DAY).month != day.month


def is_snapshot_day(day: dt.date) -> bool:
    """Mondays, Fridays, the 1st, the 15th and the last day of each month."""
    return day.weekday() in (0, 4) or day.day in (1, 15) or is_month_end(day)


def snapshot_dates(start: dt.date = SAMPLE_START, end: dt.date = SAMPLE_END) -> list[dt.date]:
    return [day for day in days(start, end) if is_snapshot_day(day)]


def airtable_time(day: dt.date, hour: int = 8) -> str:
    """Airtable's timestamp format; every story change happens at 08:00 UTC."""
    return f"{day.isoformat()}T{hour:02d}:00:00.000Z"


def github_time(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(day: dt.date, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def rng(*parts: object) -> random.Random:
    """A ``random.Random`` seeded from a string: stable across processes and Python runs."""
    return random.Random("|".join([SEED, *map(str, parts)]))


def digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest(), "big")


ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        chars.append(ALNUM[rest])
    return "".join(chars)
