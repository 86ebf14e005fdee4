"""A copybot process stuck mid-run: `python -m tests.storage.hung_run DATABASE_URL`.

It runs CopyService with the real repository against DATABASE_URL and a fake LLM whose workers never
answer; once all three variations have started it prints "started <run_id>" and waits forever. Tests kill
it (SIGKILL: a crash) or leave it running (a live process sharing the database).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.services import CopyService, Origin, RunSource
from bot.workflow import Event, VariationStarted
from storage import DatabaseConfig, open_repository
from tests.support.scripted import REQUEST, ScriptedLLM, workflow


class AnnounceStarted:
    async def handle(self, run_id: int, event: Event) -> None:
        if isinstance(event, VariationStarted) and event.subtask.position == 3:
            print(f"started {run_id}", flush=True)


async def main(database_url: str) -> None:
    repository = await open_repository(DatabaseConfig.parse(database_url))
    try:
        service = CopyService(workflow(ScriptedLLM(gate=asyncio.Event())), repository)
        await service.run(REQUEST, Origin(RunSource.CLI, user_name="crasher"), [AnnounceStarted()])
    finally:
        await repository.aclose()


@asynccontextmanager
async def hung_run(database_url: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    """Start this module in a new process; yield it and its run id once the run hangs; kill it on exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__, database_url, cwd=Path(__file__).parents[2],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line.startswith(b"started "):
            process.kill()
            raise AssertionError(f"the hung run did not start: {(await process.communicate())[1].decode()}")
        yield process, int(line.split()[1])
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
