"""Anthropic's published prices, as the anthropic provider's price lookup.

US dollars per million tokens (input, output), as published by Anthropic when
this table was last edited; cache writes cost 1.25x input and cache reads 0.1x
input (5-minute prompt cache). A model id matches an entry when it equals the
entry or is the entry plus a date suffix ("-20250514") or "-latest". Any other
model has an UNKNOWN price: the call's cost, and so the run's estimated cost,
is unknown rather than a guess. Add a line here when you adopt a new model.

COPYBOT_PRICES (bot/config.py) names prices of its own: `Priced` puts them before the provider's, so a model
missing here, or served by a server of your own, is priced too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.workflow.llm.base import FREE, LLM, Capabilities, Completion, Price, Prompt, TextSink

__all__ = ["FREE", "PER_MILLION", "Price", "Priced", "lookup"]

PER_MILLION: dict[str, Price] = {
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4-1": Price(15.0, 75.0),
    "claude-opus-4": Price(15.0, 75.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-3-7-sonnet": Price(3.0, 15.0),
    "claude-3-5-sonnet": Price(3.0, 15.0),
    "claude-haiku-4-5": Price(1.0, 5.0),
    "claude-3-5-haiku": Price(0.8, 4.0),
    "claude-3-haiku": Price(0.25, 1.25),
    "claude-3-opus": Price(15.0, 75.0),
}

_SUFFIX = re.compile(r"(-\d{8}|-latest)?")


def lookup(table: Mapping[str, Price], model: str) -> Price | None:
    """The price of `model` in `table` (exact, or with a date or -latest suffix), or None."""
    for name, price in table.items():
        if model.startswith(name) and _SUFFIX.fullmatch(model[len(name) :]):
            return price
    return None


class Priced:
    """`llm` with prices of its own (COPYBOT_PRICES) put before the provider's; everything else is `llm`'s."""

    def __init__(self, llm: LLM, table: Mapping[str, Price]) -> None:
        self._llm = llm
        self._table = table

    @property
    def provider(self) -> str:
        return self._llm.provider

    @property
    def capabilities(self) -> Capabilities:
        return self._llm.capabilities

    def describe(self, model: str) -> str:
        return self._llm.describe(model)

    def price(self, model: str) -> Price | None:
        own = lookup(self._table, model)
        return own if own is not None else self._llm.price(model)

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        return await self._llm.complete(prompt, model=model, max_tokens=max_tokens, on_text=on_text)

    async def aclose(self) -> None:
        await self._llm.aclose()
