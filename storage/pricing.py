"""Estimated cost of a model call, from a small price table.

Prices are US dollars per million tokens (input, output), as published by
Anthropic when this table was last edited; cache writes cost 1.25x input and
cache reads 0.1x input (5-minute prompt cache). A model id matches an entry
when it equals the entry or is the entry plus a date suffix ("-20250514") or
"-latest". Any other model has an UNKNOWN cost: the call's cost, and so the
run's `estimated_cost_usd`, is NULL rather than a guess. Add a line here when
you adopt a new model. Calls to the bundled local model cost nothing.
"""

from __future__ import annotations

import re

from bot.workflow.types import Usage

PER_MILLION: dict[str, tuple[float, float]] = {
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-haiku": (0.25, 1.25),
    "claude-3-opus": (15.0, 75.0),
}
FREE_PROVIDERS = frozenset({"local"})
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1

_SUFFIX = re.compile(r"(-\d{8}|-latest)?")


def price_of(model: str) -> tuple[float, float] | None:
    """(input, output) dollars per million tokens for `model`, or None when it is not in the table."""
    for name, price in PER_MILLION.items():
        if model.startswith(name) and _SUFFIX.fullmatch(model[len(name) :]):
            return price
    return None


def estimate_cost(provider: str, model: str, usage: Usage) -> float | None:
    """Dollars for one call; 0 for a call that used no tokens; None when the model's price is unknown."""
    tokens = (
        usage.input_tokens + usage.output_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    )
    if provider in FREE_PROVIDERS or tokens == 0:
        return 0.0
    price = price_of(model)
    if price is None:
        return None
    per_input, per_output = price
    return (
        usage.input_tokens * per_input
        + usage.output_tokens * per_output
        + usage.cache_creation_input_tokens * per_input * CACHE_WRITE_FACTOR
        + usage.cache_read_input_tokens * per_input * CACHE_READ_FACTOR
    ) / 1_000_000
