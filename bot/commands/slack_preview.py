"""`copybot slack-preview "<product>"`: the Slack messages a /copy would post, without a workspace.

The run is real (the providers and settings of `copybot run`, stored like it); its thread is built by the Slack
adapter's own code (bot/slack/preview.py) and printed as Block Kit payloads, each one `{"blocks": [...]}` as
Slack's Block Kit Builder takes it. Exit status as for `copybot run`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commands.run import EXIT_CODES, add_request_arguments, request_of
from bot.config import Settings
from bot.errors import RequestError
from bot.terminal import one_line

if TYPE_CHECKING:
    from bot.slack.preview import Posted, Preview

BUILDER = "https://app.slack.com/block-kit-builder"
USER = "U0PREVIEW"  # the requester the parent names: <@U0PREVIEW>
TITLES = {"parent": "the thread's parent message", "reply": "a reply in the thread", "private": "only you see"}


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="Run the workflow for a product as /copy would, and print the Slack messages copybot would post: "
        "the thread's parent (in its final form) and each reply, as Block Kit JSON that Slack's Block Kit Builder "
        f"({BUILDER}) takes as it is. Nothing is sent to Slack; the run is stored like `copybot run`'s.",
        epilog='Example: copybot slack-preview "eco-friendly water bottle" --audience hikers --out preview/',
    )
    add_request_arguments(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print every message in one JSON document on stdout")
    output.add_argument(
        "--out",
        default="",
        metavar="DIR",
        help='write each message to DIR/NN-KIND.json (one {"blocks": [...]} each) instead of printing it',
    )


def main(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import FAILED

    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise RequestError(f"--out {out} is a file.", hint="Give a directory (it is created if it does not exist).")
    preview = asyncio.run(_preview(settings, args))
    if args.json:
        print(json.dumps(document(preview), ensure_ascii=False, indent=2))
    elif out is not None:
        for path in write(preview.messages, out):
            print(path)
    else:
        print(render(preview.messages))
        print(
            f'copybot: paste any {{"blocks": ...}} above into {BUILDER} to see it as Slack shows it.', file=sys.stderr
        )
    outcome = preview.outcome
    if outcome.status in FAILED:  # as `copybot run`: the reason, on one line
        print(f"copybot: the run failed: {one_line(outcome.error)}", file=sys.stderr)
    return EXIT_CODES[outcome.status]


async def _preview(settings: Settings, args: argparse.Namespace) -> Preview:
    from bot.app import App
    from bot.commands.run import origin_of, prepare
    from bot.slack.preview import preview

    async with App.open(settings) as app:
        request, services, _ = await prepare(app, request_of(args, settings), args)
        origin = replace(origin_of(args), user_id=USER)
        return await preview(services.runs, request, origin, taste=not args.no_taste)


def document(preview: Preview) -> dict[str, Any]:
    """`--json`: the run and its messages in posting order (`kind`: parent, reply or private)."""
    outcome = preview.outcome
    return {
        "run_id": outcome.run_id,
        "status": outcome.status,
        "error": outcome.error,
        "messages": [m.to_dict() for m in preview.messages],
    }


def render(messages: tuple[Posted, ...]) -> str:
    """Each message under a title line, as the JSON the Block Kit Builder takes."""
    parts = []
    for number, message in enumerate(messages, 1):
        title = f"── {number}/{len(messages)} · {TITLES[message.kind]} ──"
        parts += [title, json.dumps(message.builder_payload(), ensure_ascii=False, indent=2), ""]
    return "\n".join(parts).rstrip()


def write(messages: tuple[Posted, ...], directory: Path) -> list[Path]:
    """One file per message, numbered in posting order; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, message in enumerate(messages, 1):
        path = directory / f"{number:02d}-{message.kind}.json"
        path.write_text(json.dumps(message.builder_payload(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
