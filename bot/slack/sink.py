"""SlackThread: a RunSink that posts one run into a Slack thread without ever stalling it.

`handle` only enqueues; the poster task (`run`) posts in event order: the
thread parent on AnalysisReady, each variation as a threaded reply the moment
it is done or failed, and chat.update of the parent with the progress, throttled
to one update a second (chat.update is rate limited) and always once with the final status.

Live text (VariationText events, COPYBOT_LIVE_TEXT): a variation's first text posts
its reply at once, marked as still being written and without the Pick button; the
growing text then updates that message at most once a second, the latest text
winning (texts that arrive in between are dropped, never queued); VariationDone or
VariationFailed turns the same message into the final form.
Slack failures are logged and never reach the workflow or storage; a channel
the bot is not in is explained to the requester through response_url.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import CopyService
from bot.slack.blocks import (
    ParentState,
    SlackMessage,
    error_text,
    failure_message,
    live_message,
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
    RunStatus,
    Subtask,
    Variation,
    VariationDone,
    VariationFailed,
    VariationStarted,
    VariationText,
)

log = logging.getLogger(__name__)
PARENT_UPDATE_INTERVAL_S = 1.0
LIVE_UPDATE_INTERVAL_S = 1.0  # per live reply
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


async def tell(respond: Respond, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> None:
    """A private message to the requester through the command's response_url (logged, never raised, on failure)."""
    try:
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
    except Exception:
        log.exception("could not reach the requester through response_url")


@dataclass
class _LiveReply:
    """A variation's reply while it is written: its message ("" if Slack refused it) and the text not yet shown."""

    subtask: Subtask
    ts: str
    shown_at: float  # monotonic
    pending: str = ""

    @property
    def due(self) -> float | None:
        return self.shown_at + LIVE_UPDATE_INTERVAL_S if self.ts and self.pending else None


class SlackThread:
    """One run's thread: a RunSink (`handle`) plus its poster (`run`, ended by `close`)."""

    def __init__(
        self, client: AsyncWebClient, runs: CopyService, respond: Respond, *, channel: str, state: ParentState
    ) -> None:
        self._client = client
        self._runs = runs
        self._respond = respond
        self.channel = channel
        self.state = state
        self.parent_ts = ""
        self.blocked = False
        self._dirty = False
        self._updated_at = 0.0  # when the parent last showed the state (monotonic)
        self.run_id: int | None = None
        self._private: list[Variation] = []  # kept for the requester when the channel refuses the bot
        self._live: dict[int, _LiveReply] = {}  # position -> its reply while live text streams into it
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
                async with asyncio.timeout(self._next_due()):
                    item = await self._queue.get()
            except TimeoutError:  # a throttled update is due and no event came
                try:
                    await self._flush()
                except Exception:
                    log.exception("a throttled Slack update of run %s failed", self.run_id)
                continue
            if item is None:
                break
            run_id, event = item
            try:
                await self._apply(run_id, event)
                if self._queue.empty():
                    await self._flush()
            except Exception:
                log.exception("posting %s of run %d to Slack failed", type(event).__name__, run_id)
        await self._update_parent()

    def _next_due(self) -> float | None:
        """Seconds until a throttled update (progress, live text) is due (chat.update is rate limited); None: none."""
        dues = [due for live in self._live.values() if (due := live.due) is not None]
        if self._dirty and self.parent_ts:
            dues.append(self._updated_at + PARENT_UPDATE_INTERVAL_S)
        return max(0.0, min(dues) - time.monotonic()) if dues else None

    async def _flush(self) -> None:
        """Send the throttled updates that are due: the parent's progress and the latest live text of each reply."""
        now = time.monotonic()
        if self._dirty and self.parent_ts and now >= self._updated_at + PARENT_UPDATE_INTERVAL_S:
            await self._update_parent()
        for live in list(self._live.values()):
            if (due := live.due) is not None and now >= due:
                text, live.pending, live.shown_at = live.pending, "", time.monotonic()
                await self._post(live_message(live.subtask, text), ts=live.ts)

    async def _show_live(self, event: VariationText) -> None:
        """The first text posts the reply at once (in order); later texts wait for the throttle, the latest winning."""
        position = event.subtask.position
        if (live := self._live.get(position)) is not None:
            live.pending = event.text
            return
        ts = await self._post(live_message(event.subtask, event.text), thread=True)
        self._live[position] = _LiveReply(event.subtask, ts, time.monotonic())

    async def _finish_live(self, position: int, message: SlackMessage) -> str:
        """Turn the variation's live reply into `message` (or post `message` if it has none); return its ts."""
        live = self._live.pop(position, None)
        if live is not None and live.ts and await self._post(message, ts=live.ts):
            return live.ts
        return await self._post(message, thread=True)

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
            if event.variation.over_limit:
                self.state = replace(state, over_limit=state.over_limit + 1)
            else:
                self.state = replace(state, ready=state.ready + 1)
            self._dirty = True
            if self.blocked:
                self._private.append(event.variation)
            first, *rest = variation_messages(event.variation)
            first_ts = await self._finish_live(event.variation.subtask.position, first)
            for message in rest:
                await self._post(message, thread=True)
            if first_ts:
                await self._runs.attach_message(run_id, event.variation.subtask.position, first_ts)
        elif isinstance(event, VariationFailed):
            self.state = replace(state, failed=state.failed + 1)
            self._dirty = True
            await self._finish_live(event.subtask.position, failure_message(event.subtask, event.error))
        elif isinstance(event, VariationText):
            await self._show_live(event)
        elif isinstance(event, RunFinished):
            self.state = replace(state, status=event.status, error=event.error)
            self._dirty = True
            for position, live in list(self._live.items()):  # the run broke off while these were written
                await self._finish_live(position, failure_message(live.subtask, event.error or "The run stopped."))
            if self.blocked and self._private:
                message = private_copy(self._private)
                await tell(self._respond, message.text, list(message.blocks))
            elif not self.parent_ts:
                failed = event.status in (RunStatus.FAILED, RunStatus.INTERRUPTED)
                text = error_text(event.error) if failed else unposted_text(event.succeeded)
                await tell(self._respond, text)

    async def _post_parent(self, run_id: int) -> None:
        if self.parent_ts or self.blocked:
            return
        self.parent_ts = await self._post(parent_message(self.state))
        self._updated_at = time.monotonic()
        if self.parent_ts:
            await self._runs.attach_thread(run_id, self.channel, self.parent_ts)

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
                await tell(self._respond, not_in_channel_text(self.channel, error))
                return ""
            log.warning("Slack refused a message in %s: %s", self.channel, error)
            return ""
        return str(response["ts"])
