"""Starting a copy run from Slack (/copy and the Retry button): the run and its thread's poster, as two tasks.

The run task stores and streams the run (CopyService); the poster task posts it into the thread as events arrive
(SlackThread). At shutdown the run may be cut short first (stored as interrupted, its thread told so) while the
poster gets the rest of the grace period to post what it owes (bot/slack/tasks.py).
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import CopyService, Origin, Services
from bot.slack.blocks import error_text
from bot.slack.parent import ParentState
from bot.slack.poster import Respond, tell
from bot.slack.sink import SlackThread
from bot.slack.tasks import BackgroundTasks, Phase
from bot.workflow.types import CopyRequest

log = logging.getLogger(__name__)
CLAIM_TIMEOUT_S = 2.0
RESTARTING = ":construction: copybot is restarting; try again in a minute."
NO_DATABASE = ":warning: copybot cannot reach its database right now, so it cannot start. Try again in a minute."
REPLAYED = ":information_source: This request was already received; its copy is on its way (or already here)."
REFUSED = ":no_entry:"
MALFORMED = ":warning: Slack sent this request without the details copybot needs. Try again."


def start_copy(
    runs: CopyService,
    client: AsyncWebClient,
    tasks: BackgroundTasks,
    request: CopyRequest,
    origin: Origin,
    respond: Respond,
) -> None:
    """Run `request` for `origin` (its channel and requester) in the background, posting it as a thread."""
    state = ParentState.of(request, origin.user_id)
    thread = SlackThread(client, runs, respond, channel=origin.channel_id, state=state)
    tasks.spawn(thread.run(), name="thread", phase=Phase.POST)
    tasks.spawn(_run(runs, thread, request, origin, respond), name="copy", phase=Phase.RUN)


async def _run(runs: CopyService, thread: SlackThread, request: CopyRequest, origin: Origin, respond: Respond) -> None:
    """One run: the service stores and streams events to the thread; a failure before any is told privately."""
    try:
        await runs.run(request, origin, sinks=[thread])  # cancelled at shutdown: stored and shown as interrupted
    except CopybotError as exc:
        await tell(respond, error_text(str(exc)))
    except Exception:
        log.exception("a /copy run crashed")
        await tell(respond, error_text("an internal error occurred (the team's admin can see why in the logs)."))
    finally:
        thread.close()


async def admit(services: Services, tasks: BackgroundTasks, origin: Origin | None, trigger_id: str) -> str:
    """Why a run cannot start now ("" when it can): restarting, a malformed request, the allow-lists or budgets
    (before anything is stored), a replay, no database."""
    if tasks.closing:
        return RESTARTING
    if origin is None or not trigger_id:
        log.debug("a request without its team, channel, user or trigger_id was not run")
        return MALFORMED
    if refusal := await limited(services, origin.team_id, origin.channel_id, origin.user_id, new_run=True):
        return refusal
    try:
        async with asyncio.timeout(CLAIM_TIMEOUT_S):
            first = await services.runs.claim_request(trigger_id)
    except (TimeoutError, CopybotError):
        log.warning("a run was not started: the database did not answer")
        return NO_DATABASE
    if not first:
        log.info("a replayed request (trigger %s) was not run again", trigger_id)
        return REPLAYED
    return ""


async def limited(services: Services, team: str, channel: str, user: str, *, new_run: bool) -> str:
    """Why the allow-lists or budgets refuse this person model work here (bot/services/limits.py), as Slack shows
    it; "" when they may go on."""
    try:
        async with asyncio.timeout(CLAIM_TIMEOUT_S):
            refusal = await services.limits.check(team, channel, user, new_run=new_run)
    except (TimeoutError, CopybotError):
        log.warning("a request was not run: the database did not answer the budget check")
        return NO_DATABASE
    return f"{REFUSED} {refusal.message}" if refusal is not None else ""
