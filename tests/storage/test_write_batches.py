"""Writes that arrive together (on SQLite they commit in one transaction): each still succeeds or fails alone."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import StorageError
from bot.workflow import CopyRequest, Plan, RunFinished, Variation
from storage import DatabaseConfig, Repository, open_repository
from tests.storage.test_repository import SLACK, SUBTASKS, call, detail


async def test_a_failing_write_among_concurrent_ones_fails_alone(repository: Repository) -> None:
    run_id = await repository.start_run(CopyRequest("bottle"), SLACK)
    outcomes = await asyncio.gather(
        repository.record_subtask(run_id, SUBTASKS[0]),
        repository.set_favourite(run_id, 9, "U1", "button"),  # there is no variation 9
        repository.record_llm_call(run_id, call(1)),
        repository.record_variation_done(run_id, Variation(SUBTASKS[0], "Drink better.", False, call(1))),
        return_exceptions=True,
    )

    assert outcomes[0] is None and outcomes[2] is None and outcomes[3] is None
    assert isinstance(outcomes[1], StorageError) and "no variation 9" in str(outcomes[1])
    run = await detail(repository, run_id)
    assert [(v.position, v.status, v.text) for v in run.variations] == [(1, "done", "Drink better.")]
    assert [c.request_id for c in run.calls] == ["req-1"]
    assert (run.input_tokens, run.output_tokens) == (1000, 200)


async def test_many_concurrent_runs_written_together_are_each_complete(repository: Repository) -> None:
    async def one(number: int) -> int:
        run_id = await repository.start_run(CopyRequest(f"product {number}"), SLACK)
        await repository.record_plan(run_id, Plan(f"analysis {number}", SUBTASKS))
        await asyncio.gather(
            repository.record_llm_call(run_id, call(1)),
            repository.record_variation_done(run_id, Variation(SUBTASKS[0], f"copy {number}", False, call(1))),
        )
        await repository.finish_run(run_id, RunFinished("partial", "", 1, 0, 10))
        return run_id

    run_ids = await asyncio.gather(*(one(number) for number in range(40)))

    assert len(set(run_ids)) == 40
    for number, run_id in enumerate(run_ids):
        run = await detail(repository, run_id)
        assert (run.product, run.status, run.input_tokens) == (f"product {number}", "partial", 1000)
        assert [(v.position, v.status, v.text, v.error) for v in run.variations] == [
            (1, "done", f"copy {number}", ""),
            (2, "failed", "", "The run ended before this variation was written."),
        ]


async def test_writing_to_a_closed_sqlite_database_says_so(sqlite_url: str) -> None:
    repository = await open_repository(DatabaseConfig.parse(sqlite_url))
    await repository.aclose()
    with pytest.raises(StorageError, match="closed"):
        await repository.start_run(CopyRequest("bottle"), SLACK)
