"""The `/copy` handler: ack at once, then run the workflow in a background task.

`/copy help` (and an empty `/copy`) and malformed options are answered in the
ack itself, without any model call. `/copy history` reads the database and
answers in the ack (bounded by a timeout well inside Slack's 3 s).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import CopyService, HistoryService, Origin, RunSource, Services
from bot.slack.blocks import ParentState, error_text
from bot.slack.history import history_blocks
from bot.slack.parsing import Copy, Help, History, parse_command, usage
from bot.slack.sink import SlackThread, tell
from bot.slack.tasks import BackgroundTasks
from bot.slack.text import escape, shorten
from bot.workflow.types import CopyRequest

log = logging.getLogger(__name__)
HISTORY_TIMEOUT_S = 2.0


def register_commands(
    app: AsyncApp,
    *,
    services: Services,
    client: AsyncWebClient,
    tasks: BackgroundTasks,
    max_variations: int,
    emoji: tuple[str, ...],
    slack_host: str,
) -> None:
    async def copy_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        try:
            parsed = parse_command(str(command.get("text", "")), max_variations=max_variations)
        except CopybotError as exc:
            await ack(text=f":warning: {escape(str(exc))}")
            return
        if isinstance(parsed, Help):
            await ack(text=usage(emoji, max_variations))
        elif isinstance(parsed, History):
            await _history(ack, command, parsed, services.history, slack_host)
        elif isinstance(parsed, Copy):
            if tasks.closing:
                await ack(text=":construction: copybot is restarting; try again in a minute.")
                return
            product = escape(shorten(parsed.request.product, 200))
            await ack(
                text=f":hourglass_flowing_sand: Writing copy for *{product}*… the plan and each variation "
                "will appear in a thread here."
            )
            thread = SlackThread(
                client,
                services.runs,
                respond,
                channel=str(command["channel_id"]),
                state=_state(parsed.request, command),
            )
            job = _run(services.runs, thread, parsed.request, _origin(command), respond)
            tasks.spawn(job, name="copy")

    app.command("/copy")(copy_command)


async def _run(
    service: CopyService,
    thread: SlackThread,
    request: CopyRequest,
    origin: Origin,
    respond: AsyncRespond,
) -> None:
    """One run: the service stores and streams events; the thread's poster posts them concurrently."""
    poster = asyncio.create_task(thread.run())
    try:
        await service.run(request, origin, sinks=[thread])  # cancelled at shutdown: stored and shown as interrupted
    except CopybotError as exc:
        await tell(respond, error_text(str(exc)))
    except Exception:
        log.exception("a /copy run crashed")
        await tell(respond, error_text("an internal error occurred (details are in the bot's log)."))
    finally:
        thread.close()
        try:
            await poster
        finally:
            poster.cancel()


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


def _origin(command: dict[str, Any]) -> Origin:
    return Origin(
        source=RunSource.SLACK,
        team_id=str(command.get("team_id", "")),
        channel_id=str(command.get("channel_id", "")),
        user_id=str(command.get("user_id", "")),
        user_name=str(command.get("user_name", "")),
    )


def _state(request: CopyRequest, command: dict[str, Any]) -> ParentState:
    return ParentState(
        user_id=str(command.get("user_id", "")),
        product=request.product,
        audience=request.audience,
        tone=request.tone,
        features=request.features,
    )
