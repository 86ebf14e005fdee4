"""A provider that cannot follow instructions gets the small prompts and k candidates per variation: the best by
bot/workflow/quality.py is kept, and every call is stored."""

from __future__ import annotations

from bot.services import CopyService, Origin, RunSource
from bot.workflow import CopyRequest
from bot.workflow.llm.base import Capabilities
from bot.workflow.types import Role
from storage import Repository
from tests.storage.backends import database_url_fixture
from tests.storage.conftest import repository_fixture
from tests.support.plans import plan_reply
from tests.support.scripted import ScriptedLLM, workflow

__all__ = ["database_url_fixture", "repository_fixture"]

SMALL = Capabilities(streams=True, concurrent_calls=1, follows_instructions=False, candidates=3)
REQUEST = CopyRequest("hiking boots", features=("grippy sole",))
GOOD = (
    "<response>\nTen miles, zero blisters\nOur hiking boots come broken in, with a cushioned heel and a grippy "
    "sole. Pack light, walk far and come home ready for more.\n</response>"
)
ECHO = (
    "<response>\nHeadline: a title for the user\nOur hiking boots are described in this document as the copywriter "
    "guidelines require, in plain text under 250 words.\n</response>"
)
SHORT = "<response>\nBoots\nOur hiking boots. Buy.\n</response>"
OTHER = (
    "<response>\nBuilt for the long way round\nOur hiking boots pair waterproof leather with a sole that grips. "
    "Walk further, rest easier and come home with dry socks.\n</response>"
)


async def test_the_best_of_three_candidates_is_kept_and_all_three_calls_are_stored(repository: Repository) -> None:
    llm = ScriptedLLM(
        plans=[plan_reply(["playful", "technical"])],
        copies={"playful": [ECHO, GOOD, SHORT], "technical": [GOOD, OTHER, ECHO]},
        capabilities=SMALL,
    )
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, Origin(RunSource.CLI))

    assert outcome.status == "done"
    assert {p.name for p in llm.prompts} == {"orchestrator_small", "worker_small"}
    assert all(p.continued for p in llm.prompts)
    run = await repository.run_detail(outcome.run_id)
    assert run is not None
    texts = [v.text for v in run.variations]
    assert texts[0].startswith("Ten miles, zero blisters")  # the echo and the short one lose
    # technical's first candidate is word for word playful's copy: the distinct one wins
    assert texts[1].startswith("Built for the long way round")
    workers = [c for c in run.calls if c.role == Role.WORKER]
    assert sorted(c.position for c in workers) == [1, 1, 1, 2, 2, 2]
    unused = [c for c in workers if c.error]
    assert len(unused) == 4 and all("not kept" in c.error for c in unused)
    assert run.output_tokens == 7 * llm.usage.output_tokens  # the plan and all six candidates count


async def test_a_model_that_follows_instructions_gets_one_call_per_variation_and_the_full_prompts(
    repository: Repository,
) -> None:
    llm = ScriptedLLM(plans=[plan_reply(["playful", "technical"])], copies={"playful": [ECHO, GOOD]})
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, Origin(RunSource.CLI))
    run = await repository.run_detail(outcome.run_id)
    assert run is not None
    assert [p.name for p in llm.prompts if p.role is Role.WORKER] == ["worker", "worker"]
    assert not any(p.continued for p in llm.prompts)
    assert run.variations[0].text.startswith("Headline: a title")  # no candidates: its only copy is kept


async def test_a_failed_candidate_is_stored_and_another_is_kept(repository: Repository) -> None:
    llm = ScriptedLLM(
        plans=[plan_reply(["playful", "technical"])],
        copies={"playful": [GOOD], "technical": [SHORT, SHORT, OTHER]},
        failing_first={"technical": 2},
        capabilities=SMALL,
    )
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, Origin(RunSource.CLI))
    run = await repository.run_detail(outcome.run_id)
    assert run is not None
    assert outcome.status == "done" and run.variations[1].text.startswith("Built for the long way round")
    errors = sorted(c.error for c in run.calls if c.position == 2)  # the kept one has none
    assert len(errors) == 3 and errors[0] == "" and all("fake failure" in e for e in errors[1:])


async def test_when_every_candidate_fails_each_failure_is_stored_once(repository: Repository) -> None:
    llm = ScriptedLLM(
        plans=[plan_reply(["playful", "technical"])],
        copies={"playful": [GOOD], "technical": [OTHER]},
        failing=frozenset({"technical"}),
        capabilities=SMALL,
    )
    outcome = await CopyService(workflow(llm), repository).run(REQUEST, Origin(RunSource.CLI))
    run = await repository.run_detail(outcome.run_id)
    assert run is not None
    assert [v.status for v in run.variations] == ["done", "failed"]
    failed = [c for c in run.calls if c.position == 2]
    assert len(failed) == 3 and all("fake failure" in c.error for c in failed)  # each candidate's failure, once
