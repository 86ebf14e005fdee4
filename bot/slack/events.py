"""Favourites: reactions on a variation message and the Pick button.

One favourite per user per run: a vote on another variation moves it, removing
the reaction clears it. Reactions on any other message, or with an emoji not in
COPYBOT_FAVOURITE_EMOJI, are ignored. Slack redelivers events (X-Slack-Retry-Num)
when an ack is slow: every event_id is processed once, its dedupe mark committed with the vote.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.services import VoteService
from bot.slack.blocks import PICK_ACTION
from bot.slack.tasks import BackgroundTasks
from bot.slack.text import escape

log = logging.getLogger(__name__)


def base_emoji(reaction: str) -> str:
    """`+1::skin-tone-3` -> `+1`."""
    return reaction.split("::", 1)[0]


def register_events(app: AsyncApp, *, votes: VoteService, emoji: tuple[str, ...], tasks: BackgroundTasks) -> None:
    """Votes are stored before the HTTP response (the app processes before responding), so a vote Slack saw
    acknowledged is durable; the confirmation to the clicker is sent in the background."""

    async def on_reaction(event: dict[str, Any], body: dict[str, Any]) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message" or base_emoji(str(event.get("reaction", ""))) not in emoji:
            return
        channel, ts = str(item.get("channel", "")), str(item.get("ts", ""))
        found = await votes.variation_at(channel, ts, team_id=_team(body))
        if found is None:
            return
        event_id = str(body.get("event_id", "")) or None  # the vote and its dedupe mark commit together
        user = str(event.get("user", ""))
        how = base_emoji(str(event["reaction"]))
        if event.get("type") == "reaction_added":
            if not await votes.vote(found, user, how, event_id=event_id):
                log.info("event %s was delivered again; already counted", event_id)
        else:  # only the vote this reaction cast: another favourite reaction of theirs keeps it
            await votes.unvote(found, user, how, event_id=event_id)

    async def on_pick(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id", ""))
        ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts", ""))
        found = await votes.variation_at(channel, ts, team_id=_team(body))
        user = str((body.get("user") or {}).get("id", ""))
        if found is None or not user:
            text = "That variation is not in copybot's records any more."
            tasks.spawn(respond(text=text, response_type="ephemeral", replace_original=False), name="pick")
            return
        await votes.vote(found, user, "button")
        text = f":star: Your favourite for this run is now *{escape(_heading(body, found.position))}*."
        tasks.spawn(respond(text=text, response_type="ephemeral", replace_original=False), name="pick")

    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)
    app.action(PICK_ACTION)(on_pick)


def _heading(body: dict[str, Any], position: int) -> str:
    for block in (body.get("message") or {}).get("blocks") or []:
        if block.get("type") == "header":
            return str(block["text"]["text"])
    return f"variation {position}"


def _team(body: dict[str, Any]) -> str | None:
    """The workspace an event or action comes from (None when Slack did not say)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team) if team else None
