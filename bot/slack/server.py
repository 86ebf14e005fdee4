"""Serving the Bolt app: HTTP (aiohttp, POST /slack/events + GET /healthz + GET /metrics; in OAuth mode
GET /slack/install and GET /slack/oauth_redirect too) or Socket Mode (then GET /metrics on COPYBOT_METRICS_PORT when
it is set).

`serve(settings, services, use_socket=...)` runs the Slack side of `copybot
serve` over the services bot/app.py built: it builds one aiohttp session and
Web API client, recovers what a stopped copybot left (runs marked interrupted,
threads owed posts healed: bot/slack/healing.py), runs until SIGTERM/SIGINT,
then drains within COPYBOT_SHUTDOWN_GRACE (bot/slack/tasks.py) and logs what
was cut short: runs stored as interrupted, and threads left to the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import __version__
from bot.config import Settings
from bot.errors import ConfigError
from bot.services import Services
from bot.services.metrics import Metrics
from bot.slack.app import SETUP_HINT, build_app, make_client
from bot.slack.gate import MAX_BODY_BYTES, Gate, Refused
from bot.slack.healing import Healer
from bot.slack.install import Installations, installation_authorize
from bot.slack.tasks import BackgroundTasks, Drained
from bot.slack.workspaces import WorkspaceClients

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
"""The health report: a JSON object whose "ok" says whether every part copybot needs works."""


def web_app(app: AsyncApp, gate: Gate, health_check: HealthCheck, metrics: Metrics | None = None) -> web.Application:
    """The aiohttp application: Bolt on POST /slack/events (behind the gate), a JSON health check on GET /healthz
    (503 when a part is down), the Prometheus metrics on GET /metrics when there are any, and in OAuth mode the
    install pages."""

    async def events(request: web.Request) -> web.Response:
        try:
            admitted = await gate.admit(request)
            answer = await app.async_dispatch(admitted)  # listeners' own errors are Bolt's (logged, 500)
        except Refused as refused:
            return gate.refuse(refused)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # Bolt reading a field of an odd type
            return gate.refuse(Refused(400, f"refused a signed request Bolt could not read ({type(exc).__name__})"))
        return await to_aiohttp_response(answer)

    async def health(_: web.Request) -> web.Response:
        report = await health_check()
        return web.json_response(report, status=200 if report["ok"] else 503)

    application = web.Application(client_max_size=MAX_BODY_BYTES)
    application.router.add_post(EVENTS_PATH, events)
    application.router.add_get(HEALTH_PATH, health)
    if (flow := app.oauth_flow) is not None:
        application.router.add_get(flow.install_path, _install_page(flow))
        application.router.add_get(flow.redirect_uri_path, _oauth_redirect(flow))
    if metrics is not None:
        add_metrics(application, metrics)
    return application


def add_metrics(application: web.Application, metrics: Metrics) -> None:
    """GET /metrics: the Prometheus text format."""

    async def scrape(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})

    application.router.add_get(METRICS_PATH, scrape)


def metrics_app(metrics: Metrics) -> web.Application:
    """Socket Mode's web application on COPYBOT_METRICS_PORT: GET /metrics alone."""
    application = web.Application()
    add_metrics(application, metrics)
    return application


def _bolt_request(request: web.Request) -> AsyncBoltRequest:
    return AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))


def _install_page(flow: AsyncOAuthFlow) -> Callable[[web.Request], Awaitable[web.Response]]:
    """GET /slack/install: the "Add to Slack" page, with a one-time state (stored, and in a cookie)."""

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(_bolt_request(request)))

    return install


def _oauth_redirect(flow: AsyncOAuthFlow) -> Callable[[web.Request], Awaitable[web.Response]]:
    """GET /slack/oauth_redirect: Slack sends the installer back with a code; the installation is stored."""

    async def redirect(request: web.Request) -> web.Response:
        answer = await flow.handle_callback(_bolt_request(request))
        if answer.status >= 400:
            log.warning("an installation was refused (HTTP %d)", answer.status)
        return await to_aiohttp_response(answer)

    return redirect


def http_app(settings: Settings, app: AsyncApp, services: Services, tasks: BackgroundTasks) -> web.Application:
    """The web application of HTTP mode over `app`, with copybot's gate and health report."""

    async def health_check() -> dict[str, Any]:
        parts = await services.health()
        ok = all(state == "ok" for state in parts.values())
        return {"ok": ok, "version": __version__, "mode": "http", "running_runs": len(tasks), **parts}

    gate = Gate(settings.slack_signing_secret, body_timeout_s=settings.http_timeout_s)
    return web_app(app, gate, health_check, services.metrics)


@contextlib.asynccontextmanager
async def http_server(
    application: web.Application, host: str, port: int, *, idle_s: float = 10.0
) -> AsyncIterator[str]:
    """Serve `application`; yield its base URL (port 0 picks a free port). A connection that sends no complete
    request head within `idle_s` (at its start, or between requests) is closed."""
    runner = web.AppRunner(
        application, access_log=None, shutdown_timeout=1.0, keepalive_timeout=idle_s, lingering_time=0
    )
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


async def serve(
    settings: Settings, services: Services, *, use_socket: bool, installations: Installations | None = None
) -> None:
    """Run the bot until SIGTERM or SIGINT; in OAuth mode (settings.oauth) with `installations`."""
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        client = make_client(settings, session, services.metrics)
        tasks = BackgroundTasks()
        app = build_app(
            settings, services, client=client, tasks=tasks, socket_mode=use_socket, installations=installations
        )
        if installations is None:
            await _auth_test(client)
            clients = WorkspaceClients(client)
        else:  # no token of its own: each workspace's is checked when it is first used
            clients = WorkspaceClients(client, installation_authorize(settings, installations, client))
        healer = Healer(clients, services.runs)  # what a stopped copybot left: now, then every few minutes
        await stack.enter_async_context(services.runs.recovering(then=healer.heal_all))
        stop = _stop_event()
        if use_socket:
            await stack.enter_async_context(socket_mode(app, settings.slack_app_token))
            log.warning("copybot is connected to Slack over Socket Mode")
            if services.metrics is not None and settings.metrics_port is not None:
                metrics = metrics_app(services.metrics)
                url = await _listen(stack, metrics, settings.host, settings.metrics_port, "COPYBOT_METRICS_PORT")
                log.warning("copybot serves its metrics on %s%s", url, METRICS_PATH)
        else:
            application = http_app(settings, app, services, tasks)
            url = await _listen(
                stack, application, settings.host, settings.port, "PORT", idle_s=settings.http_timeout_s
            )
            log.warning("copybot listens on %s%s", url, EVENTS_PATH)
            if app.oauth_flow is not None:
                log.warning("OAuth mode: workspaces install copybot at %s%s", url, app.oauth_flow.install_path)
        await stop.wait()
        log.warning("stopping: letting %d task(s) finish, for up to %g s", len(tasks), settings.shutdown_grace_s)
        _report(await tasks.drain(settings.shutdown_grace_s))


async def _listen(
    stack: contextlib.AsyncExitStack,
    application: web.Application,
    host: str,
    port: int,
    variable: str,
    idle_s: float = 10.0,
) -> str:
    """Serve `application` on `host`:`port` until `stack` closes; its URL."""
    try:
        return await stack.enter_async_context(http_server(application, host, port, idle_s=idle_s))
    except OSError as exc:
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {exc.strerror}.",
            hint=f"Set {variable} (and HOST, or `copybot serve --host`) to an address of this machine that is free.",
        ) from None


def _report(drained: Drained) -> None:
    """Say what shutdown cut short, and what becomes of it."""
    if drained.runs:
        log.warning("%d run(s) were cut short and stored as interrupted", drained.runs)
    if drained.posts:
        log.warning(
            "%d Slack posting task(s) were still going: the threads they owed are finished at the next start",
            drained.posts,
        )
    else:
        log.warning("every Slack post owed was made before stopping")


async def _auth_test(client: AsyncWebClient) -> None:
    """A wrong token fails here, at startup, not on the first /copy."""
    try:
        await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown error")
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN ({error}).", hint=SETUP_HINT) from None
    except aiohttp.ClientError as exc:
        raise ConfigError(
            f"Slack's Web API at {client.base_url} could not be reached ({type(exc).__name__}).",
            hint=f"Check this machine's network, and SLACK_API_URL (it sets that URL). {SETUP_HINT}",
        ) from None


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
