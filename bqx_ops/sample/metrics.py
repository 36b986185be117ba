"""The inference API's latency as CloudWatch would report it: daily p95 of API Gateway ``Latency``.

The API went live on API_LIVE. Its daily p95 sits around 60-85 ms, a little higher on Mondays
(cold starts after the weekend), until a heavier ensemble deployed on REGRESSION[0] pushes it
to 130-190 ms; the rollback on REGRESSION[1] brings it back. The dashboard must show that
week in red. Responses are GetMetricData's, one per month, timestamps as landed (ISO UTC).
"""

from __future__ import annotations

import datetime as dt

from bqx_ops.dashboard.latency import MetricSpec

from .aws import API_LIVE
from .timeline import at, d, days, rng

LATENCY_SPEC = MetricSpec("AWS/ApiGateway", "Latency", (("ApiName", "bqx-ml-inference"),))
LATENCY_SLUG = LATENCY_SPEC.slug
REGRESSION = (d("2026-05-11"), d("2026-05-20"))  # ensemble v6 deployed .. rolled back (last bad day)


def daily_p95_ms(day: dt.date) -> float:
    r = rng("latency", day)
    if REGRESSION[0] <= day <= REGRESSION[1]:
        return round(r.uniform(130, 190), 2)
    return round(r.uniform(58, 78) + (7 if day.weekday() == 0 else 0), 2)


def latency_month(first: dt.date, last: dt.date) -> dict | None:
    """GetMetricData for the days first..last of a month that the API was live, or None."""
    live = [day for day in days(max(first, API_LIVE), last)]
    if not live:
        return None
    return {"MetricDataResults": [{
        "Id": "p95", "Label": "Latency", "StatusCode": "Complete",
        "Timestamps": [at(day).isoformat() for day in live], "Values": [daily_p95_ms(day) for day in live],
    }], "Messages": []}

