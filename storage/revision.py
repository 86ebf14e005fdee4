"""The schema revision this code ships, and a database's revision read without loading Alembic.

Start-up stays fast: a database already at HEAD needs no Alembic at all (storage/migrate.py, which
imports it, loads only to migrate or to explain a mismatch). A test keeps HEAD equal to the newest
migration in storage/migrations/versions.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import Database

HEAD = "0009"


async def current(db: Database) -> str | None:
    """The database's revision; None when it has none (an empty or older database: storage/migrate.py says which).

    Raises StorageError ("cannot reach") when the database cannot be connected to at all.
    """
    config = db.config
    config.check_directory()
    try:
        async with db.engine.connect() as connection:
            try:
                revisions = (await connection.scalars(text("SELECT version_num FROM alembic_version"))).all()
            except DBAPIError:  # connected, but no alembic_version table: an empty database
                return None
    except (DBAPIError, OSError) as exc:
        raise config.unreachable(exc.orig if isinstance(exc, DBAPIError) else exc) from exc
    return revisions[0] if len(revisions) == 1 else None
