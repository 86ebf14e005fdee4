"""The LLM protocol every provider implements.

A provider turns one rendered Prompt into one Completion. It owns its
transport retries (429/529/5xx, connection errors) and raises LLMError when
they are exhausted; the workflow owns timeouts and what a failure means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.workflow.types import Role, Usage

TextSink = Callable[[str], None]


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt: the text sent, and which template it came from."""

    role: Role
    name: str
    text: str
    sha256: str


@dataclass(frozen=True)
class Completion:
    """What the model answered, with what it cost."""

    text: str
    model: str
    usage: Usage
    stop_reason: str
    truncated: bool
    request_id: str = ""


class LLM(Protocol):
    """A language model provider."""

    @property
    def provider(self) -> str:
        """Short provider name: anthropic, openai, local."""
        ...

    @property
    def can_stream(self) -> bool:
        """True when `complete` calls `on_text` with text as it is generated."""
        ...

    def describe(self, model: str) -> str:
        """The model that will really answer for `model` (a local provider has its own)."""
        ...

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        """Answer `prompt`; stream text into `on_text` when given and supported."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...
