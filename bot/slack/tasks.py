"""Background tasks the handlers start after acking: referenced until done, drained on shutdown.

A task is either a run (model work: `Phase.RUN`) or Slack posting (`Phase.POST`: a thread's poster, a private
reply). Shutdown drains in two steps within the grace period: everything may finish during the first
RUN_SHARE of it; then runs still going are cancelled (each is stored as interrupted and its thread told so),
and posting gets the rest of the grace period to send what it owes; posting still going then is cancelled and
left to the next start, which finishes the threads (bot/slack/healing.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)
RUN_SHARE = 0.8  # of the grace period, for runs to finish; posting gets the rest


class Phase(StrEnum):
    RUN = "run"
    POST = "post"


@dataclass(frozen=True)
class Drained:
    """What shutdown had to cut short: runs (stored as interrupted) and posting (left to the next start)."""

    runs: int = 0
    posts: int = 0


class BackgroundTasks:
    """Keeps a reference to every running task (asyncio only keeps weak ones)."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[object], Phase] = {}
        self.closing = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, object], *, name: str, phase: Phase = Phase.POST) -> asyncio.Task[object]:
        task = asyncio.create_task(coro, name=name)
        self._tasks[task] = phase
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[object]) -> None:
        self._tasks.pop(task, None)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=error)

    async def join(self) -> None:
        """Wait for every task running now (tests and the benchmark use it)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self, grace_s: float) -> Drained:
        """Stop taking work, let tasks finish within `grace_s` (runs within its first RUN_SHARE), cancel the rest."""
        self.closing = True
        await self._wait(grace_s * RUN_SHARE)
        runs = self._cancel(Phase.RUN)  # each stores itself as interrupted and tells its thread
        await self._wait(grace_s * (1 - RUN_SHARE))
        posts = self._cancel(Phase.POST)
        self._cancel(Phase.RUN)  # a run still storing its interruption
        await asyncio.gather(*self._tasks, return_exceptions=True)
        return Drained(runs=runs, posts=posts)

    async def _wait(self, seconds: float) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)

    def _cancel(self, phase: Phase) -> int:
        late = [task for task, of in self._tasks.items() if of is phase]
        for task in late:
            task.cancel()
        return len(late)
