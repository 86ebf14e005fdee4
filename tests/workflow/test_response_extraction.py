"""A worker's copy: inside <response> when tagged (closed or cut off), else the whole reply."""

from __future__ import annotations

import pytest

from bot.workflow.plan import extract_response


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("<response>Buy it.</response>", "Buy it."),
        ("Sure! Here it is:\n<response>\n  Buy it.\n\nToday.\n</response>\nHope that helps.", "Buy it.\n\nToday."),
        ("No tags at all, just copy.", "No tags at all, just copy."),
        ("```\nFenced copy.\n```", "Fenced copy."),
        ("<response>Cut off at max tokens", "Cut off at max tokens"),
        ("< RESPONSE >Shout</ response >", "Shout"),
        ("<response></response>", ""),
        ("<response>  \n </response>", ""),
        ("", ""),
    ],
    ids=["tagged", "chatty", "untagged-whole", "fenced", "unclosed", "spaced-case", "empty", "blank", "nothing"],
)
def test_extract_response(reply: str, expected: str) -> None:
    assert extract_response(reply) == expected
