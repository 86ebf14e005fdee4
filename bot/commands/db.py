"""`copybot db upgrade` (bring the schema up to date) and `copybot db current` (show its revision)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.config import Settings


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
    return asyncio.run(_main(args.action, settings.database_url))


async def _main(action: str, database_url: str) -> int:
    from storage import migrate
    from storage.db import parse_url

    where = parse_url(database_url).render_as_string(hide_password=True)
    before = await migrate.current(database_url)
    if action == "upgrade":
        await migrate.upgrade(database_url)
        after = await migrate.current(database_url)
        change = "already up to date" if before == after else f"upgraded from {before or 'empty'}"
        print(f"{where}: schema {after} ({change}).")
    else:
        latest = migrate.head()
        state = "up to date" if before == latest else f"this copybot's newest is {latest}: run `copybot db upgrade`"
        print(f"{where}: schema {before or 'empty'} ({state}).")
    return 0
