"""SlackThread: a RunSink that posts one run into a Slack thread without ever stalling it.

`handle` only enqueues; the poster task (`run`) posts in event order: the
thread parent on AnalysisReady, each variation as a threaded reply the moment
it is done or failed, and chat.update of the parent with the progress, coalesced
(one update when the queue runs dry) and always once with the final status.
Slack failures are logged and never reach the workflow or storage; a channel
the bot is not in is explained to the requester through response_url.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import (
    ParentState,
    SlackMessage,
    error_text,
    failure_message,
    not_in_channel_text,
    parent_message,
    variation_messages,
)
from bot.workflow.types import (
    AnalysisReady,
    Event,
    PlanReady,
    RunFinished,
    VariationDone,
    VariationFailed,
    VariationStarted,
)

log = logging.getLogger(__name__)
_CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class Respond(Protocol):
    """Bolt's `respond` (the command's response_url)."""

    async def __call__(self, *, text: str, response_type: str = ..., replace_original: bool = ...) -> Any: ...


class ThreadStore(Protocol):
    async def set_slack_thread(self, run_id: int, channel: str, ts: str) -> None: ...

    async def set_variation_message(self, run_id: int, position: int, ts: str) -> None: ...

    async def finish_run(self, run_id: int, finished: RunFinished) -> None: ...


class SlackThread:
    """One run's thread: a RunSink (`handle`) plus its poster (`run`, ended by `close`)."""

    def __init__(
        self, client: AsyncWebClient, store: ThreadStore, respond: Respond, *, channel: str, state: ParentState
    ) -> None:
        self._client = client
        self._store = store
        self._respond = respond
        self.channel = channel
        self.state = state
        self.parent_ts = ""
        self.blocked = False
        self._dirty = False
        self.run_id: int | None = None
        self._queue: asyncio.Queue[tuple[int, Event] | None] = asyncio.Queue()

    async def handle(self, run_id: int, event: Event) -> None:
        self.run_id = run_id
        self._queue.put_nowait((run_id, event))

    def close(self) -> None:
        """No more events: the poster finishes what is queued, then returns."""
        self._queue.put_nowait(None)

    async def run(self) -> None:
        while (item := await self._queue.get()) is not None:
            run_id, event = item
            try:
                await self._apply(run_id, event)
                if self._queue.empty():
                    await self._update_parent()
            except Exception:
                log.exception("posting %s of run %d to Slack failed", type(event).__name__, run_id)
        await self._update_parent()

    async def _update_parent(self) -> None:
        """Show the progress on the parent: once per burst of events, and the final status."""
        if self._dirty and self.parent_ts:
            self._dirty = False
            await self._post(parent_message(self.state), ts=self.parent_ts)

    async def _apply(self, run_id: int, event: Event) -> None:
        state = self.state
        if isinstance(event, AnalysisReady):
            self.state = replace(state, analysis=event.analysis)
            await self._post_parent(run_id)
        elif isinstance(event, VariationStarted):
            self.state = replace(state, planned=(*state.planned, event.subtask))
            self._dirty = True
        elif isinstance(event, PlanReady):
            analysis = state.analysis or event.plan.analysis
            self.state = replace(state, planned=event.plan.subtasks, plan_final=True, analysis=analysis)
            self._dirty = True
        elif isinstance(event, VariationDone):
            self.state = replace(state, ready=state.ready + 1)
            self._dirty = True
            first_ts = ""
            for message in variation_messages(event.variation):
                ts = await self._post(message, thread=True)
                first_ts = first_ts or ts
            if first_ts:
                await self._store.set_variation_message(run_id, event.variation.subtask.position, first_ts)
        elif isinstance(event, VariationFailed):
            self.state = replace(state, failed=state.failed + 1)
            self._dirty = True
            await self._post(failure_message(event.subtask, event.error), thread=True)
        elif isinstance(event, RunFinished):
            self.state = replace(state, status=event.status, error=event.error)
            self._dirty = True
            if not self.parent_ts and not self.blocked:
                await self._respond(text=error_text(event.error), response_type="ephemeral", replace_original=False)

    async def _post_parent(self, run_id: int) -> None:
        if self.parent_ts or self.blocked:
            return
        self.parent_ts = await self._post(parent_message(self.state))
        if self.parent_ts:
            await self._store.set_slack_thread(run_id, self.channel, self.parent_ts)

    async def _post(self, message: SlackMessage, *, thread: bool = False, ts: str = "") -> str:
        """Post (or update, with `ts`) a message; return its ts, or "" when Slack refused it."""
        if self.blocked or (thread and not self.parent_ts):
            return ""
        try:
            if ts:
                await self._client.chat_update(
                    channel=self.channel, ts=ts, text=message.text, blocks=list(message.blocks)
                )
                return ts
            response = await self._client.chat_postMessage(
                channel=self.channel,
                text=message.text,
                blocks=list(message.blocks),
                thread_ts=self.parent_ts if thread else None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error in _CHANNEL_ERRORS and not ts:
                self.blocked = True
                await self._respond(
                    text=not_in_channel_text(self.channel), response_type="ephemeral", replace_original=False
                )
                return ""
            log.warning("Slack refused a message in %s: %s", self.channel, error)
            return ""
        return str(response["ts"])
