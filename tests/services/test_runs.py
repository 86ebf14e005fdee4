"""CopyService: the run is stored before any model call, every event is stored then shown, crashes are recovered."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.errors import INTERNAL_ERROR
from bot.services import CopyService, Origin, RunOutcome, RunSource
from bot.services.runs import PROCESSED_EVENTS_KEPT, stale_after
from bot.workflow import AnalysisReady, CopyRequest, Event, RunFinished, Workflow
from bot.workflow.types import INTERRUPTED_REASON, RunStatus
from storage import DatabaseConfig, Repository, open_repository
from storage.tables import ProcessedEvent, Run
from tests.storage.backends import database_url_fixture
from tests.storage.conftest import repository_fixture
from tests.storage.hung_run import hung_run
from tests.storage.test_recovery import behind_the_back
from tests.support.plans import ANALYSIS
from tests.support.scripted import PRICED_ORCHESTRATOR, REQUEST, ScriptedLLM, workflow

__all__ = ["database_url_fixture", "repository_fixture"]

CLI = Origin(RunSource.CLI, user_name="ana")


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[tuple[int, Event]] = []

    async def handle(self, run_id: int, event: Event) -> None:
        self.events.append((run_id, event))


class BrokenSink:
    async def handle(self, run_id: int, event: Event) -> None:
        raise RuntimeError("the terminal went away")


async def test_the_run_is_stored_before_the_first_model_call(repository: Repository) -> None:
    seen: list[tuple[str, str]] = []

    async def check_stored() -> None:
        seen.extend((run.status, run.product) for run in (await repository.recent_runs(None)).runs)

    llm = ScriptedLLM(before_first_call=check_stored)
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, CLI)
    assert seen == [("planning", "eco-friendly water bottle")]
    assert outcome.status == "done"


async def test_every_event_is_stored_and_passed_to_every_sink_even_when_one_sink_fails(
    repository: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    sink = RecordingSink()
    llm = ScriptedLLM(failing=frozenset({"technical"}))
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
        ANALYSIS,
        "cli",
        "ana",
        "warm",
    )
    assert [(v.type, v.status, v.text) for v in run.variations] == [
        ("benefit-led", "done", "Copy in the benefit-led style."),
        ("technical", "failed", ""),
        ("playful", "done", "Copy in the playful style."),
    ]
    assert "fake failure writing technical" in run.variations[1].error
    assert sorted((c.role, c.position) for c in run.calls if c.position) == [
        ("worker", 1),
        ("worker", 2),
        ("worker", 3),
    ]
    assert [c.model for c in run.calls if c.role == "orchestrator"] == [PRICED_ORCHESTRATOR]
    assert len(run.calls) == 4  # the failed call is stored too, and used no tokens
    assert run.input_tokens == 3 * 100 and run.estimated_cost_usd is not None and run.estimated_cost_usd > 0


class BrokenRun:
    """A run whose workflow raises after its first event (a bug, a disk on fire)."""

    abandoned_calls = ()

    async def __aenter__(self) -> BrokenRun:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def __aiter__(self) -> AsyncIterator[Event]:
        yield AnalysisReady("")
        raise RuntimeError("disk on fire")


class BrokenWorkflow(Workflow):
    def run(self, request: CopyRequest) -> BrokenRun:  # type: ignore[override]
        return BrokenRun()


async def test_a_workflow_that_raises_leaves_a_failed_run_with_the_reason_in_the_log(
    repository: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    sink = RecordingSink()
    outcome = await CopyService(BrokenWorkflow(ScriptedLLM(), workflow(ScriptedLLM()).config), repository).run(
        REQUEST, CLI, [sink]
    )
    assert (outcome.status, outcome.error) == ("failed", INTERNAL_ERROR)
    assert "disk on fire" in caplog.text
    run = await repository.run_detail(outcome.run_id)
    assert run is not None and (run.status, run.error) == ("failed", outcome.error)
    assert sink.events[-1] == (outcome.run_id, RunFinished(RunStatus.FAILED, outcome.error))


class PlanStorageFails:
    """The repository, except that storing the plan fails (a full disk, a dropped connection)."""

    def __init__(self, inner: Repository) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def record_plan(self, run_id: int, plan: object) -> None:
        raise RuntimeError("disk full")


async def test_a_storage_failure_fails_the_run_and_stops_its_workers(repository: Repository) -> None:
    llm = ScriptedLLM(gate=asyncio.Event())  # workers wait forever unless stopped
    service = CopyService(workflow(llm), PlanStorageFails(repository))  # type: ignore[arg-type]
    outcome = await asyncio.wait_for(service.run(REQUEST, CLI), 10)
    assert (outcome.status, outcome.error) == ("failed", INTERNAL_ERROR)  # the detail is in the log, never shown
    assert llm.cancelled == 3  # no model call keeps running (and costing) after the run has ended
    run = await repository.run_detail(outcome.run_id)
    assert run is not None and (run.status, run.error) == ("failed", outcome.error)
    assert {(v.status, v.error) for v in run.variations} == {("failed", outcome.error)}


async def test_a_cancelled_run_keeps_its_calls_in_flight_and_tells_the_sinks(repository: Repository) -> None:
    llm = ScriptedLLM(gate=asyncio.Event())  # workers wait until cancelled, as at a shutdown
    sink = RecordingSink()
    task = asyncio.create_task(CopyService(workflow(llm), repository).run(REQUEST, CLI, [sink]))
    while len(llm.prompts) < 4:  # noqa: ASYNC110 - polls the fake: the plan, then three workers in flight
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    run_id = sink.events[0][0]
    assert sink.events[-1] == (run_id, RunFinished(RunStatus.INTERRUPTED, INTERRUPTED_REASON))
    run = await repository.run_detail(run_id)
    assert run is not None and (run.status, run.error) == ("interrupted", INTERRUPTED_REASON)
    assert (
        sorted((c.role, "interrupted" in c.error) for c in run.calls)
        == [("orchestrator", False)] + [("worker", True)] * 3
    )
    assert llm.cancelled == 3


async def test_a_crash_mid_run_is_recovered_on_restart(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    async with hung_run(database_url) as (process, run_id):  # another copybot process, mid-run
        repository = await open_repository(DatabaseConfig.parse(database_url))
        try:
            service = CopyService(workflow(ScriptedLLM()), repository)
            assert await service.recover_interrupted() == 0  # its process is alive: the run is left alone
            process.kill()  # the crash
            await process.wait()

            (summary,) = (await repository.recent_runs(None)).runs
            assert (summary.id, summary.status) == (run_id, "writing")
            with caplog.at_level(logging.WARNING):
                assert await service.recover_interrupted() == 1
            assert "1 interrupted run" in caplog.text
            run = await repository.run_detail(run_id)
            assert run is not None
            assert (run.status, run.error, run.analysis) == ("interrupted", INTERRUPTED_REASON, ANALYSIS)
            assert [(v.position, v.status, v.error) for v in run.variations] == [
                (p, "interrupted", INTERRUPTED_REASON) for p in (1, 2, 3)
            ]
            assert await service.recover_interrupted() == 0
            outcome = await service.run(REQUEST, CLI)  # the restarted service works normally
            assert outcome.status == "done"
        finally:
            await repository.aclose()


def test_the_stale_threshold_outlasts_the_longest_silence_of_a_live_run() -> None:
    config = workflow(ScriptedLLM()).config
    slowest = timedelta(seconds=config.orchestrator_timeout_s + config.worker_timeout_s)
    assert stale_after(config) > slowest
    assert stale_after(replace(config, worker_timeout_s=600)) > timedelta(seconds=1200)


async def test_recovery_also_prunes_old_event_ids(repository: Repository, database_url: str) -> None:
    assert await repository.mark_event_processed("Ev-old")
    week_ago = datetime.now(UTC) - PROCESSED_EVENTS_KEPT - timedelta(minutes=1)
    await behind_the_back(database_url, update(ProcessedEvent).values(created_at=week_ago))
    assert await CopyService(workflow(ScriptedLLM()), repository).recover_interrupted() == 0
    assert await repository.mark_event_processed("Ev-old")  # forgotten


class RecoveryRounds:
    """The repository, noting each recovery round; `marked_later` is set when a round after the first marks runs."""

    def __init__(self, inner: Repository) -> None:
        self.inner = inner
        self.rounds = 0
        self.marked_later = asyncio.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def mark_interrupted(self, *, stale_after: timedelta) -> int:
        marked = await self.inner.mark_interrupted(stale_after=stale_after)
        self.rounds += 1
        if self.rounds > 1 and marked:
            self.marked_later.set()
        return marked


async def test_serve_recovers_on_start_and_then_periodically(repository: Repository, database_url: str) -> None:
    previous_boot = f"{socket.gethostname()}:{os.getpid()}:a-previous-boot"  # this pid, before a restart
    at_start = await repository.start_run(REQUEST, CLI)
    later = await repository.start_run(REQUEST, CLI)
    mine = await repository.start_run(REQUEST, CLI)  # this live process runs it: never marked
    await _set_runner(database_url, at_start, previous_boot)
    rounds = RecoveryRounds(repository)
    service = CopyService(workflow(ScriptedLLM()), rounds)  # type: ignore[arg-type]
    async with service.recovering(every_s=0.05):
        assert (rounds.rounds, await _status(repository, at_start)) == (1, "interrupted")
        assert await _status(repository, later) == "planning"
        await _set_runner(database_url, later, previous_boot)
        await asyncio.wait_for(rounds.marked_later.wait(), 10)
    assert await _status(repository, later) == "interrupted"
    assert await _status(repository, mine) == "planning"
    stopped_at = rounds.rounds
    await asyncio.sleep(0.2)
    assert rounds.rounds == stopped_at  # leaving the block stops the background rounds


async def _set_runner(database_url: str, run_id: int, runner: str) -> None:
    await behind_the_back(database_url, update(Run).where(Run.id == run_id).values(runner=runner))


async def _status(repository: Repository, run_id: int) -> str:
    run = await repository.run_detail(run_id)
    assert run is not None
    return run.status
