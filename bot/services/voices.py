"""VoiceService: a workspace's and a channel's brand voice, shown and changed (every change a new version).

`COPYBOT_VOICE_EDITORS` (user ids; empty: everyone) limits who may change a voice from Slack; the CLI is the
operator's and may always. The voice a run is written in is the workspace's, then the channel's: both apply.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.errors import RequestError
from bot.workflow.voice import MAX_TERM_CHARS, MAX_TERMS, MAX_VOICE_CHARS, Voice, terms

if TYPE_CHECKING:
    from storage import Repository

ACTIONS = ("show", "set", "ban", "unban", "require", "clear")


@dataclass(frozen=True)
class Scope:
    """A workspace (`channel_id` ""), or one of its channels. The CLI's own scope is team "" and channel ""."""

    team_id: str
    channel_id: str = ""

    def describe(self) -> str:
        return f"channel {self.channel_id}" if self.channel_id else "workspace"


class NotAnEditor(RequestError):
    """Someone not in COPYBOT_VOICE_EDITORS tried to change a voice."""


def _check(voice: Voice) -> Voice:
    if len(voice.text) > MAX_VOICE_CHARS:
        raise RequestError(
            f"The voice is {len(voice.text):,} characters; the limit is {MAX_VOICE_CHARS:,}.", hint="Shorten it."
        )
    for name, found in (("banned terms", voice.banned), ("required spellings", voice.required)):
        if len(found) > MAX_TERMS:
            raise RequestError(f"{len(found)} {name}; the limit is {MAX_TERMS}.")
        if long := next((t for t in found if len(t) > MAX_TERM_CHARS), None):
            raise RequestError(f"'{long[:80]}' is longer than {MAX_TERM_CHARS} characters.", hint="Use short terms.")
    return voice


class VoiceService:
    def __init__(self, repository: Repository, *, editors: Collection[str] = ()) -> None:
        self.repository = repository
        self.editors = frozenset(editors)

    def may_edit(self, user_id: str) -> bool:
        return not self.editors or user_id in self.editors

    async def show(self, scope: Scope) -> Voice:
        return await self.repository.team.voice(scope.team_id, scope.channel_id)

    async def for_run(self, team_id: str, channel_id: str) -> Voice:
        """The workspace's voice, then the channel's (in a DM or the CLI: the scope's own)."""
        workspace = await self.repository.team.voice(team_id, "")
        if not channel_id:
            return workspace
        return workspace.then(await self.repository.team.voice(team_id, channel_id))

    async def change(self, scope: Scope, action: str, argument: str, *, user_id: str = "") -> Voice:
        """Apply `action` (set, ban, unban, require, clear) and store the result as a new version."""
        self._may(user_id)
        return await self.save(scope, self._apply(await self.show(scope), action, argument.strip()), user_id=user_id)

    async def save(self, scope: Scope, voice: Voice, *, user_id: str = "") -> Voice:
        """Store `voice` as the scope's new version (the brief form's whole voice at once)."""
        self._may(user_id)
        await self.repository.team.save_voice(scope.team_id, scope.channel_id, _check(voice), user_id or "cli")
        return await self.show(scope)

    def _may(self, user_id: str) -> None:
        if user_id and not self.may_edit(user_id):
            raise NotAnEditor(
                "Only the people in COPYBOT_VOICE_EDITORS may change the brand voice.",
                hint="Ask one of them, or your copybot admin.",
            )

    @staticmethod
    def _apply(current: Voice, action: str, argument: str) -> Voice:
        if action == "clear":
            return Voice()
        if action == "set":
            return replace(current, text=argument, versions=())
        given = terms(argument)
        if not given:
            raise RequestError(f"Say which terms to {action}.", hint=f"e.g. `{action} cheap, best ever`.")
        if action == "ban":
            return replace(current, banned=Voice(banned=current.banned).then(Voice(banned=given)).banned)
        if action == "require":
            return replace(current, required=Voice(required=current.required).then(Voice(required=given)).required)
        if action == "unban":
            keep = tuple(t for t in current.banned if t.casefold() not in {g.casefold() for g in given})
            if len(keep) == len(current.banned):
                raise RequestError(f"{', '.join(given)} is not banned.", hint="`show` lists the banned terms.")
            return replace(current, banned=keep)
        raise RequestError(f"`{action}` is not a voice command.", hint=f"Use one of: {', '.join(ACTIONS)}.")
