"""What Slack's Web API refuses in messages and views (its documented limits), for the fake Slack."""

from __future__ import annotations

from typing import Any

MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_HEADER_TEXT = 150


def block_problem(blocks: list[dict[str, Any]]) -> str:
    if len(blocks) > MAX_BLOCKS:
        return f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
    for i, block in enumerate(blocks):
        text = block.get("text") or {}
        limit = MAX_HEADER_TEXT if block.get("type") == "header" else MAX_SECTION_TEXT
        if len(str(text.get("text", ""))) > limit:
            return f"must be less than {limit + 1} characters [json-pointer:/blocks/{i}/text]"
        for element in block.get("elements") or []:
            if len(str(element.get("text", ""))) > MAX_SECTION_TEXT:
                return f"must be less than {MAX_SECTION_TEXT + 1} characters [json-pointer:/blocks/{i}/elements]"
    return ""


def view_problem(view: dict[str, Any]) -> str:
    """What Slack would refuse in a view (its documented limits), or ''."""
    blocks = view.get("blocks") or []
    if view.get("type") not in ("modal", "home") or len(blocks) > 100:
        return "a view is a modal or home tab of at most 100 blocks"
    if view.get("type") == "modal" and len(str((view.get("title") or {}).get("text", ""))) > 24:
        return "a modal's title is at most 24 characters"
    if len(str(view.get("private_metadata", ""))) > 3000:
        return "private_metadata is at most 3000 characters"
    for block in blocks:
        element = block.get("element") or {}
        if len(element.get("options") or []) > 100:
            return "a select has at most 100 options"
        if len(str(element.get("initial_value", ""))) > int(element.get("max_length") or 3000):
            return "an initial value is longer than its input's max_length"
    return block_problem([b for b in blocks if b.get("type") != "input"])
