"""A vendor's ``Retry-After`` obeyed up to a bound: a proxy or a misbehaving server answering
``Retry-After: 86400`` (or 10⁹) made the client sleep that long, the run hanging for a day or for
ever. Each wait is cut to the client's ``max_wait`` seconds, then the request is tried again (the
retries still end: each client counts them)."""

from __future__ import annotations

import functools

MAX_RATE_LIMIT_WAIT = 3600.0  # GitHub's primary limit resets within the hour: a later reset is no reset


@functools.cache
def capped_retry_class(base: type, max_wait: float) -> type:
    """``base`` (urllib3's Retry, or PyGithub's GithubRetry) with ``Retry-After`` cut to ``max_wait``
    seconds. A class per bound: urllib3 makes each next Retry with ``type(self)(...)``."""

    class CappedRetry(base):
        def get_retry_after(self, response):
            seconds = super().get_retry_after(response)
            return None if seconds is None else min(seconds, max_wait)

    CappedRetry.__name__ = f"Capped{base.__name__}"
    return CappedRetry


def capped_slack_rate_limit_handler(max_retry_count: int, max_wait: float):
    """slack_sdk's RateLimitErrorRetryHandler, its ``Retry-After`` sleep cut to ``max_wait`` seconds (a
    ``Retry-After`` that is not a number is waited as one second, not raised from inside the client)."""
    import random
    import time

    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    class CappedRateLimitErrorRetryHandler(RateLimitErrorRetryHandler):
        def prepare_for_next_attempt(self, *, state, request, response=None, error=None):
            if response is None:
                raise error  # type: ignore[misc]
            state.next_attempt_requested = True
            asked = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
            try:
                seconds = float(asked[0] if isinstance(asked, (list, tuple)) else asked)
            except (TypeError, ValueError, IndexError):
                seconds = 1.0
            time.sleep(min(max(seconds, 0.0), max_wait) + random.random())
            state.increment_current_attempt()

    return CappedRateLimitErrorRetryHandler(max_retry_count=max_retry_count)
