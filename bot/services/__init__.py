"""Application services: the only callers of storage, and the read models the adapters show.

Adapters (bot/slack, bot/console.py, bot/commands) depend on these and on the
records of bot.workflow.records, never on storage's modules; bot/app.py builds
them once per command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import StorageError
from bot.services.context import RunContext
from bot.services.events import RunObserver, RunSink
from bot.services.history import HistoryQuery, HistoryService
from bot.services.limits import Limits, LimitService, Reason, Refusal
from bot.services.refinements import RefinementService, Version, parse_refinement
from bot.services.runs import CopyService, RunOutcome
from bot.services.stats import Stats, StatsService
from bot.services.voices import Scope, VoiceService
from bot.services.votes import VoteService
from bot.services.workspaces import WorkspaceService
from bot.workflow.formats import Format
from bot.workflow.records import (
    CallRecord,
    MessageRef,
    Origin,
    RunDetail,
    RunPage,
    RunSource,
    RunSummary,
    VariationRecord,
    Vote,
)

if TYPE_CHECKING:
    from bot.services.metrics import Metrics


@dataclass(frozen=True)
class Services:
    """What an adapter (the Slack app) is given: every application service, sharing one provider and database."""

    runs: CopyService
    votes: VoteService
    history: HistoryService
    refinements: RefinementService
    formats: Mapping[str, Format]  # by name: the presets and the team's own (COPYBOT_FORMATS_FILE)
    voices: VoiceService
    stats: StatsService
    workspaces: WorkspaceService
    limits: LimitService
    metrics: Metrics | None = None  # `copybot serve`'s (the CLI's commands have none)

    async def health(self) -> dict[str, str]:
        """Each part copybot needs and its state: "ok", or what is wrong in a few words (the detail is logged)."""
        from storage.guard import FileLost

        try:
            await self.runs.repository.check()
        except FileLost:
            return {"database": "down: its file was deleted or replaced"}
        except StorageError:
            return {"database": "down: it does not answer"}
        return {"database": "ok"}


__all__ = [
    "CallRecord",
    "CopyService",
    "HistoryQuery",
    "HistoryService",
    "LimitService",
    "Limits",
    "MessageRef",
    "Origin",
    "Reason",
    "RefinementService",
    "Refusal",
    "RunContext",
    "RunDetail",
    "RunObserver",
    "RunOutcome",
    "RunPage",
    "RunSink",
    "RunSource",
    "RunSummary",
    "Scope",
    "Services",
    "Stats",
    "StatsService",
    "VariationRecord",
    "Version",
    "VoiceService",
    "Vote",
    "VoteService",
    "WorkspaceService",
    "parse_refinement",
]
