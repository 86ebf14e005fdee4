"""Shared by `copybot refine` and `copybot another`: writing one new version of a run's variation and showing it.

Exit status: 0 the version was written, 2 it was not (or the request could not be run), as for `copybot run`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import Settings
from bot.services import RefinementService, Version
from bot.workflow.types import VariationStatus

Write = Callable[[RefinementService], Awaitable[Version]]


def document(version: Version) -> dict[str, Any]:
    """`--json`: the run and the new version (DESIGN.md, "Contract (wave 2)")."""
    subtask = version.subtask
    return {
        "run_id": version.run_id,
        "variation": {
            "position": subtask.position,
            "type": subtask.type,
            "text": version.text,
            "parent_position": subtask.parent,
            "instruction": subtask.instruction,
            "kind": subtask.kind,
            "status": version.status,
            "error": version.error,
            **_format_fields(version),
        },
    }


def _format_fields(version: Version) -> dict[str, Any]:
    """A version of a run with a format carries its fields, as `copybot run --json` shows them."""
    variation = version.variation
    if variation is None or not variation.fields:
        return {}
    return {"fields": [f.to_dict() for f in variation.fields], "over_limit": list(variation.over_limit)}


def render(version: Version) -> str:
    subtask = version.subtask
    origin = f'from {subtask.parent}: "{subtask.instruction}"' if subtask.instruction else f"from {subtask.parent}"
    lines = [f"Run {version.run_id} · variation {subtask.position} · {subtask.type} ({origin}) · {version.status}"]
    lines += ["-" * 80, "", version.text or f"Error: {version.error}", ""]
    return "\n".join(lines)


async def write_version(settings: Settings, write: Write, *, json_mode: bool) -> int:
    from bot.app import App

    async with App.open(settings) as app:
        version = await write((await app.services()).refinements)
    if json_mode:
        print(json.dumps(document(version), ensure_ascii=False, indent=2))
    else:
        print(render(version))
    if version.status is not VariationStatus.DONE:
        print(f"copybot: the version could not be written: {version.error}", file=sys.stderr)
        return 2
    return 0
