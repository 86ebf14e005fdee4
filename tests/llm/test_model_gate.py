"""A local model answers one call at a time for the whole process: calls queue outside their timeouts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.workflow import CopyRequest, RunFinished, Workflow, WorkflowConfig
from bot.workflow.llm.base import Completion, Prompt, TextSink
from bot.workflow.types import Usage
from tests.llm.scripted import plan

CALL_S = 0.3


@dataclass
class OneAtATime:
    """Like LocalLLM: one model, one call at a time (others wait for it), each taking CALL_S."""

    provider: str = "local"
    can_stream: bool = False
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)
    calls: int = 0

    def describe(self, model: str) -> str:
        return "one-at-a-time"

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        async with self.busy:
            self.calls += 1
            await asyncio.sleep(CALL_S)
        text = plan("a", "b") if prompt.role == "orchestrator" else f"<response>Copy number {self.calls}.</response>"
        return Completion(text=text, model=model, usage=Usage(1, 1), stop_reason="stop", truncated=False)

    async def aclose(self) -> None:
        return None


async def test_concurrent_runs_on_a_local_model_queue_outside_their_timeouts() -> None:
    llm = OneAtATime()
    timeout = CALL_S * 2  # far less than three runs' worth of queued calls (9 x CALL_S)
    config = WorkflowConfig("o", "w", orchestrator_timeout_s=timeout, worker_timeout_s=timeout)
    workflow = Workflow(llm, config)

    async def one(product: str) -> RunFinished:
        events = [event async for event in workflow.run(CopyRequest(product, max_variations=2))]
        assert isinstance(events[-1], RunFinished)
        return events[-1]

    finished = await asyncio.gather(one("lamp"), one("kettle"), one("tent"))

    assert [(f.status, f.succeeded) for f in finished] == [("done", 2)] * 3, [f.error for f in finished]
    assert llm.calls == 9
