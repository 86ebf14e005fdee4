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

Slack failures are logged and never reach the workflow or storage (bot/slack/poster.py). A variation Slack
would not take is counted on the parent and sent to the requester privately, with the whole copy when the
thread could not be started at all. Once everything is posted the run's thread is marked delivered; a thread
still owed posts (the poster was stopped at shutdown, or the process died) is finished by the next start
(bot/slack/healing.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import StorageError
from bot.services import CopyService
from bot.slack.blocks import (
    NOT_IN_CHANNEL_INTRO,
    Shown,
    error_text,
    failure_message,
    live_message,
    private_copy,
    unposted_intro,
)
from bot.slack.parent import ParentState, parent_message
from bot.slack.poster import Respond, ThreadPoster, tell
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
        self, client: AsyncWebClient, runs: CopyService | None, respond: Respond, *, channel: str, state: ParentState
    ) -> None:
        """`runs` stores where the thread's messages are; None for a preview (bot/slack/preview.py), stored nowhere."""
        self._runs = runs
        self._respond = respond
        self.thread = ThreadPoster(client, respond, channel=channel)
        self.state = state
        self._dirty = False
        self._updated_at = 0.0  # when the parent last showed the state (monotonic)
        self.run_id: int | None = None
        self._finished = False
        self._private: list[Variation] = []  # written, but not shown in the thread: sent to the requester
        self._live: dict[int, _LiveReply] = {}  # position -> its reply while live text streams into it
        self._queue: asyncio.Queue[tuple[int, Event] | None] = asyncio.Queue()

    @property
    def parent_ts(self) -> str:
        return self.thread.parent_ts

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
        await self._delivered()

    async def _delivered(self) -> None:
        """Everything of a finished run went out (or was given up on): the next start owes this thread nothing."""
        if self.run_id is None or not self._finished or self._runs is None:
            return
        try:
            await self._runs.thread_delivered(self.run_id)
        except StorageError:
            log.warning("run %d: its thread could not be marked delivered; the next start will check it", self.run_id)

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
                await self.thread.post(live_message(live.subtask, text), ts=live.ts)

    async def _show_live(self, event: VariationText) -> None:
        """The first text posts the reply at once (in order); later texts wait for the throttle, the latest winning."""
        position = event.subtask.position
        if (live := self._live.get(position)) is not None:
            live.pending = event.text
            return
        ts = await self.thread.post(live_message(event.subtask, event.text), thread=True)
        self._live[position] = _LiveReply(event.subtask, ts, time.monotonic())

    def _live_ts(self, position: int) -> str:
        """The variation's live reply, if it has one (it stops being live)."""
        live = self._live.pop(position, None)
        return live.ts if live is not None else ""

    async def _update_parent(self) -> None:
        """Show the progress on the parent: at most once a second while running, and the final status."""
        if self._dirty and self.parent_ts:
            self._dirty = False
            self._updated_at = time.monotonic()
            await self.thread.post(parent_message(self.state), ts=self.parent_ts)

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
            await self._show_variation(run_id, event.variation)
        elif isinstance(event, VariationFailed):
            self.state = replace(state, failed=state.failed + 1)
            self._dirty = True
            message = failure_message(event.subtask, event.error)
            await self.thread.replace(self._live_ts(event.subtask.position), message)
        elif isinstance(event, VariationText):
            await self._show_live(event)
        elif isinstance(event, RunFinished):
            await self._finish(event)

    async def _show_variation(self, run_id: int, variation: Variation) -> None:
        position = variation.subtask.position
        live_ts = self._live_ts(position)
        first_ts = await self.thread.post_variation(Shown.of(variation), live_ts=live_ts)
        self._dirty = True
        if variation.over_limit:
            self.state = replace(self.state, over_limit=self.state.over_limit + 1)
        if first_ts:
            self.state = replace(self.state, ready=self.state.ready + 1)
            if self._runs is not None:
                await self._runs.attach_message(run_id, position, first_ts)
        else:
            self.state = replace(self.state, ready=self.state.ready + 1, unposted=self.state.unposted + 1)
            self._private.append(variation)

    async def _finish(self, event: RunFinished) -> None:
        self.state = replace(self.state, status=event.status, error=event.error, run_id=self.run_id)
        self._dirty = True
        self._finished = True
        for position, live in list(self._live.items()):  # the run broke off while these were written
            message = failure_message(live.subtask, event.error or "The run stopped.")
            await self.thread.replace(self._live_ts(position), message)
        if self._private:
            intro = NOT_IN_CHANNEL_INTRO
            if not self.thread.blocked:
                intro = unposted_intro(len(self._private), len(self.state.planned), thread=bool(self.parent_ts))
            message = private_copy(self._private, intro)
            await tell(self._respond, message.text, list(message.blocks))
        elif not self.parent_ts and event.status in (RunStatus.FAILED, RunStatus.INTERRUPTED):
            await tell(self._respond, error_text(event.error))

    async def _post_parent(self, run_id: int) -> None:
        if self.parent_ts or self.thread.blocked:
            return
        parent_ts = await self.thread.post_parent(parent_message(self.state))
        self._updated_at = time.monotonic()
        if parent_ts and self._runs is not None:
            await self._runs.attach_thread(run_id, self.thread.channel, parent_ts)
