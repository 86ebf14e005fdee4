"""Engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg).

SQLite connections get WAL (readers never block the writer), a busy timeout,
foreign keys ON and synchronous=NORMAL. pysqlite's own transaction handling
is switched off (isolation_level None) and SQLAlchemy's "begin" event emits
BEGIN ourselves: BEGIN IMMEDIATE for write sessions, so a write transaction
takes the write lock up front and waits for it under busy_timeout (a
deferred read-then-write transaction in WAL fails with SQLITE_BUSY at once,
whatever busy_timeout says); plain BEGIN for reads.

Each repository operation opens its own AsyncSession (`Database.read()` /
`Database.write()`), so concurrent tasks never share one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.errors import ConfigError

BUSY_TIMEOUT_MS = 30_000
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 20
_WRITE = "copybot_write"
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def parse_url(database_url: str) -> URL:
    """DATABASE_URL -> an async driver URL; `sqlite://` and `postgres(ql)://` get aiosqlite / asyncpg."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ConfigError(
            f"DATABASE_URL={database_url!r} is not a database URL.",
            hint="Use e.g. sqlite+aiosqlite:///copybot.db or postgresql+asyncpg://user:pass@host/db.",
        ) from None
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise ConfigError(
            f"DATABASE_URL uses {url.drivername!r}; copybot supports SQLite (aiosqlite) and PostgreSQL (asyncpg).",
            hint="Use sqlite+aiosqlite:///copybot.db or postgresql+asyncpg://user:pass@host/db.",
        )
    url = url.set(drivername=driver)
    if is_sqlite(url) and url.database in (None, "", ":memory:"):
        raise ConfigError(
            "DATABASE_URL points at an in-memory SQLite database, which would lose every run.",
            hint="Use a file, e.g. sqlite+aiosqlite:///copybot.db.",
        )
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_engine(url: URL, *, foreign_keys: bool = True, pooled: bool = True) -> AsyncEngine:
    """An engine for `url` with copybot's SQLite set-up; `foreign_keys=False` is for schema migrations only."""
    if not is_sqlite(url):
        options: dict[str, Any] = {"pool_size": PG_POOL_SIZE, "max_overflow": PG_MAX_OVERFLOW} if pooled else {}
        return create_async_engine(url, pool_pre_ping=True, poolclass=None if pooled else NullPool, **options)
    engine = create_async_engine(url, poolclass=None if pooled else NullPool)
    pragmas = (
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"foreign_keys={'ON' if foreign_keys else 'OFF'}",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, but its transactions BEGIN IMMEDIATE on SQLite."""
    return engine.execution_options(**{_WRITE: True})


class Database:
    """An engine plus session factories: one short session per operation."""

    def __init__(self, database_url: str) -> None:
        self.url = parse_url(database_url)
        self.engine = create_engine(self.url)
        self._read = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write = async_sessionmaker(writer(self.engine), expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for queries; its transaction is rolled back on exit."""
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on exit (rolls back on error); BEGIN IMMEDIATE on SQLite."""
        async with self._write() as session, session.begin():
            yield session

    async def aclose(self) -> None:
        await self.engine.dispose()
