"""Serving the Bolt app: HTTP (aiohttp, POST /slack/events + GET /healthz) or Socket Mode.

`serve(settings, services, use_socket=...)` runs the Slack side of `copybot
serve` over the services bot/app.py built: it builds one aiohttp session and
Web API client, runs until SIGTERM/SIGINT, then lets running /copy runs finish
(up to SHUTDOWN_GRACE_S), cancels the rest and marks their runs interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import __version__
from bot.config import Settings
from bot.errors import ConfigError
from bot.services import Services
from bot.slack.app import SETUP_HINT, build_app, make_client
from bot.slack.tasks import BackgroundTasks

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
SHUTDOWN_GRACE_S = 25.0


def web_app(app: AsyncApp, tasks: BackgroundTasks, *, mode: str = "http") -> web.Application:
    """The aiohttp application: Bolt on POST /slack/events, a JSON health check on GET /healthz."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "version": __version__, "mode": mode, "running_runs": len(tasks)})

    application = web.Application(client_max_size=1024**2)
    application.router.add_post(EVENTS_PATH, events)
    application.router.add_get(HEALTH_PATH, health)
    return application


@contextlib.asynccontextmanager
async def http_server(application: web.Application, host: str, port: int) -> AsyncIterator[str]:
    """Serve `application`; yield its base URL (port 0 picks a free port)."""
    runner = web.AppRunner(application, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def socket_mode(app: AsyncApp, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect to Slack over Socket Mode (apps.connections.open on the app's Web API client)."""
    handler = AsyncSocketModeHandler(app, app_token, logger=logging.getLogger("bot.slack.socket"))
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def serve(settings: Settings, services: Services, *, use_socket: bool) -> None:
    """Run the bot until SIGTERM or SIGINT."""
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(services.runs.recovering())  # crashed runs: now, then every few minutes
        session = await stack.enter_async_context(aiohttp.ClientSession())
        client = make_client(settings, session)
        await _auth_test(client)
        tasks = BackgroundTasks()
        app = build_app(settings, services, client=client, tasks=tasks, socket_mode=use_socket)
        stop = _stop_event()
        if use_socket:
            await stack.enter_async_context(socket_mode(app, settings.slack_app_token))
            log.warning("copybot is connected to Slack over Socket Mode")
        else:
            try:
                url = await stack.enter_async_context(http_server(web_app(app, tasks), "0.0.0.0", settings.port))
            except OSError as exc:
                raise ConfigError(f"Cannot listen on port {settings.port}: {exc.strerror}.", hint="Set PORT.") from None
            log.warning("copybot listens on %s%s", url, EVENTS_PATH)
        await stop.wait()
        log.warning("stopping: letting %d running run(s) finish", len(tasks))
        if cancelled := await tasks.drain(SHUTDOWN_GRACE_S):
            log.warning("%d run(s) were cut short and marked interrupted", cancelled)


async def _auth_test(client: AsyncWebClient) -> None:
    """A wrong token fails here, at startup, not on the first /copy."""
    try:
        await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN ({error}).", hint=SETUP_HINT) from None
    except aiohttp.ClientError as exc:
        raise ConfigError(
            f"Slack's Web API at SLACK_API_URL could not be reached ({type(exc).__name__}).", hint=SETUP_HINT
        ) from None


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
