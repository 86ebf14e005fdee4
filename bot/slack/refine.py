"""Iterating in a run's thread: a person's reply ("2 shorter") or the Another take button makes a new version.

A human message (no subtype, no bot_id, not the bot's own) in a copybot run's thread, or an app_mention there,
asks for a refinement; every other message (other threads, edits, deletions, bots) is ignored: no model call, and
its text is never stored or logged. A message delivered both ways, or again by Slack, is handled once. The
request gets :eyes: at once; the new version is posted in the thread as soon as it is written, and :eyes: goes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import CopyService, Services, parse_refinement
from bot.slack.blocks import ANOTHER_ACTION, Shown, failure_message
from bot.slack.jobs import limited
from bot.slack.poster import ThreadPoster
from bot.slack.tasks import BackgroundTasks
from bot.slack.text import escape
from bot.workflow.types import Event, VariationDone, VariationFailed

log = logging.getLogger(__name__)
EYES = "eyes"
_MENTION = re.compile(r"\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*")
INTERNAL = ":warning: copybot could not write this version (the bot's log says why). Try again in a minute."


@dataclass(frozen=True)
class ThreadReply:
    """A person's message in a thread, as far as copybot needs it."""

    team_id: str
    channel: str
    ts: str
    thread_ts: str
    user: str
    text: str


def thread_reply(event: dict[str, Any], body: dict[str, Any], bot_user_id: str) -> ThreadReply | None:
    """The human reply in a thread that `event` is, or None for anything else (top-level, edits, bots...)."""
    if event.get("subtype") or event.get("bot_id"):
        return None
    fields = {name: event.get(name) for name in ("channel", "ts", "thread_ts", "user", "text")}
    team = body.get("team_id") or event.get("team")
    if not all(isinstance(value, str) and value for value in (*fields.values(), team)):
        return None
    if fields["thread_ts"] == fields["ts"] or fields["user"] == bot_user_id:
        return None
    return ThreadReply(str(team), **{name: str(value) for name, value in fields.items()})


class VersionReply:
    """A RunSink that posts one new version into its thread (or a failure reply), recording where it was posted so
    that reactions and Pick work on it as on the originals."""

    def __init__(self, client: AsyncWebClient, runs: CopyService, channel: str, thread_ts: str) -> None:
        self._thread = ThreadPoster(client, None, channel=channel, parent_ts=thread_ts)
        self._runs = runs

    async def handle(self, run_id: int, event: Event) -> None:
        if isinstance(event, VariationDone):
            ts = await self._thread.post_variation(Shown.of(event.variation))
            if ts:
                await self._runs.attach_message(run_id, event.variation.subtask.position, ts)
        elif isinstance(event, VariationFailed):
            await self._thread.post(failure_message(event.subtask, event.error), thread=True)


async def _react(client: AsyncWebClient, add: bool, channel: str, ts: str) -> None:
    try:
        if add:
            await client.reactions_add(channel=channel, timestamp=ts, name=EYES)
        else:
            await client.reactions_remove(channel=channel, timestamp=ts, name=EYES)
    except SlackApiError as exc:  # no reactions:write, or the message is gone: the version still comes
        log.info("could not %s :eyes: in %s: %s", "add" if add else "remove", channel, exc.response.get("error", ""))


async def _refine(client: AsyncWebClient, services: Services, run_id: int, reply: ThreadReply) -> None:
    await _react(client, True, reply.channel, reply.ts)
    position, instruction = parse_refinement(_MENTION.sub(" ", reply.text))
    sink = VersionReply(client, services.runs, reply.channel, reply.thread_ts)
    try:
        await services.refinements.refine(run_id, position, instruction, reply.user, [sink])
    except CopybotError as exc:
        await _tell(client, reply, f":warning: {escape(str(exc))}")
    except Exception:
        log.exception("run %d: a refinement crashed", run_id)
        await _tell(client, reply, INTERNAL)
    finally:
        await _react(client, False, reply.channel, reply.ts)


async def _tell(client: AsyncWebClient, reply: ThreadReply, text: str) -> None:
    """An ephemeral answer to the person, in the thread."""
    try:
        await client.chat_postEphemeral(channel=reply.channel, user=reply.user, text=text, thread_ts=reply.thread_ts)
    except SlackApiError as exc:
        log.warning("could not answer %s privately: %s", reply.user, exc.response.get("error", ""))


def register_refinements(app: AsyncApp, *, services: Services, tasks: BackgroundTasks) -> None:
    async def on_message(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        reply = thread_reply(event, body, context.bot_user_id or "")
        if reply is None or tasks.closing:
            return
        run_id = await services.refinements.run_for_thread(reply.team_id, reply.channel, reply.thread_ts)
        if run_id is None or not await services.refinements.claim_message(reply.channel, reply.ts):
            return  # not a copybot thread, or this message was handled already (it may come twice: a mention)
        if refusal := await limited(services, reply.team_id, reply.channel, reply.user, new_run=False):
            await _tell(client, reply, refusal)
            return
        tasks.spawn(_refine(client, services, run_id, reply), name="refine")

    async def on_another(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        container, message = body.get("container") or {}, body.get("message") or {}
        channel, ts = str(container.get("channel_id") or ""), str(container.get("message_ts") or "")
        user, team = (body.get("user") or {}).get("id"), (body.get("team") or {}).get("id")
        team = team or (body.get("user") or {}).get("team_id")  # an org-wide install's payload has no team
        found = await services.votes.variation_at(channel, ts, team_id=str(team)) if team else None
        if found is None or not user:
            await respond(text="That variation is not in copybot's records.", response_type="ephemeral")
            return
        if refusal := await limited(services, str(team), channel, str(user), new_run=False):
            await respond(text=refusal, response_type="ephemeral", replace_original=False)
            return
        thread_ts = str(message.get("thread_ts") or container.get("thread_ts") or ts)
        sink = VersionReply(client, services.runs, channel, thread_ts)
        tasks.spawn(_another(services, found.run_id, found.position, str(user), sink, respond), name="another")

    app.event("message")(on_message)
    app.event("app_mention")(on_message)
    app.action(ANOTHER_ACTION)(on_another)


async def _another(
    services: Services, run_id: int, position: int, user: str, sink: VersionReply, respond: AsyncRespond
) -> None:
    try:
        await services.refinements.another(run_id, position, user, [sink])
    except CopybotError as exc:
        await respond(text=f":warning: {escape(str(exc))}", response_type="ephemeral", replace_original=False)
    except Exception:
        log.exception("run %d: another take crashed", run_id)
        await respond(text=INTERNAL, response_type="ephemeral", replace_original=False)
