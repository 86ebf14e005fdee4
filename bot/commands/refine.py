"""`copybot refine RUN_ID [N] "instruction" [--json]`: a new version of variation N of a run, as asked.

Without N, the variation is chosen as in Slack: the most-voted one of the run, else its only written one; else
the command stops (exit 2) listing the numbers to choose from. See bot/commands/versions.py for the output.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.errors import RequestError

if TYPE_CHECKING:
    from bot.services import RefinementService, Version


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="Rewrite one variation of a past run as you ask; the new version is stored with the run "
        "under its next number, as a reply in the thread would be.",
        epilog='Examples: copybot refine 12 2 "shorter, and mention the warranty"   ·   copybot refine 12 "punchier"',
    )
    parser.add_argument("run_id", type=int, metavar="RUN_ID", help="the run (see `copybot history`)")
    parser.add_argument("words", nargs="+", metavar='[N] "instruction"', help="the variation's number, then the change")
    parser.add_argument("--json", action="store_true", help="print the new version as one JSON document on stdout")


def target(words: list[str]) -> tuple[int | None, str]:
    """([N] "instruction") -> (N, instruction); the instruction may also start with the number, as in Slack."""
    from bot.services import parse_refinement

    if len(words) > 2:
        raise RequestError("Give the variation's number and the instruction in quotes.", hint='e.g. 2 "shorter"')
    if len(words) == 2:
        if not (words[0].isascii() and words[0].isdigit()):
            raise RequestError(f"{words[0]!r} is not a variation number.", hint='e.g. copybot refine 12 2 "shorter"')
        return int(words[0]), words[1]
    return parse_refinement(words[0])


def main(args: argparse.Namespace, settings: Settings) -> int:
    from bot.commands.versions import write_version

    position, instruction = target(args.words)

    def write(refinements: RefinementService) -> Awaitable[Version]:
        return refinements.refine(args.run_id, position, instruction)

    return asyncio.run(write_version(settings, write, json_mode=args.json))
