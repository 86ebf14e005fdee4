"""A provider that answers one call at a time (a local model) gets its calls queued outside their timeouts."""

from __future__ import annotations

import asyncio

from bot.workflow import CopyRequest, RunFinished, Workflow, WorkflowConfig
from bot.workflow.llm.base import Capabilities
from tests.support.plans import plan_reply
from tests.support.scripted import ScriptedLLM

CALL_S = 0.3


async def three_runs(capabilities: Capabilities) -> tuple[ScriptedLLM, list[RunFinished]]:
    """Three concurrent runs on a model that works one call at a time, each call CALL_S."""
    llm = ScriptedLLM(plans=[plan_reply(["a", "b"])], busy_s=CALL_S, one_at_a_time=True, capabilities=capabilities)
    timeout = CALL_S * 2  # far less than three runs' worth of queued calls (9 x CALL_S)
    workflow = Workflow(llm, WorkflowConfig("o", "w", orchestrator_timeout_s=timeout, worker_timeout_s=timeout))

    async def one(product: str) -> RunFinished:
        events = [event async for event in workflow.run(CopyRequest(product, max_variations=2))]
        assert isinstance(events[-1], RunFinished)
        return events[-1]

    return llm, list(await asyncio.gather(one("lamp"), one("kettle"), one("tent")))


async def test_concurrent_runs_on_a_one_call_at_a_time_model_queue_outside_their_timeouts() -> None:
    llm, finished = await three_runs(Capabilities(concurrent_calls=1))

    assert [(f.status, f.succeeded) for f in finished] == [("done", 2)] * 3, [f.error for f in finished]
    assert len(llm.prompts) == 9


async def test_a_provider_that_does_not_declare_it_queues_inside_the_timeouts() -> None:
    """The capability is what matters: the same model, undeclared, makes calls wait in their timeouts."""
    _, finished = await three_runs(Capabilities())

    assert any(f.status != "done" for f in finished)
