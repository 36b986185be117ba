"""API latency p95 from CloudWatch GetMetricData, one request shape and one parser for both modes.

Live mode lands each GetMetricData response (daily p95 of the configured metric) under
``landing/aws/metrics/<slug>/``; the sample writes the same shape. The dashboard's figure for a
week is the worst daily p95 among the days of the week that had ended by its as-of instant:
"< 100 ms p95" holds for the week only if it held every day.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import NamedTuple

from bqx_ops.base_schema import EARLIEST_DATE, LATEST_DATE, plausible_day
from bqx_ops.sanitize import visible

DAY = dt.timedelta(days=1)
QUERY_ID = "p95"


@dataclass(frozen=True)
class MetricSpec:
    """Which CloudWatch metric holds the inference API's latency (API Gateway ``Latency``,
    Lambda ``Duration`` or SageMaker ``ModelLatency``), and its unit's factor to milliseconds."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str = "p95"
    to_ms: float = 1.0  # SageMaker ModelLatency is in microseconds: 0.001

    @property
    def slug(self) -> str:
        """The landing folder: namespace and metric, filesystem-safe."""
        raw = f"{self.namespace}__{self.metric}"
        return "".join(c if c.isalnum() or c in "-_." else "_" for c in raw)


def request(spec: MetricSpec, start: dt.datetime, end: dt.datetime) -> dict:
    """GetMetricData arguments: the daily ``stat`` of [start, end) (whole UTC days)."""
    return {
        "MetricDataQueries": [{
            "Id": QUERY_ID,
            "MetricStat": {
                "Metric": {"Namespace": spec.namespace, "MetricName": spec.metric,
                           "Dimensions": [{"Name": n, "Value": v} for n, v in spec.dimensions]},
                "Period": 86400,
                "Stat": spec.stat,
            },
            "ReturnData": True,
        }],
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }


def merge_pages(pages: list[dict]) -> dict:
    """One response from GetMetricData's pages (NextToken): the query's points concatenated."""
    timestamps, values, messages, status = [], [], [], "Complete"
    for page in pages:
        for result in page.get("MetricDataResults") or []:
            if result.get("Id") == QUERY_ID:
                timestamps += list(result.get("Timestamps") or [])
                values += list(result.get("Values") or [])
                status = result.get("StatusCode", status)
        messages += list(page.get("Messages") or [])
    return {"MetricDataResults": [{"Id": QUERY_ID, "Label": QUERY_ID, "Timestamps": timestamps, "Values": values,
                                   "StatusCode": status}], "Messages": messages}


class DailyP95(NamedTuple):
    day: dt.date
    p95_ms: float


def _when(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class LatencyProblem(NamedTuple):
    problem: str
    day: dt.date | None = None  # the day of the point it concerns; None: the whole response


MAX_LATENCY_MS = 3_600_000  # an hour: a daily p95 beyond it is a broken point, not a slow API


def _day(stamp) -> dt.date | None | str:
    """The UTC day of a point's timestamp, or why it has none."""
    moment = _when(stamp)
    if moment is None:
        return "is not a time"
    try:
        day = moment.astimezone(dt.timezone.utc).date()
    except OverflowError:  # 0001-01-01 with a positive offset falls before year 1
        return f"is outside {EARLIEST_DATE} .. {LATEST_DATE}"
    return day if plausible_day(day) else f"is outside {EARLIEST_DATE} .. {LATEST_DATE}"


def parse_response(name: str, doc, spec: MetricSpec) -> tuple[list[DailyP95], list[LatencyProblem]]:
    """Daily points of one landed response, and a reason for every point or part left out. Two points
    of one day in one response (a period shorter than a day) keep the worst, said as a problem."""
    if not isinstance(doc, dict) or not isinstance(doc.get("MetricDataResults"), list):
        return [], [LatencyProblem(f"{name}: not a GetMetricData response (no MetricDataResults list)")]
    by_day: dict[dt.date, DailyP95] = {}
    problems = [LatencyProblem(f"{name}: CloudWatch says {visible(repr(m))[:120]}") for m in doc.get("Messages") or []
                ] if isinstance(doc.get("Messages"), list) else []  # an error of the whole query (a bad metric...)
    if doc.get("NextToken"):  # each point is a whole day's p95, so the points read stand; later days may lack one
        problems.append(LatencyProblem(f"{name}: only part of the answer (it ends with NextToken "
                                       f"{visible(repr(doc['NextToken']))[:40]}: the fetch stopped at a token that "
                                       "came back); days after its last point may have none"))
    ours = [r for r in doc["MetricDataResults"] if isinstance(r, dict) and r.get("Id") == QUERY_ID]
    if doc["MetricDataResults"] and not ours:  # its points would be dropped unsaid: a week of "no data" with no why
        ids = [visible(repr(r.get("Id") if isinstance(r, dict) else r))[:40] for r in doc["MetricDataResults"][:5]]
        problems.append(LatencyProblem(f"{name}: no result of the query {QUERY_ID!r} (results: {', '.join(ids)}); "
                                       "none of its points counted"))
    for result in ours:
        if result.get("StatusCode") not in (None, "Complete"):
            problems.append(LatencyProblem(f"{name}: status {visible(repr(result.get('StatusCode')))[:80]}: "
                                           "a later fetch completes it"))
        stamps, values = result.get("Timestamps") or [], result.get("Values") or []
        if not isinstance(stamps, list) or not isinstance(values, list) or len(stamps) != len(values):
            problems.append(LatencyProblem(f"{name}: Timestamps and Values do not pair up"))
            continue
        for stamp, value in zip(stamps, values):
            day = _day(stamp)
            shown = f"{name}: point {visible(repr(stamp))[:60]} = {visible(repr(value))[:60]}"
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
            if isinstance(day, str) or not ok:
                why = f"the time {day}" if isinstance(day, str) else "the value is not a non-negative number"
                problems.append(LatencyProblem(f"{shown}: {why}", None if isinstance(day, str) else day))
                continue
            ms = round(float(value) * spec.to_ms, 3)
            if ms > MAX_LATENCY_MS:
                problems.append(LatencyProblem(f"{shown}: {ms:g} ms is beyond {MAX_LATENCY_MS:,} ms: implausible", day))
                continue
            if day in by_day:
                problems.append(LatencyProblem(f"{shown}: a second point for {day}; the worst of the two counted", day))
                if ms <= by_day[day].p95_ms:
                    continue
            by_day[day] = DailyP95(day, ms)
    return [by_day[d] for d in sorted(by_day)], problems


def merge(files: list[tuple[str, list[DailyP95]]]) -> list[DailyP95]:
    """One point per day; files in name order, a later file's point for a day replaces an earlier one."""
    by_day = {}
    for _, rows in sorted(files, key=lambda f: f[0]):
        for row in rows:
            by_day[row.day] = row
    return [by_day[d] for d in sorted(by_day)]


def week_p95(points: list[DailyP95], as_of: dt.datetime) -> tuple[float, dt.date, int] | None:
    """(worst daily p95, its day, days counted) over the 7 whole days ended by ``as_of``; None: no data."""
    last = as_of.date()  # the day holding as_of has not ended (as_of at midnight: it starts now)
    ended = [p for p in points if last - 7 * DAY <= p.day < last]
    if not ended:
        return None
    worst = max(ended, key=lambda p: (p.p95_ms, p.day))
    return worst.p95_ms, worst.day, len(ended)
