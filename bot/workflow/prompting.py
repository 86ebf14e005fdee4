"""Requests and subtasks -> rendered prompts. User text goes in XML-escaped, as data."""

from __future__ import annotations

from html import escape

import prompts
from bot.workflow.llm.base import OutputConstraint, PlanShape, Prompt, ResponseShape
from bot.workflow.types import MIN_STYLES, CopyRequest, Revision, Role, Subtask, VariationKind

NOT_SPECIFIED = "not specified"


def _data(value: str) -> str:
    return escape(value, quote=False) or NOT_SPECIFIED


def _request_values(request: CopyRequest) -> dict[str, str]:
    return {
        "product": _data(request.product),
        "audience": _data(request.audience),
        "features": _data("; ".join(request.features)),
        "tone": _data(request.tone),
    }


def _render(role: Role, name: str, constraint: OutputConstraint, **values: str) -> Prompt:
    text = prompts.load(name).render(**values)
    return Prompt(role=role, name=name, text=text, sha256=prompts.sha256(text), constraint=constraint)


def _how_many(max_variations: int) -> str:
    if max_variations == 1:
        return "exactly one"
    if max_variations == 2:
        return "exactly two"
    return f"between 2 and {max_variations} of them"


def orchestrator_prompt(request: CopyRequest) -> Prompt:
    shape = PlanShape(min_tasks=min(MIN_STYLES, request.max_variations), max_tasks=request.max_variations)
    return _render(
        Role.ORCHESTRATOR,
        "orchestrator",
        shape,
        how_many=_how_many(request.max_variations),
        **_request_values(request),
    )


def worker_prompt(request: CopyRequest, subtask: Subtask) -> Prompt:
    return _render(
        Role.WORKER,
        "worker",
        ResponseShape(),
        style=_data(subtask.type),
        guidelines=_data(subtask.description),
        **_request_values(request),
    )


def revision_prompt(revision: Revision) -> Prompt:
    """A refinement (the base copy and the person's instruction) or another take (the earlier texts of its style)."""
    subtask = revision.subtask
    style = {
        "style": _data(subtask.type),
        "guidelines": _data(subtask.description),
        **_request_values(revision.request),
    }
    if subtask.kind is VariationKind.REFINE:
        return _render(
            Role.WORKER,
            "refine",
            ResponseShape(),
            copy=_data(revision.base),
            instruction=_data(subtask.instruction),
            **style,
        )
    earlier = "\n".join(f"<version>{_data(text)}</version>" for text in revision.same_style or (revision.base,))
    return _render(Role.WORKER, "another", ResponseShape(), earlier=earlier, **style)


def protected_strings(request: CopyRequest) -> tuple[str, ...]:
    """User text as typed: a model echoing it into its plan must not add structure.

    (Echoed in its escaped form it holds no tags, and the plan parser decodes it back.)
    """
    return tuple(v for v in (request.product, request.audience, request.tone, *request.features) if v)
