"""The `/copy` handler: ack at once, then run the workflow in background tasks (bot/slack/jobs.py).

`/copy help` and malformed options are answered in the ack itself, without
any model call; `/copy` alone opens the brief form (bot/slack/brief.py) and
`/copy voice …` shows or changes the brand voice (bot/slack/voice.py). `/copy history` reads the database and
answers in the ack (bounded by a timeout well inside Slack's 3 s). A `/copy`
runs once per trigger_id: a signed command replayed (Slack's signature stays
valid for 5 minutes) is answered but never runs again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import HistoryService, Origin, RunSource, Services
from bot.slack.blocks import help_message
from bot.slack.brief import brief_context, open_brief
from bot.slack.history import history_blocks
from bot.slack.jobs import MALFORMED, admit, limited, start_copy
from bot.slack.parsing import Copy, Help, History, VoiceCommand, parse_command, usage
from bot.slack.payloads import text
from bot.slack.tasks import BackgroundTasks
from bot.slack.text import escape, shorten
from bot.slack.voice import command_scope, open_voice_form, voice_command

log = logging.getLogger(__name__)
HISTORY_TIMEOUT_S = 2.0


def register_commands(
    app: AsyncApp,
    *,
    services: Services,
    tasks: BackgroundTasks,
    max_variations: int,
    emoji: tuple[str, ...],
    slack_host: str,
) -> None:
    async def copy_command(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """`client` is the calling workspace's (Bolt authorizes each request): every post of the run goes there."""
        try:
            asked = str(command.get("text", ""))
            parsed = parse_command(asked, max_variations=max_variations, formats=services.formats)
        except CopybotError as exc:
            await ack(text=f":warning: {escape(str(exc))}")
            return
        if isinstance(parsed, Help):
            message = help_message(usage(emoji, max_variations, services.formats))
            await ack(text=message.text, blocks=list(message.blocks))
        elif isinstance(parsed, History):
            await _history(ack, command, parsed, services.history, slack_host)
        elif isinstance(parsed, Copy):
            origin = origin_of(command, context.enterprise_id or "")
            refusal = await admit(services, tasks, origin, text(command.get("trigger_id")))
            if refusal or origin is None:
                await ack(text=refusal or MALFORMED)
                return
            product = escape(shorten(parsed.request.product, 200))
            await ack(
                text=f":hourglass_flowing_sand: Writing copy for *{product}*… the plan and each variation "
                "will appear in a thread here."
            )
            start_copy(services.runs, client, tasks, parsed.request, origin, respond)
        elif isinstance(parsed, VoiceCommand) and parsed.action:
            await ack(text=await voice_command(parsed, command, services.voices))
        elif isinstance(parsed, VoiceCommand):
            await ack()
            scope = command_scope(parsed, command)
            await open_voice_form(client, str(command.get("trigger_id", "")), services.voices, scope)
        else:
            origin = origin_of(command)
            if origin is not None and (
                refusal := await limited(services, origin.team_id, origin.channel_id, origin.user_id, new_run=True)
            ):
                await ack(text=refusal)  # no form to fill in for nothing
                return
            await ack()
            trigger = str(command.get("trigger_id", ""))
            await open_brief(client, trigger, services.formats, max_variations, brief_context(command))

    app.command("/copy")(copy_command)


async def _history(
    ack: AsyncAck, command: dict[str, Any], query: History, history: HistoryService, slack_host: str
) -> None:
    try:
        async with asyncio.timeout(HISTORY_TIMEOUT_S):
            message = await history_blocks(history, command, query, slack_host)
    except (TimeoutError, CopybotError) as exc:
        log.warning("/copy history failed: %s", exc)
        await ack(text=":warning: History is not available right now; try again in a minute.")
        return
    await ack(text=message.text, blocks=list(message.blocks))


def origin_of(command: dict[str, Any], enterprise_id: str = "") -> Origin | None:
    """Who asked and where, from a slash command; None when Slack did not say."""
    team, channel, user = (text(command.get(key)) for key in ("team_id", "channel_id", "user_id"))
    if not (team and channel and user):
        return None
    return Origin(RunSource.SLACK, team, channel, user, text(command.get("user_name")), enterprise_id)
