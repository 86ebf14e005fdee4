"""Storage: every run, variation, model call and favourite, in SQLite or PostgreSQL (SQLAlchemy 2 async).

repository = await open_repository(settings.database_url)   # creates / migrates the schema
try:
    ...
finally:
    await repository.aclose()
"""

from __future__ import annotations

from storage import revision
from storage.db import Database
from storage.records import (
    INTERRUPTED,
    CallRecord,
    RunDetail,
    RunOrigin,
    RunPage,
    RunSource,
    RunState,
    RunSummary,
    VariationRecord,
    VariationState,
    Vote,
)
from storage.repository import Repository

__all__ = [
    "INTERRUPTED",
    "CallRecord",
    "Repository",
    "RunDetail",
    "RunOrigin",
    "RunPage",
    "RunSource",
    "RunState",
    "RunSummary",
    "VariationRecord",
    "VariationState",
    "Vote",
    "open_repository",
]


async def open_repository(database_url: str, *, upgrade: bool = True) -> Repository:
    """Open the database at `database_url`, migrating it to this code's schema first when `upgrade`.

    Raises SchemaTooNew for a database migrated by a newer copybot, StorageError when the database
    cannot be reached or (with upgrade=False) is not up to date, ConfigError for a malformed URL.
    """
    db = Database(database_url)
    try:
        if await revision.current(db) != revision.HEAD:
            from storage import migrate  # Alembic loads only when there is something to migrate or explain

            await (migrate.upgrade(database_url) if upgrade else migrate.check(database_url))
    except BaseException:
        await db.aclose()
        raise
    return Repository(db)
