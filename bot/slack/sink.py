"""SlackThread: a RunSink that posts one run into a Slack thread without ever stalling it.

`handle` only enqueues; the poster task (`run`) posts in event order: the
thread parent on AnalysisReady, each variation as a threaded reply the moment
it is done or failed, and chat.update of the parent with the progress, throttled
to one update a second (chat.update is rate limited) and always once with the final status.
Slack failures are logged and never reach the workflow or storage; a channel
the bot is not in is explained to the requester through response_url.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
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
    private_copy,
    unposted_text,
    variation_messages,
)
from bot.workflow.types import (
    AnalysisReady,
    Event,
    PlanReady,
    RunFinished,
    Variation,
    VariationDone,
    VariationFailed,
    VariationStarted,
)

log = logging.getLogger(__name__)
PARENT_UPDATE_INTERVAL_S = 1.0
_CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class Respond(Protocol):
    """Bolt's `respond` (the command's response_url)."""

    async def __call__(
        self,
        *,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = ...,
        response_type: str = ...,
        replace_original: bool = ...,
    ) -> Any: ...


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
        self._updated_at = 0.0  # when the parent last showed the state (monotonic)
        self.run_id: int | None = None
        self._private: list[Variation] = []  # kept for the requester when the channel refuses the bot
        self._queue: asyncio.Queue[tuple[int, Event] | None] = asyncio.Queue()

    async def handle(self, run_id: int, event: Event) -> None:
        self.run_id = run_id
        self._queue.put_nowait((run_id, event))

    def close(self) -> None:
        """No more events: the poster finishes what is queued, then returns."""
        self._queue.put_nowait(None)

    async def run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._update_due()):
                    item = await self._queue.get()
            except TimeoutError:  # the throttled progress update is due and no event came
                await self._update_parent()
                continue
            if item is None:
                break
            run_id, event = item
            try:
                await self._apply(run_id, event)
                if self._queue.empty() and self._update_due() == 0:
                    await self._update_parent()
            except Exception:
                log.exception("posting %s of run %d to Slack failed", type(event).__name__, run_id)
        await self._update_parent()

    def _update_due(self) -> float | None:
        """Seconds until the parent may be updated again (chat.update is rate limited); None: nothing to show."""
        if not (self._dirty and self.parent_ts):
            return None
        return max(0.0, self._updated_at + PARENT_UPDATE_INTERVAL_S - time.monotonic())

    async def _update_parent(self) -> None:
        """Show the progress on the parent: at most once a second while running, and the final status."""
        if self._dirty and self.parent_ts:
            self._dirty = False
            self._updated_at = time.monotonic()
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
            if self.blocked:
                self._private.append(event.variation)
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
            if self.blocked and self._private:
                message = private_copy(self._private)
                await self._respond(
                    text=message.text, blocks=list(message.blocks), response_type="ephemeral", replace_original=False
                )
            elif not self.parent_ts:
                text = error_text(event.error) if event.status == "failed" else unposted_text(event.succeeded)
                await self._respond(text=text, response_type="ephemeral", replace_original=False)

    async def _post_parent(self, run_id: int) -> None:
        if self.parent_ts or self.blocked:
            return
        self.parent_ts = await self._post(parent_message(self.state))
        self._updated_at = time.monotonic()
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
