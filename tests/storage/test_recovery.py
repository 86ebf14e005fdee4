"""Recovery with several processes on one database: only runs no live process will finish are failed.

A run is interrupted when its runner is on this host and gone (or is this pid with another boot token:
pid reuse), or when its heartbeat is older than `stale_after`, whatever the host. Real processes stand
in for other copybots: a hung run in a child process (tests/storage/hung_run.py) and the `copybot run` CLI.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Executable, update

from bot.workflow import CopyRequest, Plan
from bot.workflow.types import INTERRUPTED_REASON
from storage import DatabaseConfig, Repository, open_repository
from storage.db import create_engine
from storage.runner import Runner, current
from storage.tables import ProcessedEvent, Run
from tests.storage.hung_run import hung_run
from tests.storage.test_repository import SLACK, SUBTASKS, detail
from tests.support.anthropic_api import FakeAnthropic
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply, script_workers

HOUR = timedelta(hours=1)
HOST = socket.gethostname()


async def behind_the_back(database_url: str, statement: Executable) -> None:
    """Execute `statement` on its own connection, as another process's writes would."""
    engine = create_engine(DatabaseConfig.parse(database_url).url, pooled=False)
    try:
        async with engine.begin() as connection:
            await connection.execute(statement)
    finally:
        await engine.dispose()


async def read_behind_the_back(database_url: str, statement: Executable) -> list[object]:
    """The rows `statement` selects, read on a connection of its own (the first column of each)."""
    engine = create_engine(DatabaseConfig.parse(database_url).url, pooled=False)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(statement)).scalars())
    finally:
        await engine.dispose()


async def _set_run(database_url: str, run_id: int, **values: object) -> None:
    await behind_the_back(database_url, update(Run).where(Run.id == run_id).values(**values))


async def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await process.wait()
    return process.pid


async def _status(repository: Repository, run_id: int) -> tuple[str, str]:
    run = await detail(repository, run_id)
    return run.status, run.error


def test_runner_names_round_trip_and_malformed_ones_are_ignored() -> None:
    me = current()
    assert (me.host, me.pid) == (HOST, os.getpid())
    assert Runner.parse(str(me)) == me
    assert Runner.parse("a:b:c:42:f00") == Runner("a:b:c", 42, "f00")  # the host may hold colons
    for malformed in ("", "host", "host:12", "host:x:boot", "host:0:boot", ":12:boot", "host:12:"):
        assert Runner.parse(malformed) is None, malformed


async def test_a_run_is_stamped_with_its_runner_and_every_write_moves_its_heartbeat(
    repository: Repository, database_url: str
) -> None:
    run_id = await repository.start_run(CopyRequest("bottle"), SLACK)
    assert Runner.parse((await detail(repository, run_id)).runner) == current()
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    writes: tuple[Callable[[], Awaitable[None]], ...] = (
        lambda: repository.record_analysis(run_id, ""),
        lambda: repository.record_subtask(run_id, SUBTASKS[0]),
        lambda: repository.record_plan(run_id, Plan("analysis", SUBTASKS)),
        lambda: repository.record_variation_failed(run_id, SUBTASKS[1], "timed out", None),
        lambda: repository.set_slack_thread(run_id, "C1", "1.1"),
    )
    for write in writes:
        await _set_run(database_url, run_id, heartbeat_at=long_ago)
        await write()
        assert (await detail(repository, run_id)).heartbeat_at > long_ago + HOUR


async def test_runs_of_live_processes_are_left_alone(repository: Repository, database_url: str) -> None:
    mine = await repository.start_run(CopyRequest("bottle"), SLACK)  # this (live) test process runs it
    sleeper = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(60)")
    try:
        theirs = await repository.start_run(CopyRequest("lamp"), SLACK)
        await _set_run(database_url, theirs, runner=f"{HOST}:{sleeper.pid}:their-boot")
        elsewhere = await repository.start_run(CopyRequest("shoe"), SLACK)
        await _set_run(database_url, elsewhere, runner="other-host.example:4242:f00")
        assert await repository.mark_interrupted(stale_after=HOUR) == 0
        for run_id in (mine, theirs, elsewhere):
            assert await _status(repository, run_id) == ("planning", "")
    finally:
        sleeper.kill()
        await sleeper.wait()
    assert await repository.mark_interrupted(stale_after=HOUR) == 1  # the sleeper is gone now
    assert await _status(repository, theirs) == ("interrupted", INTERRUPTED_REASON)


async def test_a_run_of_a_dead_process_on_this_host_is_failed_at_once(
    repository: Repository, database_url: str
) -> None:
    dead = await repository.start_run(CopyRequest("bottle"), SLACK)
    await _set_run(database_url, dead, runner=f"{HOST}:{await _dead_pid()}:old-boot")
    reused = await repository.start_run(CopyRequest("lamp"), SLACK)  # a former process with this very pid
    await _set_run(database_url, reused, runner=f"{HOST}:{os.getpid()}:another-boot")
    live = await repository.start_run(CopyRequest("shoe"), SLACK)
    await repository.record_plan(dead, Plan("analysis", SUBTASKS))

    assert await repository.mark_interrupted(stale_after=HOUR) == 2  # the heartbeats are seconds old
    for run_id in (dead, reused):
        run = await detail(repository, run_id)
        assert (run.status, run.error) == ("interrupted", INTERRUPTED_REASON) and run.finished_at is not None
    assert [(v.status, v.error) for v in (await detail(repository, dead)).variations] == [
        ("interrupted", INTERRUPTED_REASON)
    ] * 2
    assert await _status(repository, live) == ("planning", "")
    assert await repository.mark_interrupted(stale_after=HOUR) == 0


async def test_a_run_from_another_host_is_failed_only_once_its_heartbeat_is_stale(
    repository: Repository, database_url: str
) -> None:
    fresh = await repository.start_run(CopyRequest("bottle"), SLACK)
    stale = await repository.start_run(CopyRequest("lamp"), SLACK)
    legacy = await repository.start_run(CopyRequest("shoe"), SLACK)  # from before runners were recorded
    now = datetime.now(UTC)
    await _set_run(database_url, fresh, runner="other-host:4242:f00", heartbeat_at=now - HOUR + timedelta(minutes=1))
    await _set_run(database_url, stale, runner="other-host:4243:f00", heartbeat_at=now - HOUR - timedelta(minutes=1))
    await _set_run(database_url, legacy, runner="", heartbeat_at=now - 2 * HOUR)

    assert await repository.mark_interrupted(stale_after=HOUR) == 2
    assert await _status(repository, fresh) == ("planning", "")
    assert await _status(repository, stale) == ("interrupted", INTERRUPTED_REASON)
    assert await _status(repository, legacy) == ("interrupted", INTERRUPTED_REASON)
    assert await repository.mark_interrupted(stale_after=timedelta(seconds=30)) == 1  # a shorter threshold


async def test_a_live_run_in_another_process_survives_recovery_and_is_failed_once_killed(database_url: str) -> None:
    repository = await open_repository(DatabaseConfig.parse(database_url))
    try:
        async with hung_run(database_url) as (process, run_id):
            assert await repository.mark_interrupted(stale_after=HOUR) == 0
            assert await _status(repository, run_id) == ("writing", "")
            owner = Runner.parse((await detail(repository, run_id)).runner)
            assert owner is not None and (owner.host, owner.pid) == (HOST, process.pid)
            process.kill()
            await process.wait()
            assert await repository.mark_interrupted(stale_after=HOUR) == 1
        assert await _status(repository, run_id) == ("interrupted", INTERRUPTED_REASON)
    finally:
        await repository.aclose()


async def test_old_processed_events_are_pruned(repository: Repository, database_url: str) -> None:
    assert await repository.mark_event_processed("Ev-old")
    assert await repository.mark_event_processed("Ev-new")
    eight_days_ago = datetime.now(UTC) - timedelta(days=8)
    old = update(ProcessedEvent).where(ProcessedEvent.event_id == "Ev-old").values(created_at=eight_days_ago)
    await behind_the_back(database_url, old)
    assert await repository.prune_processed_events(timedelta(days=7)) == 1
    assert await repository.prune_processed_events(timedelta(days=7)) == 0
    assert not await repository.mark_event_processed("Ev-new")  # still remembered
    assert await repository.mark_event_processed("Ev-old")  # forgotten: a new event to us


async def test_copybot_run_recovers_a_dead_processs_run_but_not_a_live_ones(database_url: str, tmp_path: Path) -> None:
    repository = await open_repository(DatabaseConfig.parse(database_url))
    try:
        live = await repository.start_run(CopyRequest("bottle"), SLACK)  # run by this test process, alive
        dead = await repository.start_run(CopyRequest("lamp"), SLACK)
        await _set_run(database_url, dead, runner=f"{HOST}:{await _dead_pid()}:old-boot")
        async with FakeAnthropic() as fake:
            fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
            script_workers(fake)
            env = {
                **os.environ,
                "ANTHROPIC_API_KEY": "test-key",
                "ANTHROPIC_BASE_URL": fake.url,
                "COPYBOT_ORCHESTRATOR_MODEL": ORCHESTRATOR,
                "COPYBOT_WORKER_MODEL": WORKER,
                "DATABASE_URL": database_url,
            }
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "solar lantern", env=env, cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        assert "marked 1 interrupted run(s) as failed" in err.decode()
        assert await _status(repository, dead) == ("interrupted", INTERRUPTED_REASON)
        assert await _status(repository, live) == ("planning", "")
        newest = (await repository.recent_runs(None, limit=1)).runs[0]
        assert (newest.product, newest.status) == ("solar lantern", "done")
    finally:
        await repository.aclose()
