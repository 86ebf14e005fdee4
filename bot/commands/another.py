"""`copybot another RUN_ID N [--json]`: a new take of variation N's style, different from every earlier one.

See bot/commands/versions.py for the output and exit status.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    pass


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="Write the style of one variation of a past run anew; the new take is stored with the run "
        "under its next number, as the Another take button does in Slack.",
        epilog="Example: copybot another 12 2",
    )
    parser.add_argument("run_id", type=int, metavar="RUN_ID", help="the run (see `copybot history`)")
    parser.add_argument("position", type=int, metavar="N", help="the variation whose style to write again")
    parser.add_argument("--json", action="store_true", help="print the new take as one JSON document on stdout")


def main(args: argparse.Namespace, settings: Settings) -> int:
    from bot.commands.versions import write_version

    return asyncio.run(
        write_version(
            settings, lambda refinements: refinements.another(args.run_id, args.position), json_mode=args.json
        )
    )
