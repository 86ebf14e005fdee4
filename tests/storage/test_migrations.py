"""Migrations: from empty to head, a down/up round trip, the models match the migrations, newer schemas refused."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.errors import SchemaTooNew, StorageError
from bot.workflow import CopyRequest
from storage import migrate, open_repository
from storage.db import create_engine, parse_url
from storage.tables import PRODUCT_SEARCH_INDEX, Base, include_object
from tests.storage.test_repository import SLACK

TABLES = {"alembic_version", "runs", "variations", "llm_calls", "favourites", "processed_events"}


async def _sync(database_url: str, work: object) -> object:
    engine = create_engine(parse_url(database_url), pooled=False)
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
    return connection.scalar(text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")) == 1


def _indexes(connection: Connection) -> set[str]:
    return {index["name"] for index in inspect(connection).get_indexes("runs") if index["name"]}


async def test_upgrade_from_empty_creates_the_schema_the_models_describe(database_url: str) -> None:
    assert await migrate.current(database_url) is None
    await migrate.upgrade(database_url)
    assert await migrate.current(database_url) == migrate.head()
    assert await _sync(database_url, _tables) == TABLES
    assert await _sync(database_url, _differences) == []
    assert (PRODUCT_SEARCH_INDEX in await _sync(database_url, _indexes)) == await _sync(  # type: ignore[operator]
        database_url, _trigram_available
    )
    await migrate.upgrade(database_url)  # a second upgrade is a no-op
    assert await migrate.current(database_url) == migrate.head()


async def test_downgrade_and_upgrade_round_trip(database_url: str) -> None:
    await migrate.upgrade(database_url)
    await migrate.downgrade(database_url, "base")
    assert await _sync(database_url, _tables) == {"alembic_version"}
    assert await migrate.current(database_url) is None
    await migrate.upgrade(database_url)
    repository = await open_repository(database_url, upgrade=False)
    try:
        run_id = await repository.start_run(CopyRequest("bottle"), SLACK)
        assert (await repository.recent_runs("T1")).runs[0].id == run_id
    finally:
        await repository.aclose()


async def test_a_schema_from_a_newer_copybot_is_refused_untouched(database_url: str) -> None:
    await migrate.upgrade(database_url)

    def stamp_future(connection: Connection) -> None:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    await _sync(database_url, stamp_future)
    with pytest.raises(SchemaTooNew, match="9999_from_the_future") as raised:
        await open_repository(database_url)
    assert "Upgrade copybot" in str(raised.value)
    with pytest.raises(SchemaTooNew):
        await migrate.downgrade(database_url, "base")
    assert await _sync(database_url, _tables) == TABLES


async def test_without_upgrade_an_old_database_is_refused_with_what_to_do(database_url: str) -> None:
    with pytest.raises(StorageError, match="copybot db upgrade"):
        await open_repository(database_url, upgrade=False)
