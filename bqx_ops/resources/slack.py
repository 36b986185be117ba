"""Slack's Web API client with a base_url and slack_sdk's retry handlers.

The fields are dagster-slack's ``SlackResource``'s (``token``) plus ours; declared on a plain
ConfigurableResource so that loading the code location imports neither dagster-slack nor
slack_sdk (imported where the client is made).
"""

import dagster as dg
from pydantic import Field as PField


class BqxSlackResource(dg.ConfigurableResource):
    """A slack_sdk WebClient that honours 429 Retry-After and retries 5xx and connection errors."""

    token: str = PField(description="Bot token (dg.EnvVar('SLACK_BOT_TOKEN')).")
    base_url: str = PField(default="https://slack.com/api/", description="Web API root (ends with /api/).")
    channel: str = PField(default="#operations", description="Channel (use its id in live mode; the configuration's slack.channel).")
    max_retries: int = PField(default=5, description="Retries on 429 / 5xx / connection errors.")
    max_wait_seconds: float = PField(default=120.0, description="The longest Retry-After obeyed (s); a longer "
                                                                "one is waited this long, then retried.")

    def get_client(self):
        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler

        from bqx_ops.resources.retry_waits import capped_slack_rate_limit_handler

        return WebClient(
            token=self.token,
            base_url=self.base_url,
            timeout=30,
            retry_handlers=[
                capped_slack_rate_limit_handler(self.max_retries, self.max_wait_seconds),
                ServerErrorRetryHandler(max_retry_count=self.max_retries),
                ConnectionErrorRetryHandler(max_retry_count=self.max_retries),
            ],
        )
