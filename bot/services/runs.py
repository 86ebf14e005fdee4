"""CopyService: one run's lifecycle. Workflow events -> storage, then every sink (terminal, Slack).

The run is stored (status planning) BEFORE any model call; every event is
stored as it happens and only then handed to the sinks, so a crash at any
point leaves an accurate record, and `recover_interrupted` (called when
`copybot run` and `copybot serve` start, and every few minutes while serve
runs: `recovering`) marks what a crash cut short as failed "interrupted".
Several processes may share one database: a run is only recovered when its
process is gone or it has been silent longer than a live run can be
(`stale_after`). A sink that
raises is logged and never stops storage or the run. If the workflow (or
storage) raises unexpectedly, the run is marked failed with the reason and
the sinks get a RunFinished saying so: no run is ever left "planning".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.errors import StorageError, describe
from bot.logs import RUN_ID
from bot.services.context import RunContext
from bot.services.events import RunObserver, RunSink, deliver, store
from bot.workflow import CopyRequest, RunFinished, RunStatus, Workflow, WorkflowConfig
from bot.workflow.records import Origin, RunDetail
from bot.workflow.types import INTERRUPTED_REASON, LLMCall

if TYPE_CHECKING:
    from storage import Repository

log = logging.getLogger(__name__)
RECOVERY_INTERVAL_S = 300.0
STALE_MARGIN = timedelta(seconds=60)
PROCESSED_EVENTS_KEPT = timedelta(days=7)  # Slack retries an event within minutes; a signed request replays for 5
RUN_NOT_SAVED = "copybot could not save this run; the team's admin can see why in the logs."


def stale_after(config: WorkflowConfig) -> timedelta:
    """How long a run may go unwritten before recovery takes it for dead, whatever process owns it.

    A live run writes at least after every model call: one orchestrator attempt or one worker attempt, each
    under its timeout. The bound allows the orchestrator and two worker attempts back to back, plus a margin
    for retry delays, slow sinks and a busy database.
    """
    return timedelta(seconds=config.orchestrator_timeout_s + 2 * config.worker_timeout_s) + STALE_MARGIN


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: RunStatus
    error: str = ""


class CopyService:
    """Runs the workflow for a request, storing the run and feeding the sinks."""

    def __init__(
        self,
        workflow: Workflow,
        repository: Repository,
        context: RunContext | None = None,
        observer: RunObserver | None = None,
    ) -> None:
        self.workflow = workflow
        self.repository = repository
        self.context = context
        self.observer = observer

    async def run(
        self, request: CopyRequest, origin: Origin, sinks: Sequence[RunSink] = (), *, taste: bool = True
    ) -> RunOutcome:
        """Run `request` to the end, in its team's voice and (unless `taste` is False) with its taste; the
        outcome's status is the stored one."""
        if self.context is not None:
            request = await self.context.prepare(request, origin, taste=taste)
        run_id = await self.repository.start_run(request, origin)
        logged_as = RUN_ID.set(run_id)  # the log lines of this run, its workers' included, carry its id
        if self.observer is not None:
            self.observer.started(run_id)
            sinks = [*sinks, self.observer]
        try:
            return await self._execute(run_id, request, sinks)
        finally:
            if self.observer is not None:
                self.observer.ended(run_id)
            RUN_ID.reset(logged_as)

    async def _execute(self, run_id: int, request: CopyRequest, sinks: Sequence[RunSink]) -> RunOutcome:
        if not request.taste.empty:
            await self.repository.team.record_taste(run_id, request.taste)
        finished: RunFinished | None = None
        run = self.workflow.run(request)
        try:
            async with run:  # leaving it early (an error, a cancellation) cancels the run's model calls
                async for event in run:
                    await store(self.repository, run_id, event)
                    if isinstance(event, RunFinished):
                        finished = event
                    await deliver(run_id, event, sinks)
            if finished is None:
                raise RuntimeError("the workflow stopped without finishing the run")
        except asyncio.CancelledError:  # shutdown: keep what the run had in flight, then say it was interrupted
            await self._interrupted(run_id, run.abandoned_calls, sinks)
            raise
        except StorageError:  # its detail is logged where it happened; users get one sentence
            log.error("run %d stopped: it could not be stored", run_id)
            finished = RunFinished(RunStatus.FAILED, RUN_NOT_SAVED)
            await self._finish_after_error(run_id, finished)
            await deliver(run_id, finished, sinks)
        except Exception as exc:
            log.exception("run %d failed unexpectedly", run_id)
            finished = RunFinished(RunStatus.FAILED, describe(exc))
            await self._finish_after_error(run_id, finished)
            await deliver(run_id, finished, sinks)
        return RunOutcome(run_id, finished.status, finished.error)

    async def attach_thread(self, run_id: int, channel: str, ts: str) -> None:
        """The run's Slack thread parent was posted as message `ts` in `channel`."""
        await self.repository.set_slack_thread(run_id, channel, ts)

    async def attach_message(self, run_id: int, position: int, ts: str) -> None:
        """Variation `position` of the run was posted as message `ts` (reactions on it are votes)."""
        await self.repository.set_variation_message(run_id, position, ts)

    async def thread_delivered(self, run_id: int) -> None:
        """The run's Slack thread is fully posted (or given up on): the next start owes it nothing."""
        await self.repository.thread_delivered(run_id)

    async def owed_threads(self) -> list[RunDetail]:
        """Finished runs whose Slack thread a gone process still owed posts, claimed by this process (no other
        process gets them) in full, for the Slack adapter to finish."""
        ids = await self.repository.claim_owed_threads(stale_after=stale_after(self.workflow.config))
        found = [await self.repository.run_detail(run_id) for run_id in ids]
        return [run for run in found if run is not None]

    async def claim_request(self, request_id: str) -> bool:
        """True the first time a Slack request id (a command's or a click's trigger_id) is seen, False for a replay.
        Ids are remembered for PROCESSED_EVENTS_KEPT, well past the 5 minutes a signed request can be replayed."""
        return await self.repository.mark_event_processed(f"request:{request_id}")

    async def recover_interrupted(self) -> int:
        """Mark runs a crash left in planning/writing as interrupted; returns how many.

        Only runs whose process is gone or that have been silent past `stale_after` are marked: runs that
        other live processes are executing on the same database are left alone. Slack event ids older than
        PROCESSED_EVENTS_KEPT are forgotten at the same time.
        """
        count = await self.repository.mark_interrupted(stale_after=stale_after(self.workflow.config))
        if count:
            log.warning("marked %d interrupted run(s) as failed", count)
        await self.repository.prune_processed_events(PROCESSED_EVENTS_KEPT)
        return count

    @asynccontextmanager
    async def recovering(
        self, every_s: float = RECOVERY_INTERVAL_S, then: Callable[[], Awaitable[object]] | None = None
    ) -> AsyncIterator[None]:
        """Recover now, then every `every_s` seconds in the background until the block exits (copybot serve).
        `then` runs in the background after each recovery (the Slack adapter heals the threads owed posts)."""
        await self.recover_interrupted()
        task = asyncio.create_task(self._recover_every(every_s, then), name="copybot-recovery")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.wait([task])

    async def _recover_every(self, every_s: float, then: Callable[[], Awaitable[object]] | None) -> None:
        while True:  # a database hiccup must not stop the bot: the next round tries again
            if then is not None:
                try:
                    await then()
                except Exception:
                    log.exception("finishing what a stopped process left undone failed")
            await asyncio.sleep(every_s)
            try:
                await self.recover_interrupted()
            except Exception:
                log.exception("recovering interrupted runs failed")

    async def _interrupted(self, run_id: int, abandoned: Sequence[LLMCall], sinks: Sequence[RunSink]) -> None:
        """The task running this run was cancelled: store the calls it had in flight, mark it interrupted and
        tell the sinks (the Slack thread says so instead of looking in progress forever)."""
        finished = RunFinished(RunStatus.INTERRUPTED, INTERRUPTED_REASON)
        try:
            for call in abandoned:
                await self.repository.record_llm_call(run_id, call)
        except Exception:
            log.exception("run %d: the calls in flight when it was interrupted could not be stored", run_id)
        await self._finish_after_error(run_id, finished)
        await deliver(run_id, finished, sinks)

    async def _finish_after_error(self, run_id: int, finished: RunFinished) -> None:
        try:
            await self.repository.finish_run(run_id, finished)
        except Exception:
            log.exception("run %d could not be marked failed; it will be marked interrupted on restart", run_id)
