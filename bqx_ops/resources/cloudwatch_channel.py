"""The ``cloudwatch`` outbox channel: PutMetricData, PutDashboard and PutMetricAlarm.

An intent's payload is ``{"action": <API call>, "request": <its arguments>}``, timestamps as ISO
text. PutDashboard and PutMetricAlarm overwrite by name, so sending again after a crash changes
nothing; a PutMetricData sent twice adds the same datapoint twice, which leaves the Maximum the
dashboard and the alarms read unchanged (at least once, harmless).
"""

import datetime as dt

from bqx_ops.outbox.delivery import Intent

ACTIONS = ("put_metric_data", "put_dashboard", "put_metric_alarm")


def cloudwatch_request(intent: Intent) -> dict:
    action = intent.payload["action"]
    if action not in ACTIONS:
        raise ValueError(f"unknown cloudwatch action {action!r}")
    return {"action": action, "request": intent.payload["request"]}


def _boto_args(action: str, request: dict) -> dict:
    if action != "put_metric_data":
        return request
    data = [{**d, "Timestamp": dt.datetime.fromisoformat(d["Timestamp"].replace("Z", "+00:00"))}
            for d in request["MetricData"]]
    return {**request, "MetricData": data}


class CloudWatchChannel:
    def __init__(self, client):
        self.client = client

    def send(self, intent: Intent) -> str:
        call = cloudwatch_request(intent)
        action, request = call["action"], call["request"]
        response = getattr(self.client, action)(**_boto_args(action, request))
        if action == "put_dashboard":
            problems = response.get("DashboardValidationMessages") or []
            if problems:
                raise ValueError(f"dashboard {request['DashboardName']} refused: {problems}")
            return f"dashboard:{request['DashboardName']}"
        if action == "put_metric_alarm":
            return f"alarm:{request['AlarmName']}"
        return f"metrics:{request['Namespace']}:{len(request['MetricData'])}"

    def find_delivered(self, intent: Intent) -> str | None:
        return None  # sending again is safe (see the module docstring)
