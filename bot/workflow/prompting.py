"""Requests and subtasks -> rendered prompts.

A model that follows instructions gets prompts/<name>.md, with user text
XML-escaped, as data. A small model (`small=True`, chosen by the provider's
`follows_instructions` capability) gets prompts/<name>_small.md: few-shot
examples it continues, the brief as plain one-line values (whitespace is
normalised on input, and the reply's shape is enforced by the provider's
grammar, so no value can add structure), and the body of free copy opening
with prompts/lead_small.md (`Our <product>`), which keeps it on the product.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

import prompts
from bot.workflow.llm.base import OutputConstraint, PlanShape, Prompt, ResponseShape
from bot.workflow.types import MIN_STYLES, CopyRequest, Revision, Role, Subtask, VariationKind
from bot.workflow.voice import Taste, Voice, counted

NOT_SPECIFIED = "not specified"
LEAD_MAX_CHARS = 60  # a longer product name makes a clumsy opening: the small model's body then opens freely


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


def _prompt(role: Role, name: str, constraint: OutputConstraint, text: str, *, continued: bool = False) -> Prompt:
    sha256 = prompts.sha256(text)
    return Prompt(role=role, name=name, text=text, sha256=sha256, constraint=constraint, continued=continued)


def _render(role: Role, name: str, constraint: OutputConstraint, **values: str) -> Prompt:
    return _prompt(role, name, constraint, prompts.load(name).render(**values))


def _small_values(request: CopyRequest) -> dict[str, str]:
    return {
        "product": request.product,
        "audience": request.audience,
        "features": "; ".join(request.features),
        "tone": request.tone,
    }


def _small(role: Role, name: str, request: CopyRequest, **values: str) -> Prompt:
    """A small model's prompt `<name>_small`: the brief as plain values, continued rather than answered."""
    if role is Role.ORCHESTRATOR:
        constraint: OutputConstraint = _plan_shape(request)
    else:
        lead = prompts.load("lead_small").render(product=request.product).strip()
        constraint = replace(_shape(request), lead=lead if len(request.product) <= LEAD_MAX_CHARS else "")
    name = f"{name}_small"
    text = prompts.load(name).render(**_small_values(request), **values)
    return _prompt(role, name, constraint, text, continued=True)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _how_many(max_variations: int) -> str:
    if max_variations == 1:
        return "exactly one"
    if max_variations == 2:
        return "exactly two"
    return f"between 2 and {max_variations} of them"


def _plan_shape(request: CopyRequest) -> PlanShape:
    return PlanShape(min_tasks=min(MIN_STYLES, request.max_variations), max_tasks=request.max_variations)


def orchestrator_prompt(request: CopyRequest, *, small: bool = False) -> Prompt:
    if small:
        return _small(Role.ORCHESTRATOR, "orchestrator", request)
    return _render(
        Role.ORCHESTRATOR,
        "orchestrator",
        _plan_shape(request),
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


def worker_prompt(request: CopyRequest, subtask: Subtask, *, small: bool = False) -> Prompt:
    if small:
        return _small(Role.WORKER, "worker", request, style=subtask.type)
    return _render(Role.WORKER, "worker", _shape(request), **_copy_values(request, subtask))


def revision_prompt(revision: Revision, *, small: bool = False) -> Prompt:
    """A refinement (the base copy and the person's instruction) or another take (the earlier texts of its style).

    A small model copies whatever text it is shown, so its other take is a fresh worker prompt: the writer's
    candidates and duplicate check keep it apart from the earlier versions."""
    subtask, request = revision.subtask, revision.request
    if small and subtask.kind is VariationKind.REFINE:
        return _small(Role.WORKER, "refine", request, copy=_flat(revision.base), instruction=subtask.instruction)
    if small:
        return worker_prompt(request, subtask, small=True)
    values = _copy_values(request, subtask)
    if subtask.kind is VariationKind.REFINE:
        instruction = _data(subtask.instruction)
        return _render(
            Role.WORKER, "refine", _shape(request), copy=_data(revision.base), instruction=instruction, **values
        )
    earlier = "\n".join(f"<version>{_data(text)}</version>" for text in revision.same_style or (revision.base,))
    return _render(Role.WORKER, "another", _shape(request), earlier=earlier, **values)


def rewrite_prompt(
    request: CopyRequest, subtask: Subtask, copy: str, problems: tuple[str, ...], *, small: bool = False
) -> Prompt:
    """A second chance for a reply that breaks its requirements (a field over its limit...): the copy and each
    problem, worded exactly."""
    if small:
        return _small(Role.WORKER, "rewrite", request, copy=_flat(copy), problems="; ".join(problems))
    listed = _data("\n".join(f"- {problem}" for problem in problems))
    return _render(
        Role.WORKER, "rewrite", _shape(request), copy=_data(copy), problems=listed, **_copy_values(request, subtask)
    )


def protected_strings(request: CopyRequest) -> tuple[str, ...]:
    """User text as typed: a model echoing it into its plan must not add structure.

    (Echoed in its escaped form it holds no tags, and the plan parser decodes it back.)
    """
    return tuple(v for v in (request.product, request.audience, request.tone, *request.features) if v)
