"""Model replies for tests and benchmarks: orchestrator plans, worker copy, and the style a prompt asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tests.support.anthropic_api import FakeAnthropic, Recorded, Reply, tag_text

ORCHESTRATOR = "fake-orchestrator"
WORKER = "fake-worker"
ANALYSIS = "The request, analysed."


def plan_reply(
    types: Sequence[str],
    analysis: str = ANALYSIS,
    *,
    one_line: bool = False,
    description: str = "Write the {type} version of the copy.",
) -> str:
    """An orchestrator reply in the seed's format with one task per type (`description` formatted with it)."""
    nl = "" if one_line else "\n"
    tasks = "".join(
        f"<task>{nl}<type>{t}</type>{nl}<description>{description.format(type=t)}</description>{nl}</task>{nl}"
        for t in types
    )
    return f"<analysis>{nl}{analysis}{nl}</analysis>{nl}<tasks>{nl}{tasks}</tasks>{nl}"


def style_of(prompt: str | Recorded) -> str:
    """The style a worker prompt asks for (as the user would read it: entities decoded); a small model's few-shot
    prompt names it on its last `Style:` line."""
    text = prompt.prompt if isinstance(prompt, Recorded) else prompt
    style = tag_text(text, "style") or _last_style_line(text)
    assert style, "a worker prompt names its style"
    return style


def _last_style_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("Style: ")]
    return lines[-1].removeprefix("Style: ") if lines else ""


def copy_for(request: Recorded) -> str:
    """A worker reply naming its style, so tests can tell variations apart."""
    return f"<response>Copy in the {style_of(request)} style.</response>"


def script_workers(
    fake: FakeAnthropic, special: Mapping[str, Sequence[Reply | str]] | None = None, latency_s: float = 0.0
) -> None:
    """Workers answer `copy_for` after `latency_s`; a style in `special` gets its replies in order (last repeats)."""

    def reply(request: Recorded) -> Reply:
        style = style_of(request)
        steps = (special or {}).get(style)
        if not steps:
            return Reply(text=copy_for(request), latency_s=latency_s)
        earlier = sum(1 for r in fake.requests_for(WORKER) if style_of(r) == style) - 1
        step = steps[min(earlier, len(steps) - 1)]
        return Reply(text=step, latency_s=latency_s) if isinstance(step, str) else step

    fake.on(WORKER, reply)


def task_close_times(request: Recorded) -> list[float]:
    """When each </task> of a streamed reply was sent (monotonic), in order."""
    times, text = [], ""
    for sent, chunk in request.chunks:
        before = text.count("</task>")
        text += chunk
        times.extend([sent] * (text.count("</task>") - before))
    return times
