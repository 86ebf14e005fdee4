"""A scripted in-process LLM (the LLM protocol of bot/workflow/llm/base.py) for CopyService tests."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from bot.errors import LLMError
from bot.workflow import CopyRequest, Usage, Workflow, WorkflowConfig
from bot.workflow.llm.base import Completion, Prompt, TextSink

ORCHESTRATOR_MODEL = "claude-sonnet-4-5-20250929"  # priced in storage/pricing.py
WORKER_MODEL = "claude-haiku-4-5-20251001"
USAGE = Usage(input_tokens=100, output_tokens=50, cache_read_input_tokens=10, cache_creation_input_tokens=20)
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def plan_reply(styles: list[str]) -> str:
    tasks = "".join(f"<task><type>{s}</type><description>Write it {s}.</description></task>" for s in styles)
    return f"<analysis>Fake analysis of the request.</analysis><tasks>{tasks}</tasks>"


class FakeLLM:
    """Plans `styles`; a worker writes "<style> copy", fails for a style in `failing`, waits on `gate` if set."""

    provider = "anthropic"
    can_stream = False

    def __init__(
        self,
        styles: list[str] | None = None,
        *,
        failing: frozenset[str] = frozenset(),
        gate: asyncio.Event | None = None,
        before_first_call: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.styles = styles or ["benefit-led", "technical", "playful"]
        self.failing = failing
        self.gate = gate
        self.before_first_call = before_first_call
        self.calls: list[Prompt] = []
        self.cancelled = 0

    def describe(self, model: str) -> str:
        return model

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        if not self.calls and self.before_first_call is not None:
            await self.before_first_call()
        self.calls.append(prompt)
        await asyncio.sleep(0)
        if prompt.role == "orchestrator":
            return Completion(plan_reply(self.styles), model, USAGE, "end_turn", False, "req-plan")
        match = _STYLE.search(prompt.text)
        style = match.group(1) if match else "?"
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        if style in self.failing:
            raise LLMError(f"fake failure writing {style}")
        return Completion(f"<response>{style} copy</response>", model, USAGE, "end_turn", False, f"req-{style}")

    async def aclose(self) -> None:
        return None


def workflow(llm: FakeLLM) -> Workflow:
    return Workflow(llm, WorkflowConfig(orchestrator_model=ORCHESTRATOR_MODEL, worker_model=WORKER_MODEL))


REQUEST = CopyRequest(
    "eco-friendly water bottle", audience="millennials", features=("plastic-free", "insulated"), tone="warm"
)
