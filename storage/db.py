"""Engines, sessions and the writer for SQLite (aiosqlite; pysqlite for writes) and PostgreSQL (asyncpg).

SQLite connections get WAL (readers never block the writer), a busy timeout,
foreign keys ON and synchronous=NORMAL. pysqlite's own transaction handling
is switched off (isolation_level None) and SQLAlchemy's "begin" event emits
BEGIN ourselves: BEGIN IMMEDIATE for write sessions, so a write transaction
takes the write lock up front and waits for it under busy_timeout (a
deferred read-then-write transaction in WAL fails with SQLITE_BUSY at once,
whatever busy_timeout says); plain BEGIN for reads.

Reads open their own AsyncSession (`Database.read()`), so concurrent tasks
never share one. Writes are sync functions of a Connection run in one
transaction (`Database.transact(op)`), with group commit: one writer per
process, and the ops that queue up while a transaction runs (under load, many
runs' writes) all commit together in the next one. An op that fails is
retried in a transaction of its own, so it never takes the others down. On
SQLite the writer is a thread with its own pysqlite connection: SQLite has
one writer at a time anyway, in-process writers now queue in order instead of
sleeping in the busy handler, and a transaction costs one thread hop instead
of several per statement. On PostgreSQL a batch runs on one pooled
connection (`AsyncConnection.run_sync`). `Database.write()` (an AsyncSession
in a write transaction) is for bulk tools.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.errors import StorageError
from storage.config import DatabaseConfig
from storage.guard import DATABASE_ERRORS, DatabaseFile, unusable

BUSY_TIMEOUT_MS = 30_000
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 20
PG_CONNECT_TIMEOUT_S = 5  # asyncpg waits 60 s for a server that does not answer: handlers must answer sooner
MAX_BATCH = 256  # write ops committed in one SQLite transaction at most
CHECK_TIMEOUT_S = 2.0
_WRITE = "copybot_write"
T = TypeVar("T")
WriteOp = Callable[[Connection], T]


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_engine(url: URL, *, foreign_keys: bool = True, pooled: bool = True) -> AsyncEngine:
    """An engine for `url` with copybot's SQLite set-up; `foreign_keys=False` is for schema migrations only."""
    if not is_sqlite(url):
        options: dict[str, Any] = {"pool_size": PG_POOL_SIZE, "max_overflow": PG_MAX_OVERFLOW} if pooled else {}
        return create_async_engine(
            url,
            pool_pre_ping=True,  # a connection the server dropped (a restart, an outage) is replaced, not used
            poolclass=None if pooled else NullPool,
            connect_args={"timeout": PG_CONNECT_TIMEOUT_S},
            **options,
        )
    engine = create_async_engine(url, poolclass=None if pooled else NullPool)
    _set_up_sqlite(engine.sync_engine, foreign_keys=foreign_keys)
    return engine


def _set_up_sqlite(engine: Engine, *, foreign_keys: bool = True) -> None:
    pragmas = (
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"foreign_keys={'ON' if foreign_keys else 'OFF'}",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, but its transactions BEGIN IMMEDIATE on SQLite."""
    return engine.execution_options(**{_WRITE: True})


class Database:
    """An engine plus session factories for reads, and `transact` for writes."""

    def __init__(self, config: DatabaseConfig) -> None:
        self.config = config
        self.url = config.url
        self.engine = create_engine(self.url)
        self._read = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write = async_sessionmaker(writer(self.engine), expire_on_commit=False, autoflush=False)
        self.file = DatabaseFile(config.path) if config.path is not None else None
        self._writer: _GroupCommit = (
            _SQLiteWriter(self.url, self.file) if self.file is not None else _PostgresWriter(self.engine)
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for queries; its transaction is rolled back on exit. A driver error becomes a StorageError
        fit for users (storage/guard.py), its detail logged."""
        try:
            async with self._read() as session:
                yield session
        except DATABASE_ERRORS as exc:
            raise unusable(exc, f"reading {self.config.where}") from exc

    async def check(self) -> None:
        """Raise StorageError unless the database answers a query within CHECK_TIMEOUT_S (and, for SQLite, its file
        is still the one opened)."""
        if self.file is not None:
            self.file.check()
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S), self.read() as session:
                await session.execute(text("SELECT 1"))
        except TimeoutError as exc:
            raise unusable(exc, f"checking {self.config.where} (no answer in {CHECK_TIMEOUT_S:g} s)") from exc

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on exit (rolls back on error); BEGIN IMMEDIATE on SQLite."""
        async with self._write() as session, session.begin():
            yield session

    async def transact(self, op: WriteOp[T]) -> T:
        """Run `op(connection)` in a write transaction; return what it returns once committed (raise what it raises).

        The op is sync code (SQLAlchemy Core on a sync Connection) and must not touch the event loop. Ops
        queued while a transaction runs commit together in the next one; an op that fails is retried in a
        transaction of its own, so it fails alone. A driver error becomes a StorageError fit for users.
        """
        try:
            return await self._writer.submit(op)
        except DATABASE_ERRORS as exc:
            raise unusable(exc, f"writing to {self.config.where}") from exc

    async def aclose(self) -> None:
        await self._writer.aclose()
        await self.engine.dispose()


Outcome = tuple[bool, Any]  # (True, what the op returned) or (False, what it raised)


class _GroupCommit(abc.ABC):
    """One writer: ops queue up while a transaction runs, and the next transaction commits them all."""

    def __init__(self) -> None:
        self._queue: list[tuple[WriteOp[Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, op: WriteOp[T]) -> T:
        if self._closed:
            raise StorageError("The database was closed; nothing more can be written.")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((op, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="copybot-writer")
        return await future  # a cancelled caller's op still commits, in order with the rest

    async def _flush(self) -> None:
        batch: list[tuple[WriteOp[Any], asyncio.Future[Any]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                outcomes = await self._commit([op for op, _ in batch])
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:  # cancelled (the loop is closing): no caller may wait forever
            for _, future in (*batch, *self._queue):
                future.cancel()

    @abc.abstractmethod
    async def _commit(self, ops: list[WriteOp[Any]]) -> list[Outcome]:
        """Run `ops` in one transaction (each alone after a failure); one outcome per op, in order."""

    async def aclose(self) -> None:
        self._closed = True
        if self._flusher is not None:
            await asyncio.wait([self._flusher])


class _PostgresWriter(_GroupCommit):
    """PostgreSQL: each batch is a transaction on one pooled connection (AsyncConnection.run_sync)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self._engine = engine

    async def _commit(self, ops: list[WriteOp[Any]]) -> list[Outcome]:
        try:
            async with self._engine.begin() as connection:
                results = await connection.run_sync(lambda sync: [op(sync) for op in ops])
        except Exception as exc:
            if len(ops) == 1:
                return [(False, exc)]
            return [(await self._commit([op]))[0] for op in ops]
        return [(True, result) for result in results]


class _SQLiteWriter(_GroupCommit):
    """SQLite: a thread with its own pysqlite connection runs each batch (one thread hop per transaction)."""

    def __init__(self, url: URL, file: DatabaseFile) -> None:
        super().__init__()
        self._file = file
        engine = create_sync_engine(url.set(drivername="sqlite+pysqlite"), pool_size=1, max_overflow=0)
        _set_up_sqlite(engine)
        self._pool = engine
        self._engine = engine.execution_options(**{_WRITE: True})
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="copybot-sqlite-writer")

    async def _commit(self, ops: list[WriteOp[Any]]) -> list[Outcome]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._commit_here, ops)

    def _commit_here(self, ops: list[WriteOp[Any]]) -> list[Outcome]:
        """In the writer thread: every op in one transaction; when one fails, each op again in its own. Nothing is
        written once the database file is gone (it would be lost)."""
        try:
            self._file.check()
        except StorageError as exc:
            return [(False, exc)] * len(ops)
        try:
            with self._engine.begin() as connection:
                results = [op(connection) for op in ops]
        except Exception as exc:
            if len(ops) == 1:
                return [(False, exc)]
            return [self._commit_here([op])[0] for op in ops]
        return [(True, result) for result in results]

    async def aclose(self) -> None:
        await super().aclose()
        await asyncio.get_running_loop().run_in_executor(self._thread, self._pool.dispose)
        self._thread.shutdown()
