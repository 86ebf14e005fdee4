"""Slack threads owed posts: a Slack run owes its thread until it is delivered; the finished runs a gone process
still owed are claimed by exactly one process, never those of a live one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services import Origin, RunSource
from bot.workflow import CopyRequest, RunFinished, RunStatus
from storage import Repository
from storage.runner import current
from tests.storage.test_recovery import HOST, _dead_pid, _set_run
from tests.storage.test_repository import SLACK, detail

HOUR = timedelta(hours=1)


async def _finished_slack_run(repository: Repository) -> int:
    run_id = await repository.start_run(CopyRequest("bottle"), SLACK)
    await repository.finish_run(run_id, RunFinished(RunStatus.DONE))
    return run_id


async def test_a_slack_run_owes_its_thread_until_delivered_and_a_terminal_run_never_does(
    repository: Repository,
) -> None:
    slack = await repository.start_run(CopyRequest("bottle"), SLACK)
    terminal = await repository.start_run(CopyRequest("lamp"), Origin(RunSource.CLI, user_name="ann"))
    assert ((await detail(repository, slack)).slack_owed, (await detail(repository, terminal)).slack_owed) == (
        True,
        False,
    )
    await repository.thread_delivered(slack)
    assert not (await detail(repository, slack)).slack_owed


async def test_only_the_threads_of_gone_processes_are_claimed_and_only_once(
    repository: Repository, database_url: str
) -> None:
    dead = await _finished_slack_run(repository)
    await _set_run(database_url, dead, runner=f"{HOST}:{await _dead_pid()}:old-boot")
    mine = await _finished_slack_run(repository)  # this live process may still be posting it
    elsewhere_fresh = await _finished_slack_run(repository)
    await _set_run(database_url, elsewhere_fresh, runner="other-host:42:f00")
    elsewhere_stale = await _finished_slack_run(repository)
    long_ago = datetime.now(UTC) - 2 * HOUR
    await _set_run(database_url, elsewhere_stale, runner="other-host:43:f00", heartbeat_at=long_ago)
    unfinished = await repository.start_run(CopyRequest("shoe"), SLACK)  # recovery marks it interrupted first
    await _set_run(database_url, unfinished, runner=f"{HOST}:{await _dead_pid()}:old-boot")

    assert sorted(await repository.claim_owed_threads(stale_after=HOUR)) == [dead, elsewhere_stale]
    assert (await detail(repository, dead)).runner == str(current())  # claimed: this process's now
    assert await repository.claim_owed_threads(stale_after=HOUR) == []  # and nobody else's
    for run_id in (mine, elsewhere_fresh, unfinished):
        assert (await detail(repository, run_id)).slack_owed
