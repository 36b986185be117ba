"""Slack through dagster-slack's resource, with a base_url and slack_sdk's retry handlers."""

from dagster_slack import SlackResource
from pydantic import Field as PField
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


class BqxSlackResource(SlackResource):
    """dagster-slack's SlackResource whose client honours 429 Retry-After and retries 5xx."""

    base_url: str = PField(default=WebClient.BASE_URL, description="Web API root (ends with /api/).")
    channel: str = PField(default="#operations", description="Channel (use its id in live mode; the configuration's slack.channel).")
    max_retries: int = PField(default=5, description="Retries on 429 / 5xx / connection errors.")

    def get_client(self) -> WebClient:
        return WebClient(
            token=self.token,
            base_url=self.base_url,
            timeout=30,
            retry_handlers=[
                RateLimitErrorRetryHandler(max_retry_count=self.max_retries),
                ServerErrorRetryHandler(max_retry_count=self.max_retries),
                ConnectionErrorRetryHandler(max_retry_count=self.max_retries),
            ],
        )
