"""Migrations: from empty to head, a down/up round trip, the models match the migrations, newer schemas refused."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, text
from sqlalchemy.engine import Connection

from bot.errors import SchemaTooNew, StorageError
from bot.workflow import CopyRequest
from storage import DatabaseConfig, migrate, open_repository, revision
from storage.db import create_engine
from storage.tables import PRODUCT_SEARCH_INDEX, Base, include_object
from tests.storage.test_repository import SLACK

TABLES = {
    "alembic_version",
    "runs",
    "variations",
    "llm_calls",
    "favourites",
    "processed_events",
    "voice_versions",
    "taste_snapshots",
    "slack_installations",
    "slack_bots",
    "slack_oauth_states",
}


async def _sync(database_url: str, work: object) -> object:
    engine = create_engine(DatabaseConfig.parse(database_url).url, pooled=False)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[object]:
    options = {"compare_type": True, "include_object": include_object}
    return list(compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata))


def _trigram_available(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    return bool(connection.scalar(text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")) == 1)


def _indexes(connection: Connection) -> set[str]:
    return {index["name"] for index in inspect(connection).get_indexes("runs") if index["name"]}


async def test_upgrade_from_empty_creates_the_schema_the_models_describe(database_url: str) -> None:
    assert await migrate.current(DatabaseConfig.parse(database_url)) is None
    await migrate.upgrade(DatabaseConfig.parse(database_url))
    assert await migrate.current(DatabaseConfig.parse(database_url)) == migrate.head()
    assert await _sync(database_url, _tables) == TABLES
    assert await _sync(database_url, _differences) == []
    assert (PRODUCT_SEARCH_INDEX in await _sync(database_url, _indexes)) == await _sync(  # type: ignore[operator]
        database_url, _trigram_available
    )
    await migrate.upgrade(DatabaseConfig.parse(database_url))  # a second upgrade is a no-op
    assert await migrate.current(DatabaseConfig.parse(database_url)) == migrate.head()


async def test_downgrade_and_upgrade_round_trip(database_url: str) -> None:
    await migrate.upgrade(DatabaseConfig.parse(database_url))
    await migrate.downgrade(DatabaseConfig.parse(database_url), "base")
    assert await _sync(database_url, _tables) == {"alembic_version"}
    assert await migrate.current(DatabaseConfig.parse(database_url)) is None
    await migrate.upgrade(DatabaseConfig.parse(database_url))
    repository = await open_repository(DatabaseConfig.parse(database_url), upgrade=False)
    try:
        run_id = await repository.start_run(CopyRequest("bottle"), SLACK)
        assert (await repository.recent_runs("T1")).runs[0].id == run_id
    finally:
        await repository.aclose()


def _run_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("runs")}


async def test_0002_downgrades_to_0001_and_back(database_url: str) -> None:
    await migrate.upgrade(DatabaseConfig.parse(database_url))
    await migrate.downgrade(DatabaseConfig.parse(database_url), "0001")
    assert await migrate.current(DatabaseConfig.parse(database_url)) == "0001"
    assert not {"runner", "heartbeat_at"} & await _sync(database_url, _run_columns)  # type: ignore[operator]
    await migrate.upgrade(DatabaseConfig.parse(database_url))
    assert {"runner", "heartbeat_at"} <= await _sync(database_url, _run_columns)  # type: ignore[operator]
    assert await _sync(database_url, _differences) == []


async def test_a_database_at_0001_with_runs_upgrades_to_head_keeping_them(database_url: str) -> None:
    await migrate.upgrade(DatabaseConfig.parse(database_url), "0001")
    created = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    finished = created + timedelta(minutes=1)
    base = {
        "source": "slack", "team_id": "T1", "channel_id": "C1", "user_id": "U1", "user_name": "ana",
        "product": "bottle", "audience": "hikers", "features": ["light"], "tone": "warm", "max_variations": 3,
        "analysis": "", "error": "", "slack_channel": "C1", "slack_thread_ts": "1.1", "created_at": created,
        "input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 0, "cache_write_tokens": 0,
        "estimated_cost_usd": 0.5,
    }  # fmt: skip

    def seed(connection: Connection) -> list[int]:
        runs = Table("runs", MetaData(), autoload_with=connection)
        variations = Table("variations", MetaData(), autoload_with=connection)
        ids = [
            connection.execute(runs.insert().values(**base, **values).returning(runs.c.id)).scalar_one()
            for values in ({"status": "done", "finished_at": finished}, {"status": "writing", "finished_at": None})
        ]
        variation = {
            "run_id": ids[0], "position": 1, "type": "benefit-led", "description": "d", "text": "Drink.",
            "status": "done", "error": "", "truncated": False, "slack_ts": "1.2", "model": "m", "input_tokens": 1,
            "output_tokens": 2, "latency_ms": 3,
        }  # fmt: skip
        connection.execute(variations.insert(), [variation])
        return ids

    done_id, writing_id = cast(list[int], await _sync(database_url, seed))
    repository = await open_repository(DatabaseConfig.parse(database_url))  # upgrades to head
    try:
        assert await migrate.current(DatabaseConfig.parse(database_url)) == migrate.head()
        done = await repository.run_detail(done_id)
        assert done is not None
        assert (done.product, done.features, done.status, done.created_at, done.finished_at) == (
            "bottle",
            ("light",),
            "done",
            created,
            finished,
        )
        assert (done.runner, done.heartbeat_at, done.estimated_cost_usd) == ("", finished, 0.5)
        assert [(v.position, v.text, v.slack_ts) for v in done.variations] == [(1, "Drink.", "1.2")]
        writing = await repository.run_detail(writing_id)
        assert writing is not None and (writing.runner, writing.heartbeat_at) == ("", created)
        assert await repository.mark_interrupted(stale_after=timedelta(hours=1)) == 1  # judged by its age alone
        assert await repository.start_run(CopyRequest("lamp"), SLACK) > writing_id
    finally:
        await repository.aclose()


async def test_a_schema_from_a_newer_copybot_is_refused_untouched(database_url: str) -> None:
    await migrate.upgrade(DatabaseConfig.parse(database_url))

    def stamp_future(connection: Connection) -> None:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    await _sync(database_url, stamp_future)
    with pytest.raises(SchemaTooNew, match="9999_from_the_future") as raised:
        await open_repository(DatabaseConfig.parse(database_url))
    assert "Upgrade copybot" in str(raised.value)
    assert "git pull && pip install -e" in str(raised.value)  # the README installs from a checkout, not PyPI
    with pytest.raises(SchemaTooNew):
        await migrate.downgrade(DatabaseConfig.parse(database_url), "base")
    assert await _sync(database_url, _tables) == TABLES


async def test_without_upgrade_an_old_database_is_refused_with_what_to_do(database_url: str) -> None:
    with pytest.raises(StorageError, match="copybot db upgrade"):
        await open_repository(DatabaseConfig.parse(database_url), upgrade=False)


def test_the_fast_start_up_check_knows_the_newest_migration() -> None:
    assert migrate.head() == revision.HEAD


async def test_opening_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"
    await (await open_repository(DatabaseConfig.parse(url))).aclose()  # creates and migrates
    code = (
        "import asyncio, sys\n"
        "from storage import DatabaseConfig, open_repository\n"
        "async def main():\n"
        f"    await (await open_repository(DatabaseConfig.parse({url!r}))).aclose()\n"
        "asyncio.run(main())\n"
        "print(any(m == 'alembic' or m.startswith('alembic.') for m in sys.modules))\n"
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    assert (process.returncode, out.decode().strip()) == (0, "False")
