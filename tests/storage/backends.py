"""The `database_url` fixture: a fresh, empty database per test, on SQLite and (when a server answers) PostgreSQL.

PostgreSQL is used when COPYBOT_TEST_POSTGRES_URL is set (any database the user may CREATE DATABASE from,
e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) or when 127.0.0.1:5432 answers (then as user
postgres, database test). Each test gets its own database, named after this session and the test's
number and dropped afterwards, so tests are isolated and repeatable; without a server they skip, saying why.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from itertools import count
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import URL, make_url

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
_SESSION = uuid.uuid4().hex[:8]
_numbers = count(1)


def postgres_admin_url() -> URL | None:
    """The server to create test databases on, or None when there is none."""
    configured = os.environ.get("COPYBOT_TEST_POSTGRES_URL", "").strip()
    if configured:
        return make_url(configured).set(drivername="postgresql+asyncpg")
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=0.5).close()
    except OSError:
        return None
    return make_url(LOCAL_POSTGRES)


def _dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(admin: URL) -> URL:
    name = f"copybot_test_{_SESSION}_{next(_numbers)}"
    connection = await asyncpg.connect(_dsn(admin))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin.set(database=name)


async def drop_postgres_database(admin: URL, url: URL) -> None:
    connection = await asyncpg.connect(_dsn(admin))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await connection.close()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(name="database_url", params=BACKENDS)
async def database_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to a new empty database (a SQLite file in tmp_path, or a new PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"
        return
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL: set COPYBOT_TEST_POSTGRES_URL or run a server on 127.0.0.1:5432")
    url = await create_postgres_database(admin)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        await drop_postgres_database(admin, url)


@pytest.fixture(name="sqlite_url")
def sqlite_url_fixture(tmp_path: Path) -> Iterator[str]:
    """A SQLite file only: for behaviour specific to SQLite (locking) and for the CLI."""
    yield f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"
