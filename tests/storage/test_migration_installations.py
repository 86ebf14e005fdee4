"""Migration 0008, on SQLite and PostgreSQL: slack_sdk's installation and OAuth state tables exactly as its stores
define them (token rotation's columns included), the stores working on copybot's database, every run's Enterprise
Grid organisation; and back down to 0007 without losing a run."""

from __future__ import annotations

import time
from typing import cast

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.engine import Connection

from storage import DatabaseConfig, migrate, open_repository
from storage.tables import SLACK_SDK_TABLES
from tests.storage.test_migrations import _sync, _tables
from tests.storage.test_migrations_with_data import seed


def stores_metadata() -> MetaData:
    """The three tables as slack_sdk's stores define them (what their create_tables would make)."""
    metadata = MetaData()
    AsyncSQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
    AsyncSQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
    AsyncSQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
    return metadata


def differences_from_the_stores(connection: Connection) -> list[object]:
    def only_theirs(item: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
        return kind != "table" or name in SLACK_SDK_TABLES

    options = {"compare_type": True, "include_object": only_theirs}
    return list(compare_metadata(MigrationContext.configure(connection, opts=options), stores_metadata()))


def enterprises(connection: Connection) -> list[tuple[int, str]]:
    runs = Table("runs", MetaData(), autoload_with=connection)
    return [tuple(row) for row in connection.execute(select(runs.c.id, runs.c.enterprise_id).order_by(runs.c.id))]  # type: ignore[misc]


def run_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("runs")}


async def test_0008_makes_the_stores_tables_and_keeps_runs_both_ways(database_url: str) -> None:
    config = DatabaseConfig.parse(database_url)
    await migrate.upgrade(config, "0007")
    ids = cast(list[int], await _sync(database_url, seed))
    await migrate.upgrade(config)
    assert cast(set[str], await _sync(database_url, _tables)) >= SLACK_SDK_TABLES
    assert await _sync(database_url, differences_from_the_stores) == []
    assert await _sync(database_url, enterprises) == [(run_id, "") for run_id in ids]

    await migrate.downgrade(config, "0007")
    assert not SLACK_SDK_TABLES & cast(set[str], await _sync(database_url, _tables))
    assert "enterprise_id" not in cast(set[str], await _sync(database_url, run_columns))
    repository = await open_repository(config)  # upgrades to head again
    try:
        assert [r.id for r in (await repository.recent_runs("T1")).runs] == sorted(ids, reverse=True)
    finally:
        await repository.aclose()


async def test_the_stores_keep_installations_with_rotating_tokens_and_states_in_copybots_database(
    database_url: str,
) -> None:
    repository = await open_repository(DatabaseConfig.parse(database_url))
    try:
        store = AsyncSQLAlchemyInstallationStore(client_id="1111.2222", engine=repository.store_engine)
        states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=60, engine=repository.store_engine)
        for team, enterprise in (("T1", None), (None, "E1")):
            await store.async_save(
                Installation(
                    app_id="A1",
                    enterprise_id=enterprise,
                    team_id=team,
                    user_id="U1",
                    bot_token=f"xoxb-{team or enterprise}",
                    bot_id="B1",
                    bot_user_id="UBOT",
                    bot_scopes="commands,chat:write",
                    bot_refresh_token="xoxe-1-refresh",
                    bot_token_expires_in=43_200,
                    is_enterprise_install=team is None,
                )
            )
        found = await store.async_find_installation(enterprise_id=None, team_id="T1")
        assert found is not None and found.bot_token == "xoxb-T1" and found.bot_refresh_token == "xoxe-1-refresh"
        assert found.bot_token_expires_at is not None and abs(found.bot_token_expires_at - time.time() - 43_200) < 60
        org = await store.async_find_bot(enterprise_id="E1", team_id="T5", is_enterprise_install=True)
        assert org is not None and org.bot_token == "xoxb-E1"
        await store.async_delete_all(enterprise_id=None, team_id="T1")
        assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None

        state = await states.async_issue()
        assert await states.async_consume(state) is True
        assert await states.async_consume(state) is False  # once only
    finally:
        await repository.aclose()
