"""Many runs at once: nothing lost, and never "database is locked" on a SQLite file."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.services import CopyService, Origin, RunSource
from storage import Repository
from tests.support.scripted import REQUEST, ScriptedLLM, workflow

RUNS = 50


async def test_fifty_concurrent_runs_lose_nothing(repository: Repository, caplog: pytest.LogCaptureFixture) -> None:
    service = CopyService(workflow(ScriptedLLM()), repository)
    origins = [Origin(RunSource.SLACK, team_id="T1", channel_id="C1", user_id=f"U{i}") for i in range(RUNS)]
    with caplog.at_level(logging.WARNING):
        outcomes = await asyncio.gather(*(service.run(REQUEST, origin) for origin in origins))
        run_ids = [o.run_id for o in outcomes]
        # read-then-write transactions (set_favourite checks the variation first) and dedupe, all at once
        await asyncio.gather(
            *(repository.set_favourite(run_id, 1 + i % 3, "U1", "star") for i, run_id in enumerate(run_ids)),
            *(repository.set_favourite(run_id, 2, "U2", "button") for run_id in run_ids),
            *(repository.mark_event_processed(f"Ev{i}") for i in range(RUNS)),
        )
    assert caplog.records == []  # no storage error was swallowed and logged
    assert [o.status for o in outcomes] == ["done"] * RUNS
    assert len(set(run_ids)) == RUNS

    details = await asyncio.gather(*(repository.run_detail(run_id) for run_id in run_ids))
    for i, run in enumerate(details):
        assert run is not None
        assert (run.status, run.user_id, len(run.calls), run.input_tokens) == ("done", f"U{i}", 4, 400)
        assert [v.status for v in run.variations] == ["done"] * 3
        assert sorted(vote.user_id for v in run.variations for vote in v.votes) == ["U1", "U2"]
    page = await repository.recent_runs("T1", channel_id="C1", limit=RUNS)
    assert sorted(r.id for r in page.runs) == sorted(run_ids)
    assert all(r.favourite_votes >= 1 and r.done_count == 3 for r in page.runs)
    assert not any(await asyncio.gather(*(repository.mark_event_processed(f"Ev{i}") for i in range(RUNS))))
