"""Storage: every run, variation, model call and favourite, in SQLite or PostgreSQL (SQLAlchemy 2 async).

config = DatabaseConfig.parse(settings.database_url)   # once, at the edge
repository = await open_repository(config)            # creates / migrates the schema
try:
    ...
finally:
    await repository.aclose()

Storage depends on the workflow's domain types (bot.workflow.types, bot.workflow.records) and bot.errors only.
"""

from __future__ import annotations

from storage import revision
from storage.config import DatabaseConfig
from storage.db import Database
from storage.repository import Repository

__all__ = ["DatabaseConfig", "Repository", "open_repository"]


async def open_repository(config: DatabaseConfig, *, upgrade: bool = True) -> Repository:
    """Open the database, migrating it to this code's schema first when `upgrade`.

    Raises SchemaTooNew for a database migrated by a newer copybot, StorageError when the database
    cannot be reached ("Cannot reach ...") or (with upgrade=False) is not up to date.
    """
    db = Database(config)
    try:
        if await revision.current(db) != revision.HEAD:
            from storage import migrate  # Alembic loads only when there is something to migrate or explain

            await (migrate.upgrade(config) if upgrade else migrate.check(config))
    except BaseException:
        await db.aclose()
        raise
    return Repository(db)
