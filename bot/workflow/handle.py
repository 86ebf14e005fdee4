"""WorkflowRun: the handle on one run in progress (like pydantic-ai's `agent.iter()`).

The run executes in its own task, started at the first event asked for; its events queue up until they are
read, so a slow consumer (storage, a sink) never stalls the workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType

from bot.workflow.types import CallRecorded, Emit, Event, LLMCall


class WorkflowRun:
    """One run in progress. Iterate it for events as they happen (it starts at the first one); `aclose()` (or
    leaving `async with`) before the end cancels the run, and `abandoned_calls` then holds the model calls it
    had in flight, as recorded when they were cut off.
    """

    def __init__(self, execute: Callable[[Emit], Awaitable[None]]) -> None:
        self._execute = execute
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._producer: asyncio.Task[None] | None = None
        self._ended = False
        self._abandoned: list[LLMCall] = []

    @property
    def abandoned_calls(self) -> tuple[LLMCall, ...]:
        return tuple(self._abandoned)

    def __aiter__(self) -> WorkflowRun:
        return self

    async def __anext__(self) -> Event:
        if self._ended:
            raise StopAsyncIteration
        if self._producer is None:
            self._producer = asyncio.create_task(self._produce())
        event = await self._queue.get()
        if event is None:
            self._ended = True
            await self._producer
            raise StopAsyncIteration
        return event

    async def _produce(self) -> None:
        try:
            await self._execute(self._queue.put_nowait)
        finally:
            self._queue.put_nowait(None)

    async def aclose(self) -> None:
        """Cancel the run if it is still going, keeping the calls it had in flight."""
        self._ended = True
        producer = self._producer
        if producer is None or producer.done():
            return
        producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)
        while not self._queue.empty():
            if isinstance(event := self._queue.get_nowait(), CallRecorded):
                self._abandoned.append(event.call)

    async def __aenter__(self) -> WorkflowRun:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()
