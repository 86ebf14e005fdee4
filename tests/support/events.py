"""A run's events: collecting them, picking them by kind, and asserting their documented order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from bot.workflow import (
    AnalysisReady,
    CopyRequest,
    Event,
    PlanReady,
    RunFinished,
    VariationDone,
    VariationFailed,
    VariationStarted,
    Workflow,
)

E = TypeVar("E")


async def collect(workflow: Workflow, request: CopyRequest) -> list[Event]:
    """Every event of one run of `request`, in order."""
    return [event async for event in workflow.run(request)]


def of(events: Sequence[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def finished(events: Sequence[Event]) -> RunFinished:
    last = events[-1]
    assert isinstance(last, RunFinished)
    assert len(of(events, RunFinished)) == 1
    return last


def assert_event_order(events: Sequence[Event]) -> None:
    """The documented order: AnalysisReady first, Started before Done/Failed, Started before PlanReady, end last."""
    finished(events)
    assert isinstance(events[0], AnalysisReady)
    started = {e.subtask.position: i for i, e in enumerate(events) if isinstance(e, VariationStarted)}
    assert len(started) == len(of(events, VariationStarted)), "a variation was started twice"
    for i, event in enumerate(events):
        if isinstance(event, VariationDone):
            assert started[event.variation.subtask.position] < i
        if isinstance(event, VariationFailed):
            assert started[event.subtask.position] < i
        if isinstance(event, PlanReady):
            assert all(s < i for s in started.values())
            assert [t.position for t in event.plan.subtasks] == sorted(started)
