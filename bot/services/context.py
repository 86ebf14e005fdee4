"""What a run is written with besides its request: its team's brand voice, and its team's taste.

Taste: before each run, what this channel's team picked over its last TASTE_RUNS runs that have favourites (in a
DM, the person's own runs in the workspace; from the CLI, its scope's runs): the styles that won, with their
votes, and up to two recent winning copies. Only the same workspace and channel's data is ever used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.services.voices import VoiceService
from bot.workflow.plan import type_key
from bot.workflow.records import Origin, Winner
from bot.workflow.types import CopyRequest
from bot.workflow.voice import NO_TASTE, StyleWins, Taste

if TYPE_CHECKING:
    from storage import Repository

TASTE_RUNS = 50
TASTE_STYLES = 5
TASTE_EXAMPLES = 2
EXAMPLE_CHARS = 400


def is_direct_message(channel_id: str) -> bool:
    return channel_id.startswith("D")


class RunContext:
    def __init__(self, repository: Repository, voices: VoiceService, *, taste: bool = True) -> None:
        self.repository = repository
        self.voices = voices
        self.taste_enabled = taste

    async def prepare(self, request: CopyRequest, origin: Origin, *, taste: bool = True) -> CopyRequest:
        """`request` with its team's voice and (unless turned off) its taste."""
        voice = await self.voices.for_run(origin.team_id, origin.channel_id)
        shown = await self.taste(origin) if self.taste_enabled and taste else NO_TASTE
        return replace(request, voice=voice, taste=shown)

    async def taste(self, origin: Origin) -> Taste:
        direct = is_direct_message(origin.channel_id)
        winners = await self.repository.team.winners(
            origin.team_id,
            channel_id=None if direct else origin.channel_id,
            user_id=origin.user_id if direct else None,
            runs=TASTE_RUNS,
        )
        if not winners:
            return NO_TASTE
        return Taste(
            styles=winning_styles(winners),
            examples=tuple(_clip(w.text) for w in winners[:TASTE_EXAMPLES]),
            shown=tuple((w.run_id, w.position) for w in winners),
        )


def winning_styles(winners: Sequence[Winner], top: int = TASTE_STYLES) -> tuple[StyleWins, ...]:
    """The styles that won most runs (then most votes), the same style however it was spelled."""
    wins: Counter[str] = Counter()
    votes: Counter[str] = Counter()
    names: dict[str, str] = {}
    for winner in winners:
        key = type_key(winner.style)
        names.setdefault(key, winner.style)
        wins[key] += 1
        votes[key] += winner.votes
    ranked = sorted(wins, key=lambda k: (-wins[k], -votes[k], names[k]))[:top]
    return tuple(StyleWins(names[k], wins[k], votes[k]) for k in ranked)


def _clip(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1].rstrip() + "…"
