"""RefinementService on both databases: which variation, the next free number, lineage, limits, recovery."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.errors import RequestError
from bot.services import CopyService, Origin, RefinementService, RunSource, parse_refinement
from bot.workflow.formats import presets
from bot.workflow.types import Role, Subtask, VariationStatus
from storage import Repository
from storage.tables import Run
from tests.storage.backends import database_url_fixture
from tests.storage.conftest import repository_fixture
from tests.storage.test_recovery import behind_the_back
from tests.support.scripted import REQUEST, ScriptedLLM, workflow

__all__ = ["database_url_fixture", "repository_fixture"]
SLACK = Origin(RunSource.SLACK, team_id="T1", channel_id="C1", user_id="U1")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2 shorter", (2, "shorter")),
        ("#2 shorter", (2, "shorter")),
        ("2: shorter", (2, "shorter")),
        ("2. shorter", (2, "shorter")),
        ("v2 shorter", (2, "shorter")),
        ("V12:more fun", (12, "more fun")),
        ("  3  ", (3, "")),
        ("shorter", (None, "shorter")),
        ("20% off, please", (None, "20% off, please")),
        ("² shorter", (None, "² shorter")),  # ASCII digits only
        ("2shorter", (None, "2shorter")),
    ],
)
def test_a_leading_number_names_the_variation(text: str, parsed: tuple[int | None, str]) -> None:
    assert parse_refinement(text) == parsed


async def written_run(repository: Repository, llm: ScriptedLLM) -> int:
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, SLACK)
    assert outcome.status == "done"
    return outcome.run_id


def service(llm: ScriptedLLM, repository: Repository, max_versions: int = 20) -> RefinementService:
    return RefinementService(workflow(llm), repository, max_versions=max_versions)


async def test_a_refinement_is_stored_with_its_lineage_and_the_next_number(repository: Repository) -> None:
    llm = ScriptedLLM(copies={"technical": ["<response>Specs.</response>", "<response>Fewer specs.</response>"]})
    run_id = await written_run(repository, llm)
    version = await service(llm, repository).refine(run_id, 2, "  shorter  ", "U2")
    assert (version.subtask.position, version.status, version.text) == (4, "done", "Fewer specs.")
    prompt = llm.prompts[-1]
    assert (prompt.role, prompt.name) == (Role.WORKER, "refine") and "Specs." in prompt.text
    detail = await repository.run_detail(run_id)
    assert detail is not None
    (new,) = [v for v in detail.variations if v.position == 4]
    assert (new.kind, new.parent_position, new.instruction, new.requested_by, new.type) == (
        "refine",
        2,
        "shorter",
        "U2",
        "technical",
    )
    assert [c.prompt_name for c in detail.calls if c.position == 4] == ["refine"]
    assert detail.input_tokens == 5 * 100  # the refinement's call counts toward the run


async def test_the_base_is_the_authors_favourite_then_the_most_voted_then_the_only_one(
    repository: Repository,
) -> None:
    llm = ScriptedLLM()
    refinements = service(llm, repository)
    run_id = await written_run(repository, llm)
    with pytest.raises(RequestError, match="Which variation") as asked:
        await refinements.refine(run_id, None, "shorter", "U9")
    assert "1, 2, 3" in str(asked.value)
    await repository.set_favourite(run_id, 3, "U7", "star")
    assert (await refinements.refine(run_id, None, "shorter", "U9")).subtask.parent == 3  # most voted
    await repository.set_favourite(run_id, 1, "U9", "button")
    assert (await refinements.refine(run_id, None, "shorter", "U9")).subtask.parent == 1  # their own
    single = await CopyService(workflow(ScriptedLLM(plans=[llm.plans[0]])), repository).run(REQUEST, SLACK)
    await repository.record_variation_failed(single.run_id, Subtask(2, "x", "y"), "gone", None)
    await repository.record_variation_failed(single.run_id, Subtask(3, "x", "y"), "gone", None)
    assert (await refinements.another(single.run_id, None)).subtask.parent == 1  # the only written one


async def test_concurrent_versions_take_distinct_numbers(repository: Repository) -> None:
    llm = ScriptedLLM(delays={"playful": 0.05})
    run_id = await written_run(repository, llm)
    versions = await asyncio.gather(*(service(llm, repository).another(run_id, 3) for _ in range(5)))
    assert sorted(v.subtask.position for v in versions) == [4, 5, 6, 7, 8]


async def test_past_the_limit_no_version_and_no_call(repository: Repository) -> None:
    llm = ScriptedLLM()
    run_id = await written_run(repository, llm)
    refinements = service(llm, repository, max_versions=1)
    await refinements.refine(run_id, 1, "shorter")
    calls = len(llm.prompts)
    with pytest.raises(RequestError, match="already has 1 new versions"):
        await refinements.refine(run_id, 1, "shorter")
    assert len(llm.prompts) == calls


async def test_a_failed_or_missing_base_is_refused_before_any_call(repository: Repository) -> None:
    llm = ScriptedLLM(failing=frozenset({"playful"}))
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, SLACK)
    calls = len(llm.prompts)
    with pytest.raises(RequestError, match="Variation 3 has no copy to work from"):
        await service(llm, repository).refine(outcome.run_id, 3, "shorter")
    with pytest.raises(RequestError, match="no run 999"):
        await service(llm, repository).another(999, 1)
    assert len(llm.prompts) == calls


async def test_a_version_that_stays_a_duplicate_of_an_earlier_copy_fails(repository: Repository) -> None:
    llm = ScriptedLLM(copies={"technical": ["<response>Specs.</response>"]})  # the same text every time
    run_id = await written_run(repository, llm)
    version = await service(llm, repository).another(run_id, 2)
    assert version.status == "failed" and "repeated variation 2" in version.error
    assert [p.name for p in llm.prompts[-2:]] == ["another", "another"]


async def test_a_version_cut_off_by_a_crash_is_marked_interrupted_by_recovery(
    repository: Repository, database_url: str
) -> None:
    llm = ScriptedLLM(gate=asyncio.Event())
    first = ScriptedLLM()
    run_id = await written_run(repository, first)
    task = asyncio.create_task(service(llm, repository).another(run_id, 1))
    while not any(p.name == "another" for p in llm.prompts):  # noqa: ASYNC110 - waits for the call in flight
        await asyncio.sleep(0.01)
    assert await repository.mark_interrupted(stale_after=timedelta(hours=1)) == 0  # still alive: kept
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    await behind_the_back(database_url, update(Run).where(Run.id == run_id).values(heartbeat_at=long_ago))
    await repository.mark_interrupted(stale_after=timedelta(hours=1))
    detail = await repository.run_detail(run_id)
    assert detail is not None and [v.status for v in detail.variations if v.position == 4] == ["interrupted"]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    detail = await repository.run_detail(run_id)
    assert detail is not None
    assert [v.status for v in detail.variations if v.position == 4] == [VariationStatus.INTERRUPTED]
    assert any(c.position == 4 and "interrupted" in c.error for c in detail.calls)  # the call in flight is kept


async def test_a_new_version_keeps_the_runs_format_and_its_checks(repository: Repository) -> None:
    fmt = presets()["sms"]
    llm = ScriptedLLM(
        copies={
            "playful": [
                "<response><text>Sip happy.</text></response>",
                "<response><text>" + "x" * 200 + "</text></response>",
            ]
        }
    )
    outcome = await CopyService(workflow(llm), repository).run(replace(REQUEST, format=fmt), SLACK)
    version = await service(llm, repository).refine(outcome.run_id, 3, "longer")
    assert "text: at most 160 characters" in llm.prompts[-1].text and llm.prompts[-1].name == "rewrite"
    assert version.status == "over_limit" and version.variation is not None
    assert version.variation.over_limit == ("text: 200 characters, limit 160",)
