"""An in-process provider for tests that need no HTTP: scripted replies by role and style, as the LLM protocol.

    llm = ScriptedLLM(plans=[plan_reply(["playful", "technical"])], copies={"technical": ["<response>x</response>"]})
    async with App.open(settings, providers=providers_for(llm)) as app: ...

Orchestrator calls get `plans` in order, worker calls `copies[style]` in order (the last one repeats; default:
"<response>Copy in the <style> style.</response>"). A worker can wait (`delays`, or `gate` until it is set), fail
(`failing` styles, or the `failing_first` calls of a style) or stream in 7-character chunks. `capabilities` poses
as any kind of provider (a local model: `Capabilities(concurrent_calls=1)`, a small one also
`follows_instructions=False, candidates=3`); `busy_s` makes every call hold the model that long, and
`one_at_a_time` lets only one call hold it at once, as llama.cpp does. Prices come from Anthropic's table, so
cost tests use real model ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.errors import LLMError
from bot.workflow import CopyRequest, Workflow, WorkflowConfig
from bot.workflow.llm import prices
from bot.workflow.llm.base import LLM, Capabilities, Completion, Price, Prompt, TextSink
from bot.workflow.llm.registry import ProviderSpec
from bot.workflow.types import Role, Usage
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply, style_of

USAGE = Usage(input_tokens=100, output_tokens=50, cache_read_input_tokens=10, cache_creation_input_tokens=20)
CHUNK = 7
STREAMING = Capabilities(streams=True)


@dataclass
class ScriptedLLM:
    plans: Sequence[str] = (plan_reply(["benefit-led", "technical", "playful"]),)
    copies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    delays: Mapping[str, float] = field(default_factory=dict)
    failing: frozenset[str] = frozenset()
    failing_first: Mapping[str, int] = field(default_factory=dict)  # style -> how many of its first calls fail
    gate: asyncio.Event | None = None
    before_first_call: Callable[[], Awaitable[None]] | None = None
    busy_s: float = 0.0
    one_at_a_time: bool = False
    capabilities: Capabilities = STREAMING
    provider: str = "scripted"
    usage: Usage = USAGE
    prompts: list[Prompt] = field(default_factory=list)
    cancelled: int = 0
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock)

    def describe(self, model: str) -> str:
        return model

    def price(self, model: str) -> Price | None:
        return prices.lookup(prices.PER_MILLION, model)

    def styles_written(self) -> list[str]:
        return [style_of(p.text) for p in self.prompts if p.role is Role.WORKER]

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        if not self.prompts and self.before_first_call is not None:
            await self.before_first_call()
        self.prompts.append(prompt)
        await self._hold_the_model()
        if prompt.role is Role.ORCHESTRATOR:
            earlier = sum(p.role is Role.ORCHESTRATOR for p in self.prompts) - 1
            text, request_id = self.plans[min(earlier, len(self.plans) - 1)], "req-plan"
        else:
            text, request_id = await self._copy(style_of(prompt.text))
        if on_text is not None and self.capabilities.streams:
            for start in range(0, len(text), CHUNK):
                on_text(text[start : start + CHUNK])
                await asyncio.sleep(0)
        return Completion(text, model, self.usage, "end_turn", False, request_id)

    async def _hold_the_model(self) -> None:
        if self.one_at_a_time:
            async with self._busy:
                await asyncio.sleep(self.busy_s)
        else:
            await asyncio.sleep(self.busy_s)

    async def _copy(self, style: str) -> tuple[str, str]:
        await asyncio.sleep(self.delays.get(style, 0.0))
        if self.gate is not None:
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        earlier = self.styles_written().count(style) - 1
        if style in self.failing or earlier < self.failing_first.get(style, 0):
            raise LLMError(f"fake failure writing {style}")
        replies = self.copies.get(style) or [f"<response>Copy in the {style} style.</response>"]
        return replies[min(earlier, len(replies) - 1)], f"req-{style}"

    async def aclose(self) -> None:
        return None


@dataclass
class NonStreaming:
    """Wraps a provider and hides its streaming: the workflow plans from the whole reply, then starts workers."""

    inner: LLM

    @property
    def provider(self) -> str:
        return self.inner.provider

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(streams=False, concurrent_calls=self.inner.capabilities.concurrent_calls)

    def describe(self, model: str) -> str:
        return self.inner.describe(model)

    def price(self, model: str) -> Price | None:
        return self.inner.price(model)

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        return await self.inner.complete(prompt, model=model, max_tokens=max_tokens)

    async def aclose(self) -> None:
        await self.inner.aclose()


def providers_for(llm: LLM, name: str = "scripted") -> dict[str, ProviderSpec]:
    """A provider registry holding only `llm` (COPYBOT_LLM=`name` or auto), for `App.open(..., providers=...)`."""
    spec = ProviderSpec(
        name=name,
        description="a test provider",
        create=lambda _config: llm,
        auto_rank=1,
        default_models=(ORCHESTRATOR, WORKER),
    )
    return {name: spec}


PRICED_ORCHESTRATOR = "claude-sonnet-4-5-20250929"  # in Anthropic's price table
PRICED_WORKER = "claude-haiku-4-5-20251001"
REQUEST = CopyRequest(
    "eco-friendly water bottle", audience="millennials", features=("plastic-free", "insulated"), tone="warm"
)


def workflow(llm: LLM) -> Workflow:
    """A Workflow over `llm` with priced model ids (the run's cost is known)."""
    return Workflow(llm, WorkflowConfig(orchestrator_model=PRICED_ORCHESTRATOR, worker_model=PRICED_WORKER))
