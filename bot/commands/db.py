"""`copybot db upgrade` (bring the schema up to date) and `copybot db current` (show its revision)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.config import Settings
from bot.terminal import one_line


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="Manage the schema of the database at DATABASE_URL. `copybot run` and `copybot serve` "
        "upgrade it on start too; run this ahead of a deploy to migrate once, before the processes start.",
    )
    parser.add_argument(
        "action",
        choices=("upgrade", "current"),
        help="upgrade: migrate to this copybot's schema; current: print the database's revision",
    )


def main(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_main(args.action, settings))


async def _main(action: str, settings: Settings) -> int:
    from bot.app import App

    async with App.open(settings) as app:
        where = app.database
        if action == "upgrade":
            before, after = await app.upgrade_schema()
            change = "already up to date" if before == after else f"upgraded from {before or 'empty'}"
            print(one_line(f"{where}: schema {after} ({change})."))
        else:
            revision, latest = await app.schema()
            state = (
                "up to date" if revision == latest else f"this copybot's newest is {latest}: run `copybot db upgrade`"
            )
            print(one_line(f"{where}: schema {revision or 'empty'} ({state})."))
    return 0
