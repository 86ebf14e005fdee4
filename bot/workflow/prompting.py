"""Requests and subtasks -> rendered prompts. User text goes in XML-escaped, as data."""

from __future__ import annotations

from html import escape

import prompts
from bot.workflow.llm.base import OutputConstraint, PlanShape, Prompt, ResponseShape
from bot.workflow.types import MIN_STYLES, CopyRequest, Revision, Role, Subtask, VariationKind
from bot.workflow.voice import Taste, Voice, counted

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


def _format_value(request: CopyRequest) -> str:
    fmt = request.format
    return _data(f"{fmt.description} ({fmt.name}): {fmt.summary()}" if fmt else "")


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
        format=_format_value(request),
        voice=_voice_section(request.voice),
        taste=_taste_section(request.taste),
        **_request_values(request),
    )


def _copy_values(request: CopyRequest, subtask: Subtask) -> dict[str, str]:
    """What every writing prompt carries: the request, the assignment, the format and the reply's form."""
    fmt = request.format
    format_section = ""
    reply = prompts.load("reply_free").render()
    if fmt is not None:
        fields = "\n".join(f"{field.label(i)}: at most {field.limit:,} characters" for field, i in fmt.slots())
        format_section = prompts.load("format").render(name=_data(fmt.description), fields=_data(fields))
        tags = "\n".join(f"<{field.name}>{field.label(i)}</{field.name}>" for field, i in fmt.slots())
        reply = prompts.load("reply_fields").render(tags=tags)
    return {
        "style": _data(subtask.type),
        "guidelines": _data(subtask.description),
        "format": format_section,
        "voice": _voice_section(request.voice),
        "reply": reply,
        **_request_values(request),
    }


def _voice_section(voice: Voice) -> str:
    """The brand voice as data, in its own section; an empty voice adds nothing."""
    if voice.empty:
        return ""
    return prompts.load("voice").render(
        voice=_data(voice.text), banned=_data(", ".join(voice.banned)), required=_data(", ".join(voice.required))
    )


def _taste_section(taste: Taste) -> str:
    if taste.empty:
        return ""
    styles = "\n".join(
        f"{wins.style}: won {counted(wins.runs, 'run')} ({counted(wins.votes, 'vote')})" for wins in taste.styles
    )
    examples = "\n".join(f"<copy>{_data(text)}</copy>" for text in taste.examples)
    return prompts.load("taste").render(styles=_data(styles), examples=examples or NOT_SPECIFIED)


def _shape(request: CopyRequest) -> ResponseShape:
    fmt = request.format
    return ResponseShape(tuple((field.name, field.limit) for field, _ in fmt.slots()) if fmt else ())


def worker_prompt(request: CopyRequest, subtask: Subtask) -> Prompt:
    return _render(Role.WORKER, "worker", _shape(request), **_copy_values(request, subtask))


def revision_prompt(revision: Revision) -> Prompt:
    """A refinement (the base copy and the person's instruction) or another take (the earlier texts of its style)."""
    subtask, request = revision.subtask, revision.request
    values = _copy_values(request, subtask)
    if subtask.kind is VariationKind.REFINE:
        instruction = _data(subtask.instruction)
        return _render(
            Role.WORKER, "refine", _shape(request), copy=_data(revision.base), instruction=instruction, **values
        )
    earlier = "\n".join(f"<version>{_data(text)}</version>" for text in revision.same_style or (revision.base,))
    return _render(Role.WORKER, "another", _shape(request), earlier=earlier, **values)


def rewrite_prompt(request: CopyRequest, subtask: Subtask, copy: str, problems: tuple[str, ...]) -> Prompt:
    """A second chance for a reply that breaks its requirements (a field over its limit...): the copy and each
    problem, worded exactly."""
    listed = _data("\n".join(f"- {problem}" for problem in problems))
    return _render(
        Role.WORKER, "rewrite", _shape(request), copy=_data(copy), problems=listed, **_copy_values(request, subtask)
    )


def protected_strings(request: CopyRequest) -> tuple[str, ...]:
    """User text as typed: a model echoing it into its plan must not add structure.

    (Echoed in its escaped form it holds no tags, and the plan parser decodes it back.)
    """
    return tuple(v for v in (request.product, request.audience, request.tone, *request.features) if v)
