"""Run-time settings read from the environment (never secrets: those go through dg.EnvVar)."""

from __future__ import annotations

import os
from pathlib import Path

MODES = ("local", "live")


def mode() -> str:
    """``BQX_OPS_MODE``: ``local`` (embedded sample, the default) or ``live``."""
    value = os.environ.get("BQX_OPS_MODE", "local").strip().lower()
    if value not in MODES:
        raise ValueError(f"BQX_OPS_MODE must be one of {MODES}, got {value!r}")
    return value


def data_dir() -> Path:
    """``BQX_OPS_DATA_DIR``: landing zone, DuckDB file, docs repo and sinks (default ./data)."""
    return Path(os.environ.get("BQX_OPS_DATA_DIR", "data")).resolve()


def duckdb_path() -> Path:
    return data_dir() / "bqx_ops.duckdb"


def slack_mentions() -> dict[str, str]:
    """``BQX_OPS_SLACK_MENTIONS``: ``ROLE=U123,ROLE2=S456`` maps owner roles to Slack users or groups."""
    pairs = (item.split("=", 1) for item in os.environ.get("BQX_OPS_SLACK_MENTIONS", "").split(",") if "=" in item)
    return {role.strip(): target.strip() for role, target in pairs if role.strip() and target.strip()}


def latency_spec():
    """``BQX_OPS_LATENCY_METRIC``: ``Namespace|MetricName|Dim=Value,Dim2=Value2[|stat[|factor to ms]]``,
    the inference API's latency metric (default: the sample configuration's API Gateway Latency)."""
    from bqx_ops.dashboard.latency import MetricSpec

    raw = os.environ.get("BQX_OPS_LATENCY_METRIC", "").strip()
    if not raw:
        from bqx_ops.sample.metrics import LATENCY_SPEC

        return LATENCY_SPEC
    parts = raw.split("|")
    if len(parts) < 3:
        raise ValueError(f"BQX_OPS_LATENCY_METRIC must be Namespace|MetricName|Dim=Value,..., got {raw!r}")
    dims = tuple(tuple(item.split("=", 1)) for item in parts[2].split(",") if "=" in item)
    return MetricSpec(parts[0], parts[1], dims, parts[3] if len(parts) > 3 and parts[3] else "p95",
                      float(parts[4]) if len(parts) > 4 and parts[4] else 1.0)


def cloudwatch_names() -> dict[str, str]:
    """``BQX_OPS_CLOUDWATCH_DASHBOARD`` and ``BQX_OPS_METRICS_NAMESPACE`` (default: the sample configuration's)."""
    from bqx_ops.sample.metrics import CLOUDWATCH_NAMES

    return {"dashboard": os.environ.get("BQX_OPS_CLOUDWATCH_DASHBOARD") or CLOUDWATCH_NAMES["dashboard"],
            "namespace": os.environ.get("BQX_OPS_METRICS_NAMESPACE") or CLOUDWATCH_NAMES["namespace"]}


def aws_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def sns_topic_arn() -> str | None:
    """``BQX_OPS_SNS_TOPIC_ARN``: the operations topic (alerts, escalations, alarm actions)."""
    return os.environ.get("BQX_OPS_SNS_TOPIC_ARN") or None
