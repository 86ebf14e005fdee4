"""CopyService: the run is stored before any model call, every event is stored then shown, crashes are recovered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from bot.service import CopyService, Origin, RunOutcome
from bot.workflow import AnalysisReady, CopyRequest, Event, RunFinished, VariationStarted, Workflow
from storage import INTERRUPTED, Repository, open_repository
from tests.storage.backends import database_url_fixture
from tests.storage.fake_llm import ORCHESTRATOR_MODEL, REQUEST, FakeLLM, workflow

__all__ = ["database_url_fixture"]

CLI = Origin("cli", user_name="ana")


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[tuple[int, Event]] = []

    async def handle(self, run_id: int, event: Event) -> None:
        self.events.append((run_id, event))


class BrokenSink:
    async def handle(self, run_id: int, event: Event) -> None:
        raise RuntimeError("the terminal went away")


@pytest.fixture(name="repository")
async def repository_fixture(database_url: str) -> AsyncIterator[Repository]:
    repository = await open_repository(database_url)
    try:
        yield repository
    finally:
        await repository.aclose()


async def test_the_run_is_stored_before_the_first_model_call(repository: Repository) -> None:
    seen: list[tuple[str, str]] = []

    async def check_stored() -> None:
        seen.extend((run.status, run.product) for run in (await repository.recent_runs(None)).runs)

    llm = FakeLLM(before_first_call=check_stored)
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, CLI)
    assert seen == [("planning", "eco-friendly water bottle")]
    assert outcome.status == "done"


async def test_every_event_is_stored_and_passed_to_every_sink_even_when_one_sink_fails(
    repository: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    sink = RecordingSink()
    llm = FakeLLM(failing=frozenset({"technical"}))
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, CLI, [BrokenSink(), sink])

    last = sink.events[-1][1]
    assert isinstance(last, RunFinished) and (last.status, last.succeeded, last.failed) == ("partial", 2, 1)
    assert outcome == RunOutcome(outcome.run_id, "partial", last.error)
    assert {run_id for run_id, _ in sink.events} == {outcome.run_id}
    assert isinstance(sink.events[0][1], AnalysisReady)
    assert "the terminal went away" in caplog.text

    run = await repository.run_detail(outcome.run_id)
    assert run is not None
    assert (run.status, run.error, run.analysis, run.source, run.user_name, run.tone) == (
        "partial",
        last.error,
        "Fake analysis of the request.",
        "cli",
        "ana",
        "warm",
    )
    assert [(v.type, v.status, v.text) for v in run.variations] == [
        ("benefit-led", "done", "benefit-led copy"),
        ("technical", "failed", ""),
        ("playful", "done", "playful copy"),
    ]
    assert "fake failure writing technical" in run.variations[1].error
    assert sorted((c.role, c.position) for c in run.calls if c.position) == [
        ("worker", 1),
        ("worker", 2),
        ("worker", 3),
    ]
    assert [c.model for c in run.calls if c.role == "orchestrator"] == [ORCHESTRATOR_MODEL]
    assert len(run.calls) == 4  # the failed call is stored too, and used no tokens
    assert run.input_tokens == 3 * 100 and run.estimated_cost_usd is not None and run.estimated_cost_usd > 0


class BrokenWorkflow(Workflow):
    async def run(self, request: CopyRequest) -> AsyncIterator[Event]:
        yield AnalysisReady("")
        raise RuntimeError("disk on fire")


async def test_a_workflow_that_raises_leaves_a_failed_run_with_the_reason(repository: Repository) -> None:
    sink = RecordingSink()
    outcome = await CopyService(BrokenWorkflow(FakeLLM(), workflow(FakeLLM()).config), repository).run(
        REQUEST, CLI, [sink]
    )
    assert outcome.status == "failed" and "disk on fire" in outcome.error
    run = await repository.run_detail(outcome.run_id)
    assert run is not None and (run.status, run.error) == ("failed", outcome.error)
    assert sink.events[-1] == (outcome.run_id, RunFinished("failed", outcome.error))


class PlanStorageFails:
    """The repository, except that storing the plan fails (a full disk, a dropped connection)."""

    def __init__(self, inner: Repository) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def record_plan(self, run_id: int, plan: object) -> None:
        raise RuntimeError("disk full")


async def test_a_storage_failure_fails_the_run_and_stops_its_workers(repository: Repository) -> None:
    llm = FakeLLM(gate=asyncio.Event())  # workers wait forever unless stopped
    service = CopyService(workflow(llm), PlanStorageFails(repository))  # type: ignore[arg-type]
    outcome = await asyncio.wait_for(service.run(REQUEST, CLI), 10)
    assert (outcome.status, outcome.error) == ("failed", "Unexpected error: RuntimeError: disk full")
    assert llm.cancelled == 3  # no model call keeps running (and costing) after the run has ended
    run = await repository.run_detail(outcome.run_id)
    assert run is not None and (run.status, run.error) == ("failed", outcome.error)
    assert {(v.status, v.error) for v in run.variations} == {("failed", outcome.error)}


async def test_a_crash_mid_run_is_recovered_on_restart(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    repository = await open_repository(database_url)
    gate = asyncio.Event()  # never set: the workers hang until the "crash"
    started = asyncio.Event()

    class StartedSink:
        async def handle(self, run_id: int, event: Event) -> None:
            if isinstance(event, VariationStarted) and event.subtask.position == 3:
                started.set()

    service = CopyService(workflow(FakeLLM(gate=gate)), repository)
    task = asyncio.create_task(service.run(REQUEST, CLI, [StartedSink()]))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await repository.aclose()

    restarted = await open_repository(database_url)
    try:
        service = CopyService(workflow(FakeLLM()), restarted)
        (summary,) = (await restarted.recent_runs(None)).runs
        assert summary.status == "writing"
        with caplog.at_level(logging.WARNING):
            assert await service.recover_interrupted() == 1
        assert "1 interrupted run" in caplog.text
        run = await restarted.run_detail(summary.id)
        assert run is not None
        assert (run.status, run.error, run.analysis) == ("failed", INTERRUPTED, "Fake analysis of the request.")
        assert [(v.position, v.status, v.error) for v in run.variations] == [
            (p, "failed", INTERRUPTED) for p in (1, 2, 3)
        ]
        assert await service.recover_interrupted() == 0
        outcome = await service.run(REQUEST, CLI)  # the restarted service works normally
        assert outcome.status == "done"
    finally:
        await restarted.aclose()
