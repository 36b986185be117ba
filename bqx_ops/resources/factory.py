"""Resources for a mode: ``local`` (embedded sample, no network) or ``live`` (real clients).

Secrets are only ever ``dg.EnvVar`` references, resolved by Dagster at run time;
AWS credentials come from boto3's own chain. Every variable is listed in the README.
"""

import os
from pathlib import Path

import dagster as dg

from bqx_ops import config as project_config
from bqx_ops.resources.airtable import EmbeddedAirtable, LiveAirtable
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.aws_sources import EmbeddedCloudWatchLogs, LiveCloudWatchLogs
from bqx_ops.resources.costs import EmbeddedCosts, LiveCosts
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.resources.github import LiveGitHub
from bqx_ops.resources.github_issues import EmbeddedGitHubIssues, LiveGitHubIssues
from bqx_ops.resources.metrics import EmbeddedLatency, LiveLatency
from bqx_ops.resources.sagemaker_jobs import EmbeddedSageMakerJobs, LiveSageMakerJobs
from bqx_ops.resources.outbox import LiveOutboxDelivery, OutboxDelivery
from bqx_ops.resources.slack import BqxSlackResource
from bqx_ops.resources.warehouse import warehouse_resources


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name) or default


def _repo(data_dir: Path) -> str:
    """``BQX_OPS_GITHUB_REPO``, else the configuration's ``github_repo``."""
    return _env("BQX_OPS_GITHUB_REPO", project_config.current("live", data_dir).github_repo) or ""  # "": said at use


def live_clients(data_dir: Path) -> dict:
    cfg = project_config.current("live", data_dir)
    airtable = LiveAirtable(
        data_dir=str(data_dir),
        schema_mapping_path=_env("BQX_OPS_SCHEMA_MAP"),
        api_key=dg.EnvVar("AIRTABLE_API_KEY"),
        base_id=dg.EnvVar("AIRTABLE_BASE_ID"),
        endpoint_url=_env("AIRTABLE_ENDPOINT_URL", "https://api.airtable.com"),
    )
    github = LiveGitHub(
        token=dg.EnvVar("GITHUB_TOKEN"),
        repo=_repo(data_dir),
        base_url=_env("GITHUB_API_URL", "https://api.github.com"),
    )
    slack = BqxSlackResource(
        token=dg.EnvVar("SLACK_BOT_TOKEN"),
        base_url=_env("SLACK_API_URL", "https://slack.com/api/"),
        channel=_env("BQX_OPS_SLACK_CHANNEL", cfg.slack.channel),
    )
    aws = AwsClients(
        region_name=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", "us-east-1")),
        endpoint_url=_env("AWS_ENDPOINT_URL"),
        sns_topic_arn=_env("BQX_OPS_SNS_TOPIC_ARN"),
    )
    return {"airtable": airtable, "github": github, "slack": slack, "aws": aws}


def docs_repo(mode: str, data_dir: Path) -> DocsRepo:
    """Embedded: a local bare origin under the data dir. Live: the GitHub repo over HTTPS; the token
    is an EnvVar handed to git through its environment, never written anywhere."""
    if mode != "live":
        return DocsRepo(data_dir=str(data_dir))
    cfg = project_config.current("live", data_dir)
    return DocsRepo(
        data_dir=str(data_dir),
        remote_url=_env("BQX_OPS_DOCS_REMOTE_URL", cfg.docs_repo.remote_url or f"https://github.com/{_repo(data_dir)}.git"),
        token=dg.EnvVar("GITHUB_TOKEN"),
        branch=_env("BQX_OPS_DOCS_BRANCH", cfg.docs_repo.branch),
    )


def review_sources(mode: str, data_dir: Path, aws: AwsClients | None) -> dict:
    """The issue review's sources: GitHub issues, CloudWatch Logs, SageMaker jobs."""
    data_dir = str(data_dir)
    if mode != "live":
        return {"github_issues": EmbeddedGitHubIssues(data_dir=data_dir),
                "cloudwatch_logs": EmbeddedCloudWatchLogs(data_dir=data_dir),
                "sagemaker_jobs": EmbeddedSageMakerJobs(data_dir=data_dir)}
    groups = [g.strip() for g in (_env("BQX_OPS_LOG_GROUPS") or "").split(",") if g.strip()]
    return {
        "github_issues": LiveGitHubIssues(
            data_dir=data_dir, token=dg.EnvVar("GITHUB_TOKEN"),
            repo=_repo(Path(data_dir)),
            base_url=_env("GITHUB_API_URL", "https://api.github.com")),
        "cloudwatch_logs": LiveCloudWatchLogs(data_dir=data_dir, aws=aws, **({"log_groups": groups} if groups else {})),
        "sagemaker_jobs": LiveSageMakerJobs(data_dir=data_dir, aws=aws),
    }


def build_resources(mode: str, data_dir: Path) -> dict:
    database = str(Path(data_dir) / "bqx_ops.duckdb")
    delivery_policy = {
        "horizon_days": float(_env("BQX_OPS_OUTBOX_HORIZON_DAYS", "7")),
        "max_attempts": int(_env("BQX_OPS_OUTBOX_MAX_ATTEMPTS", "5")),
    }
    resources: dict = {
        # BQX_OPS_WAREHOUSE: duckdb (the file, default) or ducklake (production; see the README)
        **warehouse_resources(_env("BQX_OPS_WAREHOUSE", "duckdb"), database,
                              _env("BQX_OPS_LAKE_CATALOG"), _env("BQX_OPS_LAKE_DATA_PATH")),
        "docs_repo": docs_repo(mode, Path(data_dir)),
    }
    latency = {"data_dir": str(data_dir)}  # the metric: the configuration's aws.latency
    if mode == "live":
        clients = live_clients(Path(data_dir))
        resources["api_latency"] = LiveLatency(aws=clients["aws"], **latency)
        resources.update(clients)
        resources.update(review_sources(mode, Path(data_dir), clients["aws"]))
        resources["aws_costs"] = LiveCosts(data_dir=str(data_dir), aws=clients["aws"])
        resources["delivery"] = LiveOutboxDelivery(
            data_dir=str(data_dir), dry_run=_env("BQX_OPS_DRY_RUN", "0") == "1", **clients, **delivery_policy
        )
    else:
        resources["airtable"] = EmbeddedAirtable(
            data_dir=str(data_dir), schema_mapping_path=_env("BQX_OPS_SCHEMA_MAP")
        )
        resources["delivery"] = OutboxDelivery(
            data_dir=str(data_dir), slack_channel=project_config.current(mode, data_dir).slack.channel, **delivery_policy)
        resources.update(review_sources(mode, Path(data_dir), None))
        resources["aws_costs"] = EmbeddedCosts(data_dir=str(data_dir))
        resources["api_latency"] = EmbeddedLatency(**latency)
    return resources
