"""StatsService: a workspace's figures for App Home and `copybot stats`: this month's usage and winning styles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.services.context import winning_styles
from bot.workflow.records import Usage
from bot.workflow.voice import StyleWins, counted

if TYPE_CHECKING:
    from storage import Repository

STYLE_RUNS = 200  # the winners of this many recent runs make the ranking
BAR_WIDTH = 20
UNKNOWN_COST = "unknown: a model's price (COPYBOT_PRICES sets it) or a call's token count is not known"


def cost_text(cost_usd: float | None) -> str:
    """A cost as every view shows it: dollars to the hundredth of a cent, or why it is unknown."""
    return UNKNOWN_COST if cost_usd is None else f"${cost_usd:,.4f}"


def usage_cost_text(usage: Usage) -> str:
    """A period's cost, saying how many runs it leaves out when some runs' cost is unknown (before COPYBOT_PRICES
    named their model, say)."""
    shown = cost_text(usage.cost_usd)
    if usage.cost_usd is not None and usage.unpriced_runs:
        shown += f" (and {counted(usage.unpriced_runs, 'run')} of unknown cost)"
    return shown


def bar(value: int, top: int) -> str:
    """A bar of block characters, `value` out of `top` (at least one block for anything counted)."""
    return "█" * max(1, round(BAR_WIDTH * value / top)) if top else ""


@dataclass(frozen=True)
class Stats:
    team_id: str | None
    since: datetime
    usage: Usage
    styles: tuple[StyleWins, ...]


def month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class StatsService:
    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    async def stats(self, team_id: str | None) -> Stats:
        """This month's (UTC) usage and the top winning styles of workspace `team_id` (None: every workspace)."""
        since = month_start()
        usage = await self.repository.team.usage(team_id, since)
        winners = await self.repository.team.winners(team_id, None, None, STYLE_RUNS)
        return Stats(team_id, since, usage, winning_styles(winners))
