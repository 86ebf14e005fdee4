"""A run's events, stored then shown: shared by runs and by new versions of a run's variations.

Every event is stored before any sink sees it, so a crash at any point leaves an accurate record. A sink that
raises is logged and never stops storage or the run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, assert_never

from bot.workflow import (
    AnalysisReady,
    CallRecorded,
    Event,
    PlanReady,
    RunFinished,
    VariationDone,
    VariationFailed,
    VariationStarted,
    VariationText,
)

if TYPE_CHECKING:
    from storage import Repository

log = logging.getLogger(__name__)


class RunSink(Protocol):
    """Something that shows a run as it happens (the terminal, a Slack thread)."""

    async def handle(self, run_id: int, event: Event) -> None: ...


class RunObserver(RunSink, Protocol):
    """A sink of every run (the metrics), told when each run starts and ends, whatever ends it."""

    def started(self, run_id: int) -> None: ...

    def ended(self, run_id: int) -> None: ...


async def store(repository: Repository, run_id: int, event: Event) -> None:
    match event:
        case AnalysisReady():
            await repository.record_analysis(run_id, event.analysis)
        case VariationStarted():
            await repository.record_subtask(run_id, event.subtask)
        case VariationText():  # transient (live text): VariationDone stores the final copy
            pass
        case VariationDone():
            await repository.record_variation_done(run_id, event.variation)
        case VariationFailed():
            await repository.record_variation_failed(run_id, event.subtask, event.error, event.call)
        case PlanReady():
            await repository.record_plan(run_id, event.plan)
        case CallRecorded():
            await repository.record_llm_call(run_id, event.call)
        case RunFinished():
            await repository.finish_run(run_id, event)
        case _:
            assert_never(event)


async def deliver(run_id: int, event: Event, sinks: Sequence[RunSink]) -> None:
    for sink in sinks:
        try:
            await sink.handle(run_id, event)
        except Exception:
            log.exception("sink %s failed on %s for run %d", type(sink).__name__, type(event).__name__, run_id)
