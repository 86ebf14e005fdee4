"""Storage: every run, variation, model call and favourite, in SQLite or PostgreSQL (SQLAlchemy 2 async).

repository = await open_repository(settings.database_url)   # creates / migrates the schema
try:
    ...
finally:
    await repository.aclose()
"""

from __future__ import annotations

from storage import migrate
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
    if upgrade:
        await migrate.upgrade(database_url)
    else:
        await migrate.check(database_url)
    return Repository(Database(database_url))
