"""The Retry button on an interrupted run's thread parent: the same request again, asked by whoever pressed it, in
the channel it was pressed in, as a new thread. A click is acted on once per trigger_id, like a /copy."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import Origin, RunSource, Services
from bot.services.refinements import request_of
from bot.slack.jobs import NO_DATABASE, admit, start_copy
from bot.slack.parent import RETRY_ACTION
from bot.slack.parsing import number
from bot.slack.payloads import click
from bot.slack.poster import tell
from bot.slack.tasks import BackgroundTasks
from bot.slack.text import escape, shorten

log = logging.getLogger(__name__)
GONE = "That run is not in copybot's records any more; start a new one with `/copy <product>`."


def register_retry(app: AsyncApp, *, services: Services, tasks: BackgroundTasks, max_variations: int) -> None:
    async def on_retry(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        answer = await _retry(services, client, tasks, body, respond, max_variations, context.enterprise_id or "")
        tasks.spawn(tell(respond, answer), name="retry")

    app.action(RETRY_ACTION)(on_retry)


async def _retry(
    services: Services,
    client: AsyncWebClient,
    tasks: BackgroundTasks,
    body: dict[str, Any],
    respond: AsyncRespond,
    max_variations: int,
    enterprise_id: str,
) -> str:
    """Start the run again (with the clicking workspace's `client`); return what to tell the clicker."""
    found = click(body)
    run_id = number(found.value) if found is not None else None
    if found is None or run_id is None:
        log.debug("ignored a Retry missing a field it needs")
        return GONE
    origin = Origin(RunSource.SLACK, found.team, found.channel, found.user, found.user_name, enterprise_id)
    if refusal := await admit(services, tasks, origin, found.trigger_id):
        return refusal
    try:
        run = await services.history.run(run_id)
    except CopybotError:
        return NO_DATABASE
    if run is None or run.team_id != found.team:  # another workspace's run is not there for this one
        return GONE
    try:
        request = replace(request_of(run), max_variations=min(run.max_variations, max_variations))
    except CopybotError as exc:
        return f":warning: {escape(str(exc))}"
    start_copy(services.runs, client, tasks, request, origin, respond)
    product = escape(shorten(request.product, 200))
    return f":hourglass_flowing_sand: Writing copy for *{product}* again… a new thread follows here."
