"""`copybot voice show|set|ban|unban|require|clear [--team T] [--channel C]`: a brand voice from the terminal.

The scope is the workspace T (or its channel C); without --team, the CLI's own scope (team and channel empty),
which `copybot run` uses unless given --team/--channel. Every change is a new version.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import RequestError

ACTIONS = ("show", "set", "ban", "unban", "require", "clear")


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="Show or change a brand voice: its text (personality, tone, do and don't), banned terms and "
        "required spellings. A workspace's voice applies to all its channels; a channel's is added after it.",
        epilog='Examples: copybot voice set --team T1 --file voice.md   ·   copybot voice ban --team T1 "cheap, best '
        'ever"   ·   copybot voice require --team T1 "AquaFlask™"',
    )
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("text", nargs="?", default="", help="set: the voice text; ban/unban/require: the terms")
    parser.add_argument("--team", default="", metavar="T", help="the Slack workspace id (default: the CLI's own)")
    parser.add_argument("--channel", default="", metavar="C", help="a channel of that workspace")
    parser.add_argument("--file", default="", metavar="F", help="set: read the voice text from this file")


def main(args: argparse.Namespace, settings: Settings) -> int:
    text = args.text
    if args.file:
        if args.action != "set":
            raise RequestError("--file goes with `set`.")
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise RequestError(f"{args.file} cannot be read ({exc.strerror}).") from None
    if args.action in ("ban", "unban", "require") and not text.strip():
        raise RequestError(f"Give the terms to {args.action}.", hint=f'e.g. copybot voice {args.action} "cheap"')
    return asyncio.run(_main(settings, args.action, text, args.team, args.channel))


async def _main(settings: Settings, action: str, text: str, team: str, channel: str) -> int:
    from bot.app import App
    from bot.services import Scope

    scope = Scope(team, channel)
    async with App.open(settings) as app:
        voices = await app.voices(create=action != "show")  # showing a voice creates no database
        voice = await voices.show(scope) if action == "show" else await voices.change(scope, action, text)
    where = f"channel {channel} of " if channel else ""
    print(f"Brand voice of {where}{'workspace ' + team if team else 'the CLI'}:", file=sys.stdout)
    print(voice.text or "(no voice text)")
    print(f"Banned: {', '.join(voice.banned) or 'none'}")
    print(f"Required spellings: {', '.join(voice.required) or 'none'}")
    return 0
