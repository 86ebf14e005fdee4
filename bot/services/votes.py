"""VoteService: favourites, one per user per run, from reactions and the Pick button."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.workflow.records import MessageRef

if TYPE_CHECKING:
    from storage import Repository


class VoteService:
    """Finds the variation a Slack message shows and records or clears a user's vote on it."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    async def variation_at(self, channel: str, ts: str, *, team_id: str) -> MessageRef | None:
        """The variation posted as message `ts` in `channel`, within workspace `team_id`."""
        return await self.repository.find_variation_by_message(channel, ts, team_id=team_id)

    async def vote(self, ref: MessageRef, user_id: str, how: str, *, event_id: str | None = None) -> bool:
        """Make `ref` the user's favourite in its run (a previous vote moves); False for a redelivered event."""
        return await self.repository.set_favourite(ref.run_id, ref.position, user_id, how, event_id=event_id)

    async def unvote(self, ref: MessageRef, user_id: str, how: str, *, event_id: str | None = None) -> bool:
        """Clear the user's vote for `ref` if `how` cast it (another favourite reaction keeps it)."""
        return await self.repository.clear_favourite(
            ref.run_id, user_id, position=ref.position, how=how, event_id=event_id
        )
