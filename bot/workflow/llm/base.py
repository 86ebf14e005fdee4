"""The LLM protocol every provider implements, and what a provider declares about itself.

A provider turns one rendered Prompt into one Completion. It owns its
transport retries (429/529/5xx, connection errors) and raises LLMError when
they are exhausted; the workflow owns timeouts and what a failure means.

The workflow never asks which provider it talks to: it reads the provider's
`capabilities` (does it stream, how many calls it answers at once) and its
`price` of a model, and it attaches an output constraint to each prompt (the
plan's shape, a worker's `<response>`). A provider that can enforce the
constraint (a local model under a grammar) does; the others rely on the
prompt's own instructions and the tolerant parsers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.workflow.types import Role, Usage

TextSink = Callable[[str], None]


@dataclass(frozen=True)
class PlanShape:
    """The orchestrator's reply: an analysis, then `min_tasks`-`max_tasks` tasks of distinct styles."""

    min_tasks: int
    max_tasks: int


@dataclass(frozen=True)
class ResponseShape:
    """A worker's reply: one `<response>` of free copy, or, with `fields`, exactly one tag per field instance
    inside it, in order: (tag name, character limit). `lead`: the words free copy's body opens with (a small
    model kept on its subject), or empty."""

    fields: tuple[tuple[str, int], ...] = ()
    lead: str = ""


OutputConstraint = PlanShape | ResponseShape


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt: the text sent, which template it came from, and the shape its reply must have."""

    role: Role
    name: str
    text: str
    sha256: str
    constraint: OutputConstraint | None = None
    continued: bool = False
    """The text is a pattern to continue (few-shot examples, then the brief), not a message to answer."""


@dataclass(frozen=True)
class Completion:
    """What the model answered, with what it cost."""

    text: str
    model: str
    usage: Usage
    stop_reason: str
    truncated: bool
    request_id: str = ""


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do; the workflow adapts to these, never to a provider's name."""

    streams: bool = False
    """`complete` calls `on_text` with text as it is generated."""

    concurrent_calls: int | None = None
    """How many calls the provider answers at once, for the whole process (a local model: 1); None: no limit of its
    own. The workflow queues calls beyond it, outside their timeouts, so a timeout measures the model's own work."""

    enforces_constraints: bool = False
    """Replies always have the shape of `Prompt.constraint` (sampled under a grammar)."""

    follows_instructions: bool = True
    """The model follows written instructions (a frontier model). False: a small model that can only continue a
    pattern; it gets the short few-shot prompts (prompts/*_small.md) instead."""

    candidates: int = 1
    """Candidates written per variation; the workflow keeps the best by bot/workflow/quality.py's score."""


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens; cache writes and reads as factors of the input price."""

    input_per_million: float
    output_per_million: float
    cache_write_factor: float = 1.25
    cache_read_factor: float = 0.1

    def cost(self, usage: Usage) -> float:
        per_input = self.input_per_million
        return (
            usage.input_tokens * per_input
            + usage.output_tokens * self.output_per_million
            + usage.cache_creation_input_tokens * per_input * self.cache_write_factor
            + usage.cache_read_input_tokens * per_input * self.cache_read_factor
        ) / 1_000_000


FREE = Price(0.0, 0.0)


class LLM(Protocol):
    """A language model provider."""

    @property
    def provider(self) -> str:
        """Short provider name, stored with every call (anthropic, openai, local, a plugin's)."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    def describe(self, model: str) -> str:
        """The model that will really answer for `model` (a local provider has its own)."""
        ...

    def price(self, model: str) -> Price | None:
        """What `model` costs on this provider; None when unknown (the run's cost then shows as unknown)."""
        ...

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        """Answer `prompt`; stream text into `on_text` when given and supported."""
        ...

    async def aclose(self) -> None:
        """Release connections and threads."""
        ...


def estimate_cost(llm: LLM, model: str, usage: Usage) -> float | None:
    """Dollars for one call; 0 for a call that used no tokens; None when the model's price or the call's usage is
    unknown."""
    if not usage.reported:
        return None
    tokens = (
        usage.input_tokens + usage.output_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    )
    if tokens == 0:
        return 0.0
    price = llm.price(model)
    return None if price is None else price.cost(usage)
