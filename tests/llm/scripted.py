"""A scripted in-process LLM for the small-model guard tests: replies chosen by role and style, in order."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.workflow.llm.base import Completion, Prompt, TextSink
from bot.workflow.types import Usage

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def plan(*styles: str) -> str:
    tasks = "".join(
        f"<task><type>{s}</type><description>Write {s} copy, number {i}.</description></task>"
        for i, s in enumerate(styles)
    )
    return f"<analysis>Why these styles.</analysis><tasks>{tasks}</tasks>"


@dataclass
class ScriptedLLM:
    """Orchestrator replies from `plans`, worker replies per style from `copies` (the last one repeats)."""

    plans: Sequence[str]
    copies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    delays: Mapping[str, float] = field(default_factory=dict)
    can_stream: bool = True
    provider: str = "scripted"
    prompts: list[Prompt] = field(default_factory=list)

    def describe(self, model: str) -> str:
        return model

    def styles_written(self) -> list[str]:
        return [style_of(p) for p in self.prompts if p.role == "worker"]

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        self.prompts.append(prompt)
        if prompt.role == "orchestrator":
            earlier = sum(p.role == "orchestrator" for p in self.prompts) - 1
            text = self.plans[min(earlier, len(self.plans) - 1)]
        else:
            style = style_of(prompt)
            await asyncio.sleep(self.delays.get(style, 0.0))
            replies = self.copies.get(style) or [f"<response>Copy in the {style} style.</response>"]
            earlier = self.styles_written().count(style) - 1
            text = replies[min(earlier, len(replies) - 1)]
        if on_text is not None:
            for start in range(0, len(text), 7):
                on_text(text[start : start + 7])
                await asyncio.sleep(0)
        return Completion(text=text, model=model, usage=Usage(1, 1), stop_reason="stop", truncated=False)

    async def aclose(self) -> None:
        return None


def style_of(prompt: Prompt) -> str:
    match = _STYLE.search(prompt.text)
    assert match, "a worker prompt names its style"
    return match.group(1)
