"""The success metrics as CloudWatch custom metrics, their dashboard and alarms (pure: request payloads).

One namespace; every metric carries a ``Section`` dimension (operational or project health).
A metric with no value that week ("no data") is not published: nothing is invented. The
dashboard body and the alarms are generated from METRICS, so they always match what is
published, and they are byte-identical from one week to the next (PutDashboard and
PutMetricAlarm then change nothing).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

WEEK_SECONDS = 7 * 86400


class Metric(NamedTuple):
    indicator: str  # the dashboard row (indicators.py) or an extra fact
    name: str  # CloudWatch MetricName (ASCII)
    unit: str  # CloudWatch StandardUnit
    section: str  # the Section dimension


METRICS = (
    Metric("Repository Sync", "RepositorySyncAgeDays", "None", "Operational"),
    Metric("Airtable Updates", "PlanUpdateAgeDays", "None", "Operational"),
    Metric("Issue Review", "IssueReviewAgeDays", "None", "Operational"),  # days since the last review
    Metric("P0 Issues", "P0IssuesPastSLA", "Count", "Operational"),
    Metric("P1 Issues", "P1IssuesPastSLA", "Count", "Operational"),
    Metric("Documentation Drift", "DocumentationDriftDays", "None", "Operational"),
    Metric("Plan Alignment", "PlanAlignmentPercent", "Percent", "Operational"),
    Metric("360 Assessments", "AssessmentsThisYear", "Count", "Operational"),
    Metric("R² (Ensemble)", "EnsembleR2", "None", "Project"),
    Metric("API Latency", "ApiLatencyP95", "Milliseconds", "Project"),
    Metric("Model Drift", "ModelDriftAlerts", "Count", "Project"),
    Metric("Budget Variance", "BudgetVariancePercent", "Percent", "Project"),
    Metric("Timeline Variance", "TimelineVariancePercent", "Percent", "Project"),
    Metric("Cost/Month", "CostMonthToDateUSD", "None", "Project"),
)
BY_NAME = {m.name: m for m in METRICS}


class Alarm(NamedTuple):
    suffix: str
    metric: str
    threshold: float
    description: str


# seed: sync weekly (escalated after 3 days late), a review every 1st and 15th (at most 17 days apart), no old P0
ALARMS = (
    Alarm("missed-sync", "RepositorySyncAgeDays", 7, "The weekly repository & docs sync was missed."),
    Alarm("overdue-review", "IssueReviewAgeDays", 17, "The bi-weekly issue review is overdue."),
    # the P0 issues past the team's P0 SLA (its triage rules; the seed's 24 h), which the description names
    Alarm("p0-issues", "P0IssuesPastSLA", 0, "P0 issues open for more than {p0_sla:g} hours."),
)


def dimensions(metric: Metric) -> list[dict]:
    return [{"Name": "Section", "Value": metric.section}]


def metric_data(values: dict[str, float | None], as_of: dt.datetime, namespace: str) -> dict:
    """PutMetricData arguments of one week: every indicator with a value, at the week's as-of instant."""
    data = []
    for metric in METRICS:
        value = values.get(metric.indicator)
        if value is None:
            continue
        data.append({"MetricName": metric.name, "Dimensions": dimensions(metric),
                     "Timestamp": as_of.strftime("%Y-%m-%dT%H:%M:%SZ"), "Value": round(float(value), 6),
                     "Unit": metric.unit})
    return {"Namespace": namespace, "MetricData": data}


def dashboard_body(namespace: str, region: str, alarm_prefix: str) -> str:
    """The CloudWatch dashboard: a title, then one weekly time series per metric, two per row."""
    widgets = [{"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {
        "markdown": f"# Operational health\nThe success metrics, published weekly to `{namespace}`. "
                    f"Alarms: {', '.join(f'`{alarm_prefix}-{a.suffix}`' for a in ALARMS)}."}}]
    for i, metric in enumerate(METRICS):
        alarm = next((a for a in ALARMS if a.metric == metric.name), None)
        properties = {
            "title": f"{metric.indicator} ({metric.section})",
            "metrics": [[namespace, metric.name, "Section", metric.section]],
            "period": WEEK_SECONDS, "stat": "Maximum", "region": region, "view": "timeSeries",
        }
        if alarm:
            properties["annotations"] = {"horizontal": [{"label": f"alarm > {alarm.threshold:g}",
                                                         "value": alarm.threshold}]}
        widgets.append({"type": "metric", "x": 12 * (i % 2), "y": 2 + 6 * (i // 2), "width": 12, "height": 6,
                        "properties": properties})
    return json.dumps({"widgets": widgets}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def alarm_requests(namespace: str, alarm_prefix: str, topic_arn: str | None, p0_sla: float = 24) -> list[dict]:
    """PutMetricAlarm arguments: missing weeks keep the alarm's state (metrics are weekly). ``p0_sla``: the P0
    SLA in hours of the triage rules, past which the dashboard counts a P0."""
    out = []
    for alarm in ALARMS:
        metric = BY_NAME[alarm.metric]
        request = {
            "AlarmName": f"{alarm_prefix}-{alarm.suffix}", "AlarmDescription": alarm.description.format(p0_sla=p0_sla),
            "Namespace": namespace, "MetricName": metric.name, "Dimensions": dimensions(metric),
            "Statistic": "Maximum", "Period": 86400, "EvaluationPeriods": 1, "Threshold": float(alarm.threshold),
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "ignore",
            "ActionsEnabled": bool(topic_arn),
        }
        if topic_arn:
            request["AlarmActions"] = [topic_arn]
            request["OKActions"] = [topic_arn]
        out.append(request)
    return out
