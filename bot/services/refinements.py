"""RefinementService: new versions of a run's variations, from Slack threads and from the terminal.

A refinement rewrites a variation as a person asks ("2 shorter"); another take writes the same style anew,
different from every earlier text of that style. Either is a new variation of the same run, with the run's next
free number and its lineage (kind, parent, instruction, who asked), stored and shown like the originals.
Everything a person can get wrong (no such variation, which one, an empty or too long instruction, the run's
limit of versions) is a RequestError saying what to do, raised before any model call.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.errors import RequestError, describe
from bot.logs import RUN_ID
from bot.services.events import RunSink, deliver, store
from bot.workflow import CopyRequest, Workflow
from bot.workflow.plan import type_key
from bot.workflow.records import RunDetail, VariationRecord
from bot.workflow.types import (
    INTERRUPTED_REASON,
    MAX_INSTRUCTION_CHARS,
    LLMCall,
    Revision,
    Subtask,
    Variation,
    VariationDone,
    VariationFailed,
    VariationKind,
    VariationStatus,
)

if TYPE_CHECKING:
    from storage import Repository

log = logging.getLogger(__name__)
_TARGET = re.compile(r"\s*(?:#|[vV])?([0-9]{1,3})(?:\s*[:.]\s*|\s+|\s*$)(.*)", re.DOTALL)


def parse_refinement(text: str) -> tuple[int | None, str]:
    """`2 shorter`, `#2 shorter`, `2: shorter`, `2. shorter`, `v2 shorter` -> (2, "shorter"); else (None, text)."""
    match = _TARGET.fullmatch(text)
    if match is None:
        return None, text.strip()
    return int(match.group(1)), match.group(2).strip()


@dataclass(frozen=True)
class Version:
    """A new version as it ended: written (`done`) or not, with its lineage."""

    run_id: int
    subtask: Subtask
    status: VariationStatus
    text: str = ""
    error: str = ""
    variation: Variation | None = None  # when written: its fields and what is still over their limits


WRITTEN = (VariationStatus.DONE, VariationStatus.OVER_LIMIT)


def request_of(run: RunDetail) -> CopyRequest:
    """The run's request, format included: a new version keeps it, and the same checks (and the run's voice)."""
    return CopyRequest(run.product, run.audience, run.features, run.tone, run.max_variations, run.format)


def _numbers(variations: Sequence[VariationRecord]) -> str:
    return ", ".join(str(v.position) for v in variations)


def choose_base(run: RunDetail, named: int | None, user_id: str) -> VariationRecord:
    """The variation a new version is made from: the one named, else the person's own favourite in the run, else
    the run's most-voted one, else its only written one."""
    written = [v for v in run.variations if v.status in WRITTEN]
    if named is not None:
        found = next((v for v in run.variations if v.position == named), None)
        if found is None:
            raise RequestError(f"This run has no variation {named}.", hint=f"Its variations: {_numbers(written)}.")
        if found.status not in WRITTEN:
            raise RequestError(
                f"Variation {named} has no copy to work from (it {found.status}).",
                hint=f"Pick one that was written: {_numbers(written)}.",
            )
        return found
    if not written:
        raise RequestError("This run has no written variation to work from.", hint="Start a new one with /copy.")
    mine = next((v for v in written if any(vote.user_id == user_id for vote in v.votes)), None) if user_id else None
    voted = max(written, key=lambda v: (len(v.votes), -v.position))
    chosen = mine or (voted if voted.votes else None) or (written[0] if len(written) == 1 else None)
    if chosen is None:
        raise RequestError(
            "Which variation should I work on?",
            hint=f"Start with its number, e.g. `{written[0].position} shorter`. This run has {_numbers(written)}.",
        )
    return chosen


def check_instruction(instruction: str) -> str:
    instruction = instruction.strip()
    if not instruction:
        raise RequestError("Say what to change.", hint="e.g. `2 shorter, and mention the warranty`.")
    if len(instruction) > MAX_INSTRUCTION_CHARS:
        raise RequestError(
            f"That request is {len(instruction):,} characters; the limit is {MAX_INSTRUCTION_CHARS:,}.",
            hint="Shorten it and send it again.",
        )
    return instruction


class RefinementService:
    """Writes new versions of a run's variations; at most `max_versions` per run besides its originals."""

    def __init__(
        self, workflow: Workflow, repository: Repository, *, max_versions: int, observer: RunSink | None = None
    ) -> None:
        self.workflow = workflow
        self.repository = repository
        self.max_versions = max_versions
        self.observer = observer

    async def run_for_thread(self, team_id: str, channel: str, thread_ts: str) -> int | None:
        """The run whose Slack thread this is, or None (a thread that is not a copybot run)."""
        return await self.repository.find_run_by_thread(team_id, channel, thread_ts)

    async def claim_message(self, channel: str, ts: str) -> bool:
        """True the first time a Slack message is seen (it may come as `message` and as `app_mention`, and again
        on Slack's retries)."""
        return await self.repository.mark_event_processed(f"msg:{channel}:{ts}")

    async def refine(
        self, run_id: int, position: int | None, instruction: str, user_id: str = "", sinks: Sequence[RunSink] = ()
    ) -> Version:
        """Rewrite variation `position` (None: chosen as `choose_base` says) following `instruction`."""
        instruction = check_instruction(instruction)
        run = await self._run(run_id)
        base = choose_base(run, position, user_id)
        subtask = Subtask(0, base.type, base.description, VariationKind.REFINE, base.position, instruction)
        return await self._write(run, base, subtask, user_id, sinks)

    async def another(
        self, run_id: int, position: int | None, user_id: str = "", sinks: Sequence[RunSink] = ()
    ) -> Version:
        """A new take of variation `position`'s style, different from every earlier text of that style."""
        run = await self._run(run_id)
        base = choose_base(run, position, user_id)
        subtask = Subtask(0, base.type, base.description, VariationKind.ANOTHER, base.position)
        return await self._write(run, base, subtask, user_id, sinks)

    async def _run(self, run_id: int) -> RunDetail:
        run = await self.repository.run_detail(run_id)
        if run is None:
            raise RequestError(f"There is no run {run_id}.", hint="`copybot history` lists the runs and their ids.")
        return run

    async def _write(
        self, run: RunDetail, base: VariationRecord, subtask: Subtask, user_id: str, sinks: Sequence[RunSink]
    ) -> Version:
        if self.observer is not None:
            sinks = [*sinks, self.observer]
        logged_as = RUN_ID.set(run.id)
        try:
            return await self._write_version(run, base, subtask, user_id, sinks)
        finally:
            RUN_ID.reset(logged_as)

    async def _write_version(
        self, run: RunDetail, base: VariationRecord, subtask: Subtask, user_id: str, sinks: Sequence[RunSink]
    ) -> Version:
        reserved = await self.repository.reserve_version(run.id, subtask, user_id, limit=self.max_versions)
        if reserved is None:
            raise RequestError(
                f"This run already has {self.max_versions} new versions, as many as a run may have.",
                hint="Start a fresh run with /copy for more.",
            )
        written = [v for v in run.variations if v.status in WRITTEN]
        voice = await self.repository.team.voice_of_versions(run.voice_versions)
        revision = Revision(
            request=replace(request_of(run), voice=voice),
            subtask=reserved,
            base=base.text,
            earlier=tuple((v.position, v.text) for v in written),
            same_style=tuple(v.text for v in written if type_key(v.type) == type_key(base.type)),
        )
        version = Version(run.id, reserved, VariationStatus.FAILED, error="The version was not written.")
        handle = self.workflow.revise(revision)
        try:
            async with handle:
                async for event in handle:
                    await store(self.repository, run.id, event)
                    if isinstance(event, VariationDone):
                        new = event.variation
                        version = Version(run.id, reserved, new.status, new.text, variation=new)
                    elif isinstance(event, VariationFailed):
                        version = Version(run.id, reserved, VariationStatus.FAILED, error=event.error)
                    await deliver(run.id, event, sinks)
        except asyncio.CancelledError:  # shutdown: keep the calls in flight, and say the version was cut short
            await self._ended(run.id, reserved, VariationStatus.INTERRUPTED, INTERRUPTED_REASON, handle.abandoned_calls)
            raise
        except Exception as exc:
            log.exception("run %d: version %d failed unexpectedly", run.id, reserved.position)
            version = Version(run.id, reserved, VariationStatus.FAILED, error=describe(exc))
            await self._ended(run.id, reserved, VariationStatus.FAILED, version.error, ())
            await deliver(run.id, VariationFailed(reserved, version.error), sinks)
        return version

    async def _ended(
        self, run_id: int, subtask: Subtask, status: VariationStatus, error: str, abandoned: Sequence[LLMCall]
    ) -> None:
        try:
            for call in abandoned:
                await self.repository.record_llm_call(run_id, call)
            await self.repository.record_variation_failed(run_id, subtask, error, None, status=status)
        except Exception:
            log.exception("run %d: version %d could not be marked %s", run_id, subtask.position, status)
