"""`copybot` command line: run | serve | slack-preview | refine | another | voice | stats | history | db.

Each command lives in bot/commands/<name>.py with `add_parser(subparsers)` and
`main(args, settings) -> int`; modules are imported only for the command
that runs, so `copybot --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot import __version__, process

COMMANDS = {
    "run": "Write copy for a product in the terminal.",
    "serve": "Run the Slack bot (HTTP on $PORT, or Socket Mode).",
    "slack-preview": "Print the Slack messages a /copy would post, without a workspace (Block Kit JSON).",
    "refine": "Rewrite a variation of a past run as you ask (a new version).",
    "another": "Write a new take of a variation's style in a past run.",
    "voice": "Show or change a brand voice (text, banned terms, required spellings).",
    "stats": "This month's usage and the styles teams pick.",
    "history": "List past runs, or show one in full.",
    "db": "Migrate the database (db upgrade) or show its schema revision (db current).",
}


def module_of(command: str) -> str:
    """The module of a command: `slack-preview` lives in bot/commands/slack_preview.py."""
    return f"bot.commands.{command.replace('-', '_')}"


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copybot",
        description="Orchestrator-workers copywriting: one model plans 2-5 angles, workers write them concurrently.",
    )
    parser.add_argument("--version", action="version", version=f"copybot {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log to stderr: -v copybot's debug details (libraries: info), -vv everything's",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if a in COMMANDS), None)
    for name, help_text in COMMANDS.items():
        if name == chosen:
            importlib.import_module(module_of(name)).add_parser(sub, name, help_text)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def entry() -> NoReturn:
    """The process's entry point (`copybot`, `python -m bot`): main(), then an immediate exit (bot/process.py)."""
    process.start()
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help, --version, a usage error
        if not (exc.code is None or isinstance(exc.code, int)):
            raise
        code = exc.code or 0
    process.exit_now(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit status. Tests call this (in-process); the console script calls entry()."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return 2
    from bot import logs
    from bot.config import Settings
    from bot.errors import CopybotError
    from bot.terminal import one_line

    try:
        settings = Settings.from_env(os.environ)
        logs.configure(settings.log_format, settings.env, verbosity=args.verbose)
        command = importlib.import_module(module_of(args.command))
        code: int = command.main(args, settings)
    except CopybotError as exc:
        print(f"copybot: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("copybot: interrupted", file=sys.stderr)
        return 130
    return code
