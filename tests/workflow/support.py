"""Helpers shared by the workflow tests (and bench/latency.py): replies, runs, a non-streaming LLM."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.workflow import Event, Workflow
from bot.workflow.llm.base import LLM, Completion, Prompt, TextSink
from bot.workflow.types import CopyRequest
from tests.fakes.anthropic_api import FakeAnthropic, Recorded, Reply, tag_text

ORCHESTRATOR = "fake-orchestrator"
WORKER = "fake-worker"


def plan_reply(types: Sequence[str], analysis: str = "The request, analysed.") -> str:
    """An orchestrator reply in the seed's format with one task per type."""
    tasks = "".join(
        f"<task>\n<type>{t}</type>\n<description>Write the {t} version of the copy.</description>\n</task>\n"
        for t in types
    )
    return f"<analysis>\n{analysis}\n</analysis>\n<tasks>\n{tasks}</tasks>\n"


def style_of(request: Recorded) -> str:
    """The style a worker request asks for."""
    return tag_text(request.prompt, "style")


def copy_for(request: Recorded) -> str:
    """A worker reply naming its style, so tests can tell variations apart."""
    return f"<response>Copy in the {style_of(request)} style.</response>"


def script_workers(
    fake: FakeAnthropic, special: Mapping[str, Sequence[Reply | str]] | None = None, latency_s: float = 0.0
) -> None:
    """Workers answer `copy_for` after `latency_s`; a style in `special` gets its replies in order (last repeats)."""

    def reply(request: Recorded) -> Reply:
        style = style_of(request)
        steps = (special or {}).get(style)
        if not steps:
            return Reply(text=copy_for(request), latency_s=latency_s)
        earlier = sum(1 for r in fake.requests_for(WORKER) if style_of(r) == style) - 1
        step = steps[min(earlier, len(steps) - 1)]
        return Reply(text=step, latency_s=latency_s) if isinstance(step, str) else step

    fake.on(WORKER, reply)


def task_close_times(request: Recorded) -> list[float]:
    """When each </task> of a streamed reply was sent (monotonic), in order."""
    times, text = [], ""
    for sent, chunk in request.chunks:
        before = text.count("</task>")
        text += chunk
        times.extend([sent] * (text.count("</task>") - before))
    return times


async def collect(workflow: Workflow, request: CopyRequest) -> list[Event]:
    return [event async for event in workflow.run(request)]


@dataclass
class NonStreaming:
    """An LLM that cannot stream: the workflow plans from the whole reply, then starts the workers."""

    inner: LLM
    can_stream = False

    @property
    def provider(self) -> str:
        return self.inner.provider

    def describe(self, model: str) -> str:
        return self.inner.describe(model)

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        return await self.inner.complete(prompt, model=model, max_tokens=max_tokens)

    async def aclose(self) -> None:
        await self.inner.aclose()
