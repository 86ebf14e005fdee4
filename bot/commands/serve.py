"""`copybot serve [--socket]`: the Slack bot, over HTTP on $PORT or over Socket Mode.

Socket Mode is used with `--socket` or when SLACK_APP_TOKEN is set; see
README.md, "Create the Slack app".
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from typing import Any

from bot.config import Settings
from bot.process import settle


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="Run the Slack bot: HTTP mode on $HOST:$PORT (default 0.0.0.0:3000; POST /slack/events, "
        "GET /healthz), or Socket Mode with --socket or when SLACK_APP_TOKEN is set.",
    )
    parser.add_argument("--socket", action="store_true", help="connect over Socket Mode (needs SLACK_APP_TOKEN)")
    parser.add_argument(
        "--host",
        default=None,
        metavar="ADDRESS",
        help="HTTP mode: the address to listen on (default $HOST, else 0.0.0.0; 127.0.0.1 behind a reverse proxy)",
    )


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.host is not None:
        settings = replace(settings, host=args.host.strip() or settings.host)
    asyncio.run(_serve(settings, use_socket=bool(args.socket or settings.slack_app_token)))
    return 0


async def _serve(settings: Settings, *, use_socket: bool) -> None:
    from bot.app import App
    from bot.slack.app import check_tokens
    from bot.slack.server import serve

    check_tokens(settings, socket_mode=use_socket)  # before any model or database is opened
    async with App.open(settings, metrics=True) as app:
        services = await app.services()
        installations = await app.installations() if settings.oauth else None
        settle()  # a server runs for days: the garbage collector back on (bot/process.py)
        await serve(settings, services, use_socket=use_socket, installations=installations)
