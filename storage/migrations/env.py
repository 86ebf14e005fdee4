"""Alembic environment (async), shipped inside the package: no alembic.ini is needed at run time.

copybot runs migrations through storage/migrate.py, which hands over an open
connection in `config.attributes["connection"]`. Run standalone (developers
writing a new revision: `alembic -c storage/migrations/alembic.ini revision
--autogenerate -m "..."`), it opens its own async engine from
`sqlalchemy.url`. SQLite uses batch mode (copy-and-move ALTER TABLE).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.config import DatabaseConfig
from storage.db import create_engine
from storage.tables import Base, include_object

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone(database_url: str) -> None:
    engine = create_engine(DatabaseConfig.parse(database_url).url, foreign_keys=False, pooled=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


def main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
    elif context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_standalone(config.get_main_option("sqlalchemy.url") or ""))


main()
