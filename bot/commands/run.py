"""`copybot run "<product>"`: one run in the terminal, stored like a Slack run.

Exit status: 0 all variations written, 1 partial (still shown), 2 the run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.terminal import one_line
from bot.workflow.types import MAX_VARIATIONS, CopyRequest, RunStatus

if TYPE_CHECKING:  # SQLAlchemy and the SDKs load only when a command runs, not for --help
    from bot.app import App
    from bot.services import Origin, Services

EXIT_CODES = {RunStatus.DONE: 0, RunStatus.PARTIAL: 1, RunStatus.FAILED: 2, RunStatus.INTERRUPTED: 2}


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="Plan 2-5 distinct copy angles for a product and write them all concurrently.",
        epilog='Example: copybot run "eco-friendly water bottle" --audience "environmentally conscious '
        'millennials" --feature plastic-free --feature insulated --feature "lifetime warranty"',
    )
    add_request_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the whole result as one JSON document on stdout")


def add_request_arguments(parser: argparse.ArgumentParser) -> None:
    """The request's arguments, shared with `copybot slack-preview`."""
    parser.add_argument("product", help="what to write copy for")
    parser.add_argument("--audience", default="", help="who the copy is for")
    parser.add_argument("--feature", action="append", default=[], dest="features", help="a key feature (repeatable)")
    parser.add_argument("--tone", default="", help="tone of voice, e.g. playful, premium")
    parser.add_argument(
        "--variations", type=int, default=None, help=f"at most this many variations (1-{MAX_VARIATIONS})"
    )
    parser.add_argument(
        "--format", default="", metavar="NAME", help="a format with hard character limits: tweet, google-ads, email..."
    )
    parser.add_argument("--max-chars", type=int, default=None, metavar="N", help="copy of at most N characters")
    parser.add_argument("--team", default="", metavar="T", help="write in the brand voice of Slack workspace T")
    parser.add_argument("--channel", default="", metavar="C", help="... and of its channel C (see `copybot voice`)")
    parser.add_argument("--no-taste", action="store_true", help="plan without the team's past favourites")


def request_of(args: argparse.Namespace, settings: Settings) -> CopyRequest:
    """The request the arguments describe (its format is chosen once the formats are loaded: `prepare`)."""
    request = CopyRequest(
        product=args.product,
        audience=args.audience,
        features=tuple(args.features),
        tone=args.tone,
        max_variations=settings.max_variations if args.variations is None else args.variations,
    )
    return replace(request, max_variations=min(request.max_variations, settings.max_variations))


async def prepare(app: App, request: CopyRequest, args: argparse.Namespace) -> tuple[CopyRequest, Services, str]:
    """Before a run: its format, the provider (announced on stderr), the services, runs a crash left recovered.
    Returns the request with its format, the services and the provider's name."""
    from bot.workflow.formats import choose

    request = replace(request, format=choose(app.formats, args.format, args.max_chars))
    llm = await app.llm()
    orchestrator, worker = (llm.describe(model) for model in await app.models())
    print(f"copybot: {llm.provider} · orchestrator {orchestrator}, workers {worker}", file=sys.stderr, flush=True)
    services = await app.services()
    await services.runs.recover_interrupted()  # runs whose process crashed; live processes' runs are kept
    return request, services, llm.provider


def origin_of(args: argparse.Namespace) -> Origin:
    """A run from the terminal, in the brand voice of --team/--channel."""
    from bot.services import Origin, RunSource

    return Origin(RunSource.CLI, args.team, args.channel, user_name=getpass.getuser())


def main(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run(request_of(args, settings), settings, args, json_mode=args.json))


async def _run(request: CopyRequest, settings: Settings, args: argparse.Namespace, *, json_mode: bool) -> int:
    from bot.app import App
    from bot.console import FAILED, ConsoleView

    async with App.open(settings) as app:
        request, services, provider = await prepare(app, request, args)
        view = ConsoleView(request=request, provider=provider, json_mode=json_mode)
        outcome = await services.runs.run(request, origin_of(args), [view], taste=not args.no_taste)
    if outcome.status in FAILED:  # the reason, once: the summary above leaves it out
        print(f"copybot: the run failed: {one_line(outcome.error)}", file=sys.stderr)
    return EXIT_CODES[outcome.status]
