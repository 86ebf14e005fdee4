"""Pure Block Kit builders: every message copybot posts, with a plain-text fallback.

Model output is untrusted: `escape` turns `&`, `<`, `>` into entities, so
`<!channel>`, `<@U...>` or `<http://x|y>` in it show as text and never ping or
link. Long copy is split at paragraph, line or word boundaries into sections of
at most 3,000 characters, and into several messages when one would pass
Slack's limits (50 blocks; a conservative character budget per message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.text import SECTION_LIMIT, escape, shorten, shorten_fallback, split_text
from bot.workflow.formats import FieldText
from bot.workflow.types import Subtask, Variation, VariationKind

Block = dict[str, Any]

HEADER_LIMIT = 150
MESSAGE_BLOCK_LIMIT = 50
MESSAGE_CHARS = 12_000  # Slack rejects a message with too much block text well below 50 x 3,000
INSTRUCTION_CHARS = 60
PICK_ACTION = "copybot_pick"
ANOTHER_ACTION = "copybot_another"
NEW_BRIEF_ACTION = "copybot_new_brief"


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage / chat.update payload: fallback text and blocks."""

    text: str
    blocks: tuple[Block, ...]


def section(mrkdwn: str) -> Block:
    """A section block of mrkdwn (already escaped)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def sections(raw: str) -> list[Block]:
    """Raw text, escaped, in as many sections as it needs."""
    return [section(escape(piece)) for piece in split_text(raw)]


def heading(subtask: Subtask) -> str:
    """A variation's plain_text heading, with its lineage: `5. playful (from 2: shorter)`.

    Slack does not decode entities in plain_text, so angle brackets become look-alikes."""
    label = f"{subtask.position}. {subtask.type or 'Variation'}"
    if subtask.kind is VariationKind.REFINE:
        label += f" (from {subtask.parent}: {shorten(subtask.instruction, INSTRUCTION_CHARS)})"
    elif subtask.kind is VariationKind.ANOTHER:
        label += f" (another take on {subtask.parent})"
    return shorten(label.replace("<", "\u2039").replace(">", "\u203a"), HEADER_LIMIT)


@dataclass(frozen=True)
class Shown:
    """What a written variation's reply shows: from a live run's event, or from the database (a healed thread)."""

    subtask: Subtask
    text: str
    truncated: bool = False
    fields: tuple[FieldText, ...] = ()
    over_limit: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()

    @classmethod
    def of(cls, variation: Variation) -> Shown:
        return cls(
            variation.subtask,
            variation.text,
            variation.truncated,
            variation.fields,
            variation.over_limit,
            variation.violations,
        )


def variation_messages(shown: Shown) -> list[SlackMessage]:
    """A finished variation: its heading, the copy (a format's fields with their counts) and its buttons (Pick,
    Another take); notes on what is still wrong with it; several messages if long."""
    label = heading(shown.subtask)
    copy = _field_sections(shown.fields) if shown.fields else sections(shown.text)
    tail: list[Block] = []
    if shown.over_limit:
        problems = escape("; ".join(shown.over_limit))
        tail.append(context(f":warning: Still not within the format after the rewrites: {problems}. Fix before use."))
    if shown.violations:
        problems = escape("; ".join(shown.violations))
        tail.append(context(f":warning: Against the brand voice after the rewrites: {problems}. Fix before use."))
    if shown.truncated:
        tail.append(context(":scissors: The model hit its length limit; this copy may end abruptly."))
    tail.append(variation_actions(shown.subtask.position))
    chunks = _pack(copy, first_extra=1 + len(tail))
    return [
        _copy_message(label if i == 0 else f"{label} (continued, {i + 1}/{len(chunks)})", chunk, tail if i == 0 else [])
        for i, chunk in enumerate(chunks)
    ]


def _field_sections(fields: Sequence[FieldText]) -> list[Block]:
    """Each field labelled with its count (`*Headline 1* · 27/30`), :warning: when over its limit."""
    blocks = []
    for field in fields:
        mark = " :warning:" if field.over else ""
        label = f"*{escape(field.label.capitalize())}* · {field.chars}/{field.limit}{mark}"
        pieces = split_text(field.text, SECTION_LIMIT - len(label) - 1) or [""]
        blocks.append(section(f"{label}\n{escape(pieces[0])}"))
        blocks.extend(section(escape(piece)) for piece in pieces[1:])
    return blocks


def help_message(usage: str) -> SlackMessage:
    """`/copy help`: the usage, and a button that opens the brief form."""
    button = {
        "type": "button",
        "action_id": NEW_BRIEF_ACTION,
        "text": {"type": "plain_text", "text": ":memo: New brief", "emoji": True},
    }
    return SlackMessage(text=usage, blocks=(section(usage), {"type": "actions", "elements": [button]}))


def live_message(subtask: Subtask, text: str) -> SlackMessage:
    """A variation still being written: its heading, the copy so far (cut to one message), no Pick button yet."""
    chunks = _pack(sections(text[:MESSAGE_CHARS]), first_extra=2)
    note = ":writing_hand: _Still writing…_"
    if len(chunks) > 1 or len(text) > MESSAGE_CHARS:
        note = ":writing_hand: _Still writing… this preview shows the beginning; the whole copy follows._"
    return _copy_message(heading(subtask), chunks[0], [context(note)])


def _copy_message(label: str, copy: Sequence[Block], tail: Sequence[Block]) -> SlackMessage:
    """One message of a variation: heading, copy sections, then `tail` (notes, the Pick button)."""
    header: Block = {"type": "header", "text": {"type": "plain_text", "text": shorten(label, HEADER_LIMIT)}}
    body = "\n\n".join(b["text"]["text"] for b in copy)
    return SlackMessage(text=escape(label) + "\n\n" + shorten_fallback(body), blocks=(header, *copy, *tail))


def _pack(sections: Sequence[Block], *, first_extra: int) -> list[list[Block]]:
    """Group sections into messages within the block count and character budget."""
    chunks: list[list[Block]] = [[]]
    size = 0
    for block in sections:
        length = len(block["text"]["text"])
        room = MESSAGE_BLOCK_LIMIT - 1 - (first_extra if len(chunks) == 1 else 0)
        if chunks[-1] and (len(chunks[-1]) >= room or size + length > MESSAGE_CHARS):
            chunks.append([])
            size = 0
        chunks[-1].append(block)
        size += length
    return chunks


def variation_actions(position: int) -> Block:
    """The buttons under a written variation: pick it as your favourite, or ask for another take of its style."""

    def button(action_id: str, label: str) -> Block:
        return {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": str(position),
        }

    return {
        "type": "actions",
        "block_id": f"copybot_variation_{position}",
        "elements": [button(PICK_ACTION, ":star: Pick this one"), button(ANOTHER_ACTION, ":repeat: Another take")],
    }


def failure_message(subtask: Subtask, error: str) -> SlackMessage:
    text = f":warning: *{escape(heading(subtask))}* could not be written: {escape(shorten(error, 1_000))}"
    return SlackMessage(text=text, blocks=(section(text),))


def error_text(error: str) -> str:
    """An ephemeral error for the requester (orchestrator failure, storage failure); `error` says what to do next
    (wait a minute for a passing outage, or which setting the admin must fix)."""
    return f":x: copybot could not write this copy: {escape(shorten(error, 1_000))}"


NOT_IN_CHANNEL_INTRO = ":lock: Only you can see this. I could not post in the channel, so here is your copy:"


def private_copy(variations: Sequence[Variation], intro: str = NOT_IN_CHANNEL_INTRO) -> SlackMessage:
    """Written variations in one ephemeral message under `intro` (mrkdwn), for copy the thread could not show
    (<= 50 blocks)."""
    blocks: list[Block] = [section(intro)]
    for variation in sorted(variations, key=lambda v: v.subtask.position):
        label = heading(variation.subtask)
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": label}})
        blocks.extend(sections(variation.text))
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        blocks = [*blocks[: MESSAGE_BLOCK_LIMIT - 1], context("… too long for one message; the rest is stored.")]
    text = "\n\n".join([intro, *(f"{v.subtask.position}. {escape(v.text)}" for v in variations)])
    return SlackMessage(text=shorten_fallback(text), blocks=tuple(blocks))


def unposted_intro(written: int, total: int, *, thread: bool) -> str:
    """Why copy comes privately: Slack refused the thread (not a membership problem), or some of its replies."""
    if not thread:
        return (
            f":warning: I wrote {written} variation(s) and stored them, but Slack refused my messages here (the "
            "bot's log says why), so here they are, only for you. `/copy history` finds the run later."
        )
    return (
        f":warning: {written} of the {total} variations could not be posted in the thread (Slack kept failing), "
        "so here they are, only for you:"
    )


def not_in_channel_text(channel_id: str, error: str = "not_in_channel") -> str:
    """What to do when Slack refuses the thread parent with `error` (not_in_channel, channel_not_found,
    is_archived)."""
    meanwhile = "Meanwhile I'm still writing this copy and will send it to you privately here."
    if error == "is_archived":
        return (
            f":no_entry: <#{channel_id}> is archived, so nobody can post in it. "
            f"Run `/copy` in another channel. {meanwhile}"
        )
    return (
        f":no_entry: I can't post in <#{channel_id}> because I'm not a member of it. "
        "Invite me with `/invite @copybot` (or open the channel's details > Integrations > Add apps), "
        f"then run `/copy` again. {meanwhile}"
    )
