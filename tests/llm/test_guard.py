"""The small-model guard: a plan needs 2+ distinct styles; an empty or duplicate copy is retried once."""

from __future__ import annotations

import pytest

from bot.workflow import Workflow, WorkflowConfig
from bot.workflow.llm.base import Capabilities
from bot.workflow.types import (
    CallRecorded,
    CopyRequest,
    Event,
    RunFinished,
    VariationDone,
    VariationFailed,
    VariationStarted,
)
from tests.support.events import of
from tests.support.plans import plan_reply
from tests.support.scripted import ScriptedLLM

REQUEST = CopyRequest("eco-friendly water bottle")


async def run(llm: ScriptedLLM, request: CopyRequest = REQUEST) -> list[Event]:
    workflow = Workflow(llm, WorkflowConfig(orchestrator_model="o", worker_model="w", orchestrator_retry_delay_s=0))
    return [event async for event in workflow.run(request)]


@pytest.mark.parametrize("streams", [True, False])
async def test_a_one_style_plan_is_retried_and_the_retry_only_adds_styles(streams: bool) -> None:
    llm = ScriptedLLM(
        plans=[plan_reply(["playful", "Playful"]), plan_reply(["playful", "technical", "premium"])],
        capabilities=Capabilities(streams=streams),
    )
    events = await run(llm)

    assert [e.subtask.type for e in of(events, VariationStarted)] == ["playful", "technical", "premium"]
    assert sorted(llm.styles_written()) == ["playful", "premium", "technical"]  # no worker started twice
    plan_calls = [e.call for e in of(events, CallRecorded) if e.call.role == "orchestrator"]
    assert [c.error for c in plan_calls] == ["The orchestrator planned only one distinct style.", ""]
    assert [bool(c.reply) for c in plan_calls] == [True, False]  # the unusable reply is kept with its call
    end = of(events, RunFinished)[0]
    assert (end.status, end.succeeded) == ("done", 3)


async def test_one_style_twice_keeps_the_copy_and_says_why_the_run_is_partial() -> None:
    llm = ScriptedLLM(plans=[plan_reply(["playful"])])
    events = await run(llm)

    assert sum(p.role == "orchestrator" for p in llm.prompts) == 2
    [done] = of(events, VariationDone)
    assert done.variation.subtask.type == "playful"
    end = events[-1]
    assert isinstance(end, RunFinished)
    assert end.status == "partial" and "only one distinct style" in end.error


async def test_one_variation_asked_for_needs_only_one_style() -> None:
    llm = ScriptedLLM(plans=[plan_reply(["playful"])])
    events = await run(llm, CopyRequest("kettle", max_variations=1))

    assert sum(p.role == "orchestrator" for p in llm.prompts) == 1
    assert of(events, RunFinished)[0].status == "done"


async def test_an_empty_copy_is_retried_once() -> None:
    llm = ScriptedLLM(
        plans=[plan_reply(["a", "b"])], copies={"b": ["<response>  </response>", "<response>Second try.</response>"]}
    )
    events = await run(llm)

    texts = {e.variation.subtask.type: e.variation.text for e in of(events, VariationDone)}
    assert texts == {"a": "Copy in the a style.", "b": "Second try."}
    calls = [e.call.error for e in of(events, CallRecorded) if e.call.position == 2]
    assert calls == ["empty reply; retried", ""]
    assert of(events, RunFinished)[0].status == "done"


async def test_a_copy_that_stays_empty_fails_after_one_retry() -> None:
    llm = ScriptedLLM(plans=[plan_reply(["a", "b"])], copies={"b": ["<response></response>"]})
    events = await run(llm)

    [failure] = of(events, VariationFailed)
    assert failure.error == "The model returned no copy."
    assert llm.styles_written().count("b") == 2
    assert of(events, RunFinished)[0].status == "partial"


async def test_a_duplicate_copy_is_retried_then_failed() -> None:
    llm = ScriptedLLM(
        plans=[plan_reply(["a", "b", "c"])],
        copies={"a": ["Same words here."], "b": ["<response>same   WORDS here.</response>"]},
        delays={"b": 0.01, "c": 0.02},
    )
    events = await run(llm)

    [failure] = of(events, VariationFailed)
    assert failure.subtask.type == "b"
    assert failure.error == "The model repeated variation 1 word for word."
    assert failure.call is not None and failure.call.error == "duplicate of variation 1"
    assert llm.styles_written().count("b") == 2
    assert len(of(events, VariationDone)) == 2


async def test_a_duplicate_copy_rewritten_on_retry_is_kept() -> None:
    llm = ScriptedLLM(
        plans=[plan_reply(["a", "b"])],
        copies={"a": ["Same words."], "b": ["Same words.", "Different words."]},
        delays={"b": 0.01},
    )
    events = await run(llm)

    texts = {e.variation.subtask.type: e.variation.text for e in of(events, VariationDone)}
    assert texts == {"a": "Same words.", "b": "Different words."}
    assert [e.call.error for e in of(events, CallRecorded) if e.call.position == 2] == [
        "duplicate of variation 1; retried",
        "",
    ]
