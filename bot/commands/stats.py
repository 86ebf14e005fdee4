"""`copybot stats [--team T] [--json]`: this month's usage and the winning styles, as App Home shows them."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.config import Settings


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description="This month's runs, variations, tokens and cost, and the styles teams pick."
    )
    parser.add_argument("--team", default=None, metavar="T", help="one Slack workspace (default: all of them)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def main(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_main(settings, args.team, json_mode=args.json))


async def _main(settings: Settings, team: str | None, *, json_mode: bool) -> int:
    from bot.app import App
    from bot.services.stats import bar, usage_cost_text
    from bot.workflow.voice import counted

    async with App.open(settings) as app:
        stats = await (await app.stats()).stats(team)
    usage = stats.usage
    if json_mode:
        document = {
            "team": team,
            "since": stats.since.isoformat(),
            "runs": usage.runs,
            "variations": usage.variations,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": usage.cost_usd,
            "unpriced_runs": usage.unpriced_runs,
            "styles": [{"style": s.style, "wins": s.runs, "votes": s.votes} for s in stats.styles],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    cost = usage_cost_text(usage)
    print(f"{'Workspace ' + team if team else 'All workspaces'}, since {stats.since:%Y-%m-%d} (UTC):")
    print(f"  {counted(usage.runs, 'run')}, {counted(usage.variations, 'variation')}, "
          f"{usage.input_tokens:,} tokens in, {usage.output_tokens:,} out, cost {cost}")  # fmt: skip
    print("Winning styles:" if stats.styles else "No favourites yet.")
    top = stats.styles[0].runs if stats.styles else 0
    for s in stats.styles:
        print(f"  {bar(s.runs, top):<20} {s.style}: {counted(s.runs, 'win')} ({counted(s.votes, 'vote')})")
    return 0
