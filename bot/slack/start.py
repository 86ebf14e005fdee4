"""Starting a run from Slack (`/copy`, the brief form, the message shortcut): its thread, in a background task.

The service stores and streams the run's events; the thread's poster posts them concurrently, so a slow Slack
never stalls the run. Errors reach the requester privately, through the response_url they came with.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import CopyService, Origin, RunSource
from bot.slack.blocks import ParentState, error_text
from bot.slack.sink import Respond, SlackThread, tell
from bot.slack.tasks import BackgroundTasks
from bot.workflow.types import CopyRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Requester:
    """Who asked, and the conversation the thread goes to."""

    team_id: str
    channel_id: str
    user_id: str
    user_name: str = ""

    @property
    def origin(self) -> Origin:
        return Origin(RunSource.SLACK, self.team_id, self.channel_id, self.user_id, self.user_name)


def requester(command: Mapping[str, Any]) -> Requester:
    """The requester of a slash command."""
    return Requester(
        team_id=str(command.get("team_id", "")),
        channel_id=str(command.get("channel_id", "")),
        user_id=str(command.get("user_id", "")),
        user_name=str(command.get("user_name", "")),
    )


def start_copy(
    runs: CopyService,
    client: AsyncWebClient,
    tasks: BackgroundTasks,
    request: CopyRequest,
    who: Requester,
    respond: Respond,
) -> None:
    """Run `request` in the background, posting its thread in the requester's channel."""
    state = ParentState(
        user_id=who.user_id,
        product=request.product,
        audience=request.audience,
        tone=request.tone,
        features=request.features,
        format=request.format.name if request.format else "",
    )
    thread = SlackThread(client, runs, respond, channel=who.channel_id, state=state)
    tasks.spawn(_run(runs, thread, request, who.origin, respond), name="copy")


async def _run(runs: CopyService, thread: SlackThread, request: CopyRequest, origin: Origin, respond: Respond) -> None:
    poster = asyncio.create_task(thread.run())
    try:
        await runs.run(request, origin, sinks=[thread])  # cancelled at shutdown: stored and shown as interrupted
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
