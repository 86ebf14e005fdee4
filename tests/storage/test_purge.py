"""Purging a workspace (COPYBOT_PURGE_ON_UNINSTALL), on SQLite and PostgreSQL: its runs go with everything they
hold (variations, model calls, votes, taste), and its voices; another workspace's and the CLI's stay."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.engine import Connection

from bot.services import Origin, RunSource
from bot.workflow import CopyRequest, Plan, RunFinished, Variation
from bot.workflow.types import RunStatus
from bot.workflow.voice import Taste, Voice
from storage import Repository
from tests.storage.test_migrations import _sync
from tests.storage.test_repository import SLACK, SUBTASKS, call

CHILD_TABLES = ("variations", "llm_calls", "favourites", "taste_snapshots")


async def full_run(repository: Repository, origin: Origin) -> int:
    run_id = await repository.start_run(CopyRequest("bottle"), origin)
    await repository.record_plan(run_id, Plan("analysis", SUBTASKS[:1]))
    await repository.record_variation_done(run_id, Variation(SUBTASKS[0], "copy", False, call(1)))
    await repository.record_llm_call(run_id, call(1))
    await repository.team.record_taste(run_id, Taste())
    await repository.finish_run(run_id, RunFinished(RunStatus.DONE))
    await repository.set_favourite(run_id, 1, "U2", "star")
    await repository.team.save_voice(origin.team_id, "", Voice("Warm."), "U1")
    return run_id


def rows_of(run_ids: list[int]) -> object:
    def count(connection: Connection) -> dict[str, int]:
        found = {}
        for name in CHILD_TABLES:
            table = Table(name, MetaData(), autoload_with=connection)
            statement = select(func.count()).select_from(table).where(table.c.run_id.in_(run_ids))
            found[name] = int(connection.scalar(statement) or 0)
        return found

    return count


async def test_a_workspace_is_purged_with_everything_its_runs_hold(repository: Repository, database_url: str) -> None:
    gone = await full_run(repository, SLACK)
    other = await full_run(repository, dataclasses.replace(SLACK, team_id="T2"))
    cli = await full_run(repository, Origin(RunSource.CLI))
    assert await repository.team.purge("T1") == 1
    assert await repository.run_detail(gone) is None
    assert await _sync(database_url, rows_of([gone])) == dict.fromkeys(CHILD_TABLES, 0)
    assert await _sync(database_url, rows_of([other, cli])) == dict.fromkeys(CHILD_TABLES, 2)
    assert (await repository.team.voice("T1", "")).empty
    assert (await repository.team.voice("T2", "")).text == (await repository.team.voice("", "")).text == "Warm."


async def test_an_organisation_is_purged_across_its_workspaces_and_the_cli_never(repository: Repository) -> None:
    grid = [await full_run(repository, dataclasses.replace(SLACK, team_id=t, enterprise_id="E1")) for t in "AB"]
    other = await full_run(repository, dataclasses.replace(SLACK, team_id="T2", enterprise_id="E2"))
    assert await repository.team.purge("", "E1") == 2
    assert [await repository.run_detail(run_id) for run_id in grid] == [None, None]
    assert (await repository.team.voice("A", "")).empty and (await repository.team.voice("B", "")).empty
    assert await repository.run_detail(other) is not None
    with pytest.raises(ValueError, match="workspace or an organisation"):
        await repository.team.purge("", "")
