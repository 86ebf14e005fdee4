"""Anthropic's published prices, as the anthropic provider's price lookup.

US dollars per million tokens (input, output), as published by Anthropic when
this table was last edited; cache writes cost 1.25x input and cache reads 0.1x
input (5-minute prompt cache). A model id matches an entry when it equals the
entry or is the entry plus a date suffix ("-20250514") or "-latest". Any other
model has an UNKNOWN price: the call's cost, and so the run's estimated cost,
is unknown rather than a guess. Add a line here when you adopt a new model.
"""

from __future__ import annotations

import re

from bot.workflow.llm.base import FREE, Price

__all__ = ["FREE", "PER_MILLION", "Price", "lookup"]

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


def lookup(table: dict[str, Price], model: str) -> Price | None:
    """The price of `model` in `table` (exact, or with a date or -latest suffix), or None."""
    for name, price in table.items():
        if model.startswith(name) and _SUFFIX.fullmatch(model[len(name) :]):
            return price
    return None
