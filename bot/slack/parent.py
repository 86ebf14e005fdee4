"""The thread parent of a run: who asked, the product, the analysis, the planned approaches and the progress.

The same builder serves the live thread (bot/slack/sink.py) and a thread healed after a restart
(bot/slack/healing.py). An interrupted run's parent says how to run it again and carries a Retry button
(RETRY_ACTION, its value the run id) that starts the same request.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.blocks import Block, SlackMessage, context, section, sections
from bot.slack.text import escape, shorten, split_text
from bot.workflow.types import CopyRequest, RunStatus, Subtask

ANALYSIS_CHARS = 6_000
DESCRIPTION_CHARS = 300
RETRY_ACTION = "copybot_retry"


@dataclass(frozen=True)
class ParentState:
    """What the thread parent shows; the sink updates it as events arrive."""

    user_id: str
    product: str
    audience: str = ""
    tone: str = ""
    features: tuple[str, ...] = ()
    format: str = ""
    analysis: str = ""
    planned: tuple[Subtask, ...] = ()
    plan_final: bool = False
    ready: int = 0
    failed: int = 0
    unposted: int = 0  # written, but Slack kept refusing their replies (sent to the requester privately)
    over_limit: int = 0  # written (counted in ready), but still over the format's limits
    status: RunStatus | None = None  # None while running
    error: str = ""
    run_id: int | None = None  # known once the run is stored: the Retry button's value

    @classmethod
    def of(cls, request: CopyRequest, user_id: str) -> ParentState:
        """The parent of a run about to start: who asked and what, nothing planned yet."""
        return cls(
            user_id=user_id,
            product=request.product,
            audience=request.audience,
            tone=request.tone,
            features=request.features,
            format=request.format.name if request.format else "",
        )


def parent_message(state: ParentState) -> SlackMessage:
    """The thread parent: who asked, the product, the analysis, the planned approaches and the progress."""
    blocks: list[Block] = [section(f"*<@{state.user_id}> asked for copy:* {escape(shorten(state.product, 2_000))}")]
    details = [
        f"*{name}:* {escape(shorten(value, 500))}"
        for name, value in (
            ("Audience", state.audience),
            ("Tone", state.tone),
            ("Features", ", ".join(state.features)),
            ("Format", state.format),
        )
        if value
    ]
    if details:
        blocks.append(context("   ".join(details)))
    if state.analysis:
        analysis = shorten(state.analysis, ANALYSIS_CHARS) if len(state.analysis) > ANALYSIS_CHARS else state.analysis
        blocks.append(section("*Analysis*"))
        blocks.extend(sections(analysis))
    if state.planned:
        lines = [
            f"{s.position}. *{escape(shorten(s.type or 'Variation', 100))}*: "
            + escape(shorten(s.description, DESCRIPTION_CHARS))
            for s in state.planned
        ]
        blocks.append(section("*Planned approaches*"))
        blocks.extend(section(piece) for piece in split_text("\n".join(lines)))
    status = progress_line(state)
    tail = [context(status)]
    if state.status is RunStatus.INTERRUPTED and state.run_id is not None:
        tail.append(retry_actions(state.run_id))
    blocks = [*blocks[: 50 - len(tail)], *tail]
    return SlackMessage(text=f"Copy for {escape(shorten(state.product, 200))}: {status}", blocks=tuple(blocks))


def progress_line(state: ParentState) -> str:
    total = len(state.planned)
    if state.status is RunStatus.DONE:
        if state.unposted:
            return (
                f":warning: Done: {state.ready - state.unposted}/{total} posted; {state.unposted} could not be posted "
                f"(Slack kept failing) and went to <@{state.user_id}> privately."
            )
        return f":white_check_mark: Done: {state.ready}/{total} variations ready in the thread."
    if state.status is RunStatus.PARTIAL:
        extra = f" {escape(state.error)}" if state.error else ""
        if state.unposted:
            extra += f" {state.unposted} could not be posted here and went to <@{state.user_id}> privately."
        ready = state.ready - state.over_limit
        over = f", {state.over_limit} still over the format's limits" if state.over_limit else ""
        return f":warning: Partly done: {ready} ready{over}, {state.failed} failed.{extra}"
    if state.status is RunStatus.FAILED:
        if state.error:  # the error says what to do next
            return f":x: Failed: {escape(state.error)}"
        return ":x: Failed: no variation could be written. Try `/copy` again in a minute."
    if state.status is RunStatus.INTERRUPTED:
        return (
            f":x: Interrupted: the bot restarted before this run finished ({state.ready} of {total} ready). "
            f"Run `{escape(shorten(command_text(state), 200))}` again, or press *Retry*."
        )
    if not total:
        return ":hourglass_flowing_sand: Planning the variations…"
    planning = "" if state.plan_final else " (still planning)"
    return f":writing_hand: {state.ready}/{total} ready{planning}."


def command_text(state: ParentState) -> str:
    """The /copy command that asks for this request again."""
    options = [
        ("audience", state.audience),
        ("features", ", ".join(state.features)),
        ("tone", state.tone),
        ("format", state.format),
    ]
    return " ".join(["/copy", state.product, *(f"{name}: {value}" for name, value in options if value)])


def retry_actions(run_id: int) -> Block:
    return {
        "type": "actions",
        "block_id": "copybot_retry",
        "elements": [
            {
                "type": "button",
                "action_id": RETRY_ACTION,
                "text": {"type": "plain_text", "text": "Retry", "emoji": True},
                "value": str(run_id),
            }
        ],
    }
