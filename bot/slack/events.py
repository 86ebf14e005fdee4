"""Favourites: reactions on a variation message and the Pick button.

One favourite per user per run: a vote on another variation moves it, removing
the reaction clears it. Reactions on any other message, or with an emoji not in
COPYBOT_FAVOURITE_EMOJI, are ignored, as are events missing a field a vote needs
(bot/slack/payloads.py). Slack redelivers events (X-Slack-Retry-Num) when an ack
is slow: every event_id is processed once, its dedupe mark committed with the vote.
When the database cannot take the vote, the voter is told so privately.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import StorageError
from bot.services import VoteService
from bot.slack.blocks import PICK_ACTION
from bot.slack.payloads import Reaction, click, mapping, reaction, text
from bot.slack.poster import tell
from bot.slack.tasks import BackgroundTasks
from bot.slack.text import escape

log = logging.getLogger(__name__)
VOTE_NOT_STORED = (
    ":warning: copybot could not record your vote just now (its database is not answering). Try again in a minute."
)
GONE = "That variation is not in copybot's records any more."


def register_events(app: AsyncApp, *, votes: VoteService, emoji: tuple[str, ...], tasks: BackgroundTasks) -> None:
    """Votes are stored before the HTTP response (the app processes before responding), so a vote Slack saw
    acknowledged is durable; the confirmation to the clicker is sent in the background."""

    async def on_reaction(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        found = reaction(event, body)
        if found is None:
            log.debug("ignored a reaction event missing a field a vote needs (event %s)", body.get("event_id"))
            return
        if found.emoji not in emoji:
            return
        try:
            await _count(votes, found)
        except StorageError:
            log.warning("a vote by reaction could not be stored (event %s)", found.event_id)
            tasks.spawn(_tell_voter(client, found), name="vote-not-stored")

    async def on_pick(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        tasks.spawn(tell(respond, await _pick(votes, body)), name="pick")

    app.event("reaction_added")(on_reaction)
    app.event("reaction_removed")(on_reaction)
    app.action(PICK_ACTION)(on_pick)


async def _count(votes: VoteService, found: Reaction) -> None:
    ref = await votes.variation_at(found.channel, found.ts, team_id=found.team)
    if ref is None:
        return
    if not found.added:  # only the vote this reaction cast: another favourite reaction of theirs keeps it
        await votes.unvote(ref, found.user, found.emoji, event_id=found.event_id)
    elif not await votes.vote(ref, found.user, found.emoji, event_id=found.event_id):
        log.info("event %s was delivered again; already counted", found.event_id)


async def _tell_voter(client: AsyncWebClient, found: Reaction) -> None:
    try:
        await client.chat_postEphemeral(channel=found.channel, user=found.user, text=VOTE_NOT_STORED)
    except Exception as exc:
        log.warning("could not tell a voter that their vote was not stored (%s)", type(exc).__name__)


async def _pick(votes: VoteService, body: dict[str, Any]) -> str:
    """Record a Pick; return what to tell the clicker."""
    found = click(body)
    if found is None:
        log.debug("ignored a Pick missing a field a vote needs")
        return GONE
    try:
        ref = await votes.variation_at(found.channel, found.message_ts, team_id=found.team)
        if ref is None:
            return GONE
        await votes.vote(ref, found.user, "button")
    except StorageError:
        log.warning("a Pick could not be stored")
        return VOTE_NOT_STORED
    return f":star: Your favourite for this run is now *{escape(_heading(body, ref.position))}*."


def _heading(body: dict[str, Any], position: int) -> str:
    """The clicked message's header (the variation's style), as Slack sent it back."""
    blocks = mapping(body.get("message")).get("blocks")
    headers = (b for b in (blocks if isinstance(blocks, list) else []) if mapping(b).get("type") == "header")
    return text(mapping(mapping(next(headers, {})).get("text")).get("text")) or f"variation {position}"
