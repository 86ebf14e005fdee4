"""The Slack adapter's metrics: how fast requests are acknowledged, and every Web API call's outcome.

`CallCounter` goes first among the Web API client's retry handlers: slack_sdk shows it every response (and every
connection error) of every attempt, so it sees a 429 even when the retry after it succeeds; it never asks for a
retry itself. Bolt copies the handlers into the clients it builds per request, so they are counted too.
`ack_timer` is a Bolt middleware: with process_before_response, a request is acknowledged when its listener returns.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.services.metrics import Metrics

MAX_OUTCOME_CHARS = 64


def outcome(response: HttpResponse | None, error: Exception | None) -> str:
    """ok, ratelimited (429), server_error (5xx), connection_error, or the error code Slack answered with."""
    if response is None or error is not None:
        return "connection_error"
    if response.status_code == 429:
        return "ratelimited"
    if response.status_code >= 500:
        return "server_error"
    body = response.body or {}
    if body.get("ok") is False:
        return str(body.get("error") or "error")[:MAX_OUTCOME_CHARS]
    return "ok"


def method_of(url: str) -> str:
    """chat.postMessage from https://slack.com/api/chat.postMessage?..."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class CallCounter(AsyncRetryHandler):
    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        self._metrics.slack_calls.labels(method_of(request.url), outcome(response, error)).inc()
        return False


def ack_timer(metrics: Metrics) -> Callable[..., Awaitable[Any]]:
    """A Bolt middleware observing each request's time to acknowledgement."""

    async def middleware(next: Callable[[], Awaitable[Any]]) -> Any:  # Bolt injects it by this name
        started = time.monotonic()
        try:
            return await next()
        finally:
            metrics.ack_seconds.observe(time.monotonic() - started)

    return middleware
