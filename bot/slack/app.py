"""build_app: the Bolt AsyncApp with copybot's command, events and actions, on injected clients.

One workspace (SLACK_BOT_TOKEN) or, in OAuth mode, every workspace that installs copybot (bot/slack/install.py):
either way each handler gets the calling workspace's client from Bolt (`client`: the injected one's URL, session and
retries with that workspace's token), and everything a request starts posts with it."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.errors import ConfigError
from bot.services import Services
from bot.services.metrics import Metrics
from bot.slack.brief import register_brief
from bot.slack.commands import register_commands
from bot.slack.events import register_events
from bot.slack.home import register_home
from bot.slack.install import Installations, hide_tokens_in_library_logs, oauth_options, register_uninstall
from bot.slack.metered import CallCounter, ack_timer
from bot.slack.refine import register_refinements
from bot.slack.retry import register_retry
from bot.slack.tasks import BackgroundTasks
from bot.slack.voice import register_voice

SETUP_HINT = 'See README.md, section "Create the Slack app".'
_BOT_TOKEN = re.compile(r"^xox[bp]-[A-Za-z0-9-]+$")
_CLIENT_ID = re.compile(r"^[0-9]+\.[0-9]+$")
_APP_TOKEN = re.compile(r"^xapp-[A-Za-z0-9-]+$")
RATE_LIMIT_RETRIES = 6
CONNECTION_RETRIES = 3
SERVER_ERROR_RETRIES = 3  # with backoff: about 0.5, 1 and 2 s


def check_tokens(settings: Settings, *, socket_mode: bool) -> None:
    """Raise ConfigError naming every missing or malformed Slack variable (never its value)."""
    problems = []
    if settings.oauth:
        problems += _oauth_problems(settings, socket_mode=socket_mode)
    elif settings.slack_client_id and settings.slack_client_secret:
        problems.append(
            "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: unset SLACK_BOT_TOKEN to "
            "install copybot in several workspaces (OAuth mode), or the two client variables to run in one."
        )
    elif not settings.slack_bot_token:
        problems.append("SLACK_BOT_TOKEN is not set (the Bot User OAuth Token, xoxb-...).")
    elif not _BOT_TOKEN.match(settings.slack_bot_token):
        problems.append("SLACK_BOT_TOKEN is malformed: it should start with xoxb-.")
    if socket_mode:
        if not settings.slack_app_token:
            problems.append("SLACK_APP_TOKEN is not set (an app-level token with connections:write, xapp-...).")
        elif not _APP_TOKEN.match(settings.slack_app_token):
            problems.append("SLACK_APP_TOKEN is malformed: it should start with xapp-.")
    elif not settings.slack_signing_secret:
        problems.append("SLACK_SIGNING_SECRET is not set (Basic Information > App Credentials > Signing Secret).")
    elif not re.fullmatch(r"[0-9a-fA-F]{16,}", settings.slack_signing_secret):
        problems.append("SLACK_SIGNING_SECRET is malformed: it should be the hexadecimal Signing Secret.")
    if problems:
        raise ConfigError(" ".join(problems), hint=SETUP_HINT)


def _oauth_problems(settings: Settings, *, socket_mode: bool) -> list[str]:
    problems = []
    if not _CLIENT_ID.match(settings.slack_client_id):
        problems.append("SLACK_CLIENT_ID is malformed: it should be the Client ID, digits with a dot.")
    if not re.fullmatch(r"[0-9a-fA-F]{16,}", settings.slack_client_secret):
        problems.append("SLACK_CLIENT_SECRET is malformed: it should be the hexadecimal Client Secret.")
    if socket_mode:
        problems.append(
            "OAuth mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) serves the install pages over HTTP: "
            "unset SLACK_APP_TOKEN and run `copybot serve` without --socket."
        )
    return problems


def slack_host(api_url: str) -> str:
    """The web host of message links: slack.com, or slack-gov.com for GovSlack."""
    host = urlsplit(api_url).hostname or ""
    return "slack-gov.com" if host.endswith("slack-gov.com") else "slack.com"


class ServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """slack_sdk's handler retries 500 and 503 only; a proxy or load balancer in front of Slack answers 502 and 504
    too. (A 5xx may come after Slack posted the message: the retry can then post it twice, which beats losing it.)"""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def make_client(
    settings: Settings, session: aiohttp.ClientSession | None = None, metrics: Metrics | None = None
) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL; Retry-After honoured on 429, 5xx and connection errors retried with
    backoff (the attempts of one call count against each handler's maximum together); every response counted in
    `metrics` when given."""
    counted: list[AsyncRetryHandler] = [CallCounter(metrics)] if metrics is not None else []
    return AsyncWebClient(
        token=settings.slack_bot_token or None,  # OAuth mode: each request's workspace brings its token
        base_url=settings.slack_api_url,
        session=session,
        timeout=30,
        retry_handlers=[
            *counted,
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ],
    )


def with_token(client: AsyncWebClient, token: str) -> AsyncWebClient:
    """`client` (its URL, session, timeout and retries) with another workspace's token."""
    return AsyncWebClient(
        token=token,
        base_url=client.base_url,
        session=client.session,
        timeout=client.timeout,
        retry_handlers=list(client.retry_handlers),
        logger=client.logger,
    )


def build_app(
    settings: Settings,
    services: Services,
    *,
    client: AsyncWebClient | None = None,
    tasks: BackgroundTasks | None = None,
    socket_mode: bool = False,
    installations: Installations | None = None,
) -> AsyncApp:
    """The copybot Bolt app. Signatures are always verified over HTTP (Socket Mode has no HTTP requests). OAuth
    mode (settings.oauth) needs `installations`, the stores bot/app.py builds on copybot's database."""
    check_tokens(settings, socket_mode=socket_mode)
    client = client or make_client(settings)
    tasks = tasks if tasks is not None else BackgroundTasks()
    oauth: dict[str, Any] = {}
    if settings.oauth:
        if installations is None:
            raise ValueError("OAuth mode needs the installation stores")
        oauth = oauth_options(settings, installations, client, slack_host=slack_host(settings.slack_api_url))
        hide_tokens_in_library_logs()
    app = AsyncApp(
        name="copybot",
        client=client,
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=True,  # handlers are short (slow work is a BackgroundTasks task): no ack polling
        logger=logging.getLogger("bot.slack.bolt"),
        **oauth,
    )
    if services.metrics is not None:
        app.middleware(ack_timer(services.metrics))
    register_commands(
        app,
        services=services,
        tasks=tasks,
        max_variations=settings.max_variations,
        emoji=settings.favourite_emoji,
        slack_host=slack_host(settings.slack_api_url),
    )
    register_events(app, votes=services.votes, emoji=settings.favourite_emoji, tasks=tasks)
    register_refinements(app, services=services, tasks=tasks)
    register_brief(app, services=services, tasks=tasks, max_variations=settings.max_variations)
    register_voice(app, voices=services.voices)
    register_home(app, services=services)
    register_retry(app, services=services, tasks=tasks, max_variations=settings.max_variations)
    register_uninstall(app, workspaces=services.workspaces)
    return app
