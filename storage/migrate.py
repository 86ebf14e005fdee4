"""Schema migrations, run programmatically (no alembic.ini): upgrade, downgrade, and the start-up check.

`upgrade` brings an empty or older database to the newest revision this code
ships; a database stamped with a revision this code does not know was
migrated by a newer copybot, and is refused with SchemaTooNew before anything
is touched. Migrations run on their own connection with SQLite foreign keys
OFF (batch mode copies tables; cascades must not fire), and check integrity
with PRAGMA foreign_key_check before committing. On PostgreSQL, concurrent
upgrades (several processes starting at once) queue on an advisory lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from bot.errors import SchemaTooNew, StorageError
from storage.config import DatabaseConfig
from storage.db import create_engine, writer

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x636F7079  # "copy": the PostgreSQL advisory lock taken while migrating


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code ships."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def _current(connection: Connection) -> str | None:
    """The database's revision, after checking this code knows it (SchemaTooNew otherwise)."""
    heads = MigrationContext.configure(connection).get_current_heads()
    script = ScriptDirectory.from_config(_config())
    for revision in heads:
        try:
            script.get_revision(revision)
        except (RevisionError, CommandError):
            raise SchemaTooNew(
                f"The database is at schema revision {revision!r}, which this copybot does not know: "
                "a newer copybot has migrated it, and this version could damage its data.",
                hint="Upgrade copybot (in its checkout: `git pull && pip install -e '.[local]'`), "
                "or point DATABASE_URL at another database.",
            ) from None
    return heads[0] if heads else None


def _migrate(connection: Connection, action: str, revision: str) -> tuple[str | None, str | None]:
    """Migrate to `revision`; return the revisions before and after."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    before = _current(connection)
    if action == "upgrade":
        command.upgrade(_config(connection), revision)
    else:
        command.downgrade(_config(connection), revision)
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StorageError(f"The migration would break {len(broken)} foreign keys; nothing was changed.")
    return before, _current(connection)


@contextmanager
def _reachable(config: DatabaseConfig) -> Iterator[None]:
    """Turn "cannot connect" into a StorageError that says where and what to check."""
    config.check_directory()
    try:
        yield
    except (DBAPIError, OSError) as exc:
        raise config.unreachable(exc.orig if isinstance(exc, DBAPIError) else exc) from exc


async def _run(config: DatabaseConfig, action: str, revision: str) -> tuple[str | None, str | None]:
    engine = create_engine(config.url, foreign_keys=False, pooled=False)
    try:
        with _reachable(config):
            async with writer(engine).begin() as connection:
                return await connection.run_sync(_migrate, action, revision)
    finally:
        await engine.dispose()


async def upgrade(config: DatabaseConfig, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database up to `revision` (default: the newest); refuse a schema newer than this code.

    Returns the revisions before and after (None: empty)."""
    return await _run(config, "upgrade", revision)


async def downgrade(config: DatabaseConfig, revision: str) -> None:
    """Migrate the database down to `revision` ("base" drops every table)."""
    await _run(config, "downgrade", revision)


async def current(config: DatabaseConfig) -> str | None:
    """The database's schema revision (None when empty); SchemaTooNew when this code does not know it."""
    engine = create_engine(config.url, pooled=False)
    try:
        with _reachable(config):
            async with engine.connect() as connection:
                return await connection.run_sync(_current)
    finally:
        await engine.dispose()


async def check(config: DatabaseConfig) -> None:
    """Raise unless the database is exactly at this code's newest revision."""
    revision = await current(config)
    if revision != head():
        raise StorageError(
            f"The database schema is at {revision or 'nothing (empty)'}, not {head()}.",
            hint="Run `copybot db upgrade`.",
        )
