"""Where outbox intents go: local sink files (embedded, dry run) or the real services (live)."""

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field as PField

from bqx_ops.outbox import CHANNELS
from bqx_ops.outbox.delivery import Channel, DeliveryPolicy
from bqx_ops.resources.airtable import LiveAirtable
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.channels import (
    AirtableUpsertChannel,
    GithubReleaseChannel,
    SinkChannel,
    SlackChannel,
    SnsChannel,
)
from bqx_ops.resources.cloudwatch_channel import CloudWatchChannel
from bqx_ops.resources.github import LiveGitHub
from bqx_ops.resources.slack import BqxSlackResource


class OutboxDelivery(dg.ConfigurableResource):
    """Delivery policy and channels of the outbox."""

    data_dir: str = PField(description="Data dir; sinks go to <data_dir>/sinks/<channel>.jsonl.")
    horizon_days: float = PField(default=7.0, description="Intents for older periods are recorded, not sent.")
    max_attempts: int = PField(default=5, description="Attempts before an intent is dead-lettered.")
    backoff_seconds: float = PField(default=60.0, description="First retry delay; doubles each attempt.")
    slack_channel: str | None = PField(default=None, description="Default Slack channel written to the sinks "
                                                                 "(the configuration's slack.channel).")

    def policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            horizon=dt.timedelta(days=self.horizon_days),
            max_attempts=self.max_attempts,
            backoff=dt.timedelta(seconds=self.backoff_seconds),
        )

    def sinks(self, config: dict | None = None) -> dict[str, Channel]:
        sinks_dir = Path(self.data_dir) / "sinks"
        return {name: SinkChannel(sinks_dir, name, config) for name in CHANNELS}

    def channels(self) -> dict[str, Channel]:
        return self.sinks({"slack_channel": self.slack_channel} if self.slack_channel else None)


class LiveOutboxDelivery(OutboxDelivery):
    """Sends through Slack, SNS, Airtable, GitHub and CloudWatch; ``dry_run`` writes the sinks instead."""

    dry_run: bool = PField(default=False, description="Write what would be sent to the sinks.")
    slack: BqxSlackResource
    aws: AwsClients
    airtable: LiveAirtable
    github: LiveGitHub

    def channels(self) -> dict[str, Channel]:
        if self.dry_run:
            return self.sinks({"slack_channel": self.slack.channel, "sns_topic_arn": self.aws.sns_topic_arn})
        return {
            "slack": SlackChannel(self.slack.get_client(), self.slack.channel),
            "sns": SnsChannel(self.aws.client("sns"), self.aws.sns_topic_arn),
            "airtable": AirtableUpsertChannel(self.airtable),
            "github": GithubReleaseChannel(self.github),
            "cloudwatch": CloudWatchChannel(self.aws.client("cloudwatch")),
        }
