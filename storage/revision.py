"""The schema revision this code ships, and a database's revision read without loading Alembic.

Start-up stays fast: a database already at HEAD needs no Alembic at all (storage/migrate.py, which
imports it, loads only to migrate or to explain a mismatch). A test keeps HEAD equal to the newest
migration in storage/migrations/versions.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import Database

HEAD = "0002"


async def current(db: Database) -> str | None:
    """The database's revision; None when it has none or cannot be read (storage/migrate.py says why)."""
    try:
        async with db.read() as session:
            revisions = (await session.scalars(text("SELECT version_num FROM alembic_version"))).all()
    except (DBAPIError, OSError):
        return None
    return revisions[0] if len(revisions) == 1 else None
