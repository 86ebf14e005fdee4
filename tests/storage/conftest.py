"""Storage test fixtures: every test gets a fresh database, once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import DatabaseConfig, Repository, open_repository
from tests.storage.backends import database_url_fixture, sqlite_url_fixture

__all__ = ["database_url_fixture", "repository_fixture", "sqlite_url_fixture"]


@pytest.fixture(name="repository")
async def repository_fixture(database_url: str) -> AsyncIterator[Repository]:
    repository = await open_repository(DatabaseConfig.parse(database_url))
    try:
        yield repository
    finally:
        await repository.aclose()
