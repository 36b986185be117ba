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


def cloudwatch_names() -> dict[str, str]:
    """The CloudWatch dashboard and metrics namespace: ``aws.dashboard_name`` / ``aws.metrics_namespace``
    of the configuration, else derived from the project name."""
    import re

    from bqx_ops import config as project_config

    cfg = project_config.current()
    from bqx_ops.docs_sync.slugs import ascii_letters

    name = ascii_letters(cfg.project.name)  # CloudWatch names are ASCII: é -> e, 中文 dropped
    # CloudWatch takes 255 characters: the dashboard name and the alarms' '<dashboard>-<suffix>' fit in it
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name)[:200].strip("-").lower() or "project"
    namespace = re.sub(r"[^A-Za-z0-9 ._/#:-]+", "-", name)[:255].strip(" -")
    return {"dashboard": cfg.aws.dashboard_name or f"{slug}-operational-health",
            "namespace": cfg.aws.metrics_namespace or (namespace if namespace and not namespace.startswith("AWS/")
                                                       else "project")}


def aws_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def sns_topic_arn() -> str | None:
    """``BQX_OPS_SNS_TOPIC_ARN``: the operations topic (alerts, escalations, alarm actions)."""
    return os.environ.get("BQX_OPS_SNS_TOPIC_ARN") or None
