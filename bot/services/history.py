"""HistoryService: past runs for `/copy history` and `copybot history`, scoped by workspace, channel and user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.workflow.records import RunDetail, RunPage

if TYPE_CHECKING:
    from storage import Repository


@dataclass(frozen=True)
class HistoryQuery:
    """Which runs to list, newest first. `team_id` None: every workspace (the CLI only)."""

    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    search: str = ""
    limit: int = 20
    before: int | None = None


class HistoryService:
    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    async def runs(self, query: HistoryQuery) -> RunPage:
        return await self.repository.recent_runs(
            query.team_id,
            channel_id=query.channel_id,
            user_id=query.user_id,
            search=query.search or None,
            limit=query.limit,
            before=query.before,
        )

    async def run(self, run_id: int) -> RunDetail | None:
        return await self.repository.run_detail(run_id)
