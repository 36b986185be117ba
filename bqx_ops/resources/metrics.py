"""The inference API's latency: CloudWatch GetMetricData responses, landed under landing/aws/metrics/<slug>/."""

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field as PField

from bqx_ops.dashboard.latency import MetricSpec, merge_pages, request
from bqx_ops.landing import Landing, write_json
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.paging import followed_pages


MAX_PAGES = 10_000  # two weeks of one daily metric is one page


class LatencySource(dg.ConfigurableResource):
    """Where the latency responses come from; the metric is configuration (see settings.latency_spec)."""

    data_dir: str = PField(description="Data dir holding landing/aws/metrics/<slug>/*.json.")
    namespace: str = PField(default="", description="CloudWatch namespace (default: the configuration's aws.latency).")
    metric: str = PField(default="", description="Metric name: Latency, Duration or ModelLatency (idem).")
    dimensions: dict[str, str] = PField(default_factory=dict, description="Dimensions selecting the API.")
    stat: str = PField(default="p95", description="Percentile statistic.")
    to_ms: float = PField(default=1.0, description="Factor from the metric's unit to milliseconds.")

    @property
    def spec(self) -> MetricSpec | None:
        """The metric set on the resource, else the configuration's ``aws.latency``; None: not configured."""
        if self.metric:
            return MetricSpec(self.namespace, self.metric, tuple(sorted(self.dimensions.items())), self.stat,
                              self.to_ms)
        from bqx_ops import config as project_config

        latency = project_config.current(data_dir=self.data_dir).aws.latency
        if latency is None:
            return None
        return MetricSpec(latency.namespace, latency.metric, tuple(sorted(latency.dimensions.items())), latency.stat,
                          latency.to_ms)

    def files(self) -> list[Path]:
        if self.spec is None:
            return []
        folder = Landing(self.data_dir).metrics_dir(self.spec.slug)
        return sorted(folder.glob("*.json")) if folder.is_dir() else []

    def land(self, today: dt.date) -> list[str]:
        """Bring the landing zone up to date; returns the files written."""
        return []


class EmbeddedLatency(LatencySource):
    """Replays the recorded responses (the bundled sample writes them)."""


class LiveLatency(LatencySource):
    """GetMetricData for the last ``days`` whole days (pages merged), landed as one file per fetch window."""

    aws: AwsClients
    days: int = PField(default=15, description="Whole days fetched back from today (two dashboard weeks).")

    def land(self, today: dt.date) -> list[str]:
        if self.spec is None:
            return []
        end = dt.datetime.combine(today, dt.time(), dt.timezone.utc)
        start = end - dt.timedelta(days=self.days)
        client = self.aws.client("cloudwatch")
        pages = list(followed_pages(lambda token: client.get_metric_data(
            **request(self.spec, start, end) | ({"NextToken": token} if token else {})), "NextToken", MAX_PAGES))
        token = pages[-1].get("NextToken")  # still there: it came back, followed it would never end (a problem)
        response = merge_pages(pages) | ({"NextToken": token} if token else {})
        for result in response["MetricDataResults"]:  # land JSON: datetimes as ISO text
            result["Timestamps"] = [t.isoformat() if isinstance(t, dt.datetime) else t for t in result["Timestamps"]]
        path = Landing(self.data_dir).metrics_dir(self.spec.slug) / f"{start.date().isoformat()}.json"
        write_json(path, response)
        return [path.name]
