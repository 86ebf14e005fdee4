"""Write ops for favourites (one vote per user per run) and for Slack's dedupe marks, each one transaction."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from bot.errors import StorageError
from storage import statements
from storage.db import WriteOp
from storage.tables import FavouriteRow, VariationRow, utcnow


def claim(connection: Connection, dialect: str, event_id: str | None) -> bool:
    """Mark `event_id` processed; False if it already was (no event id: always True)."""
    return not event_id or connection.scalar(statements.claim_event(dialect, event_id)) is not None


def set_vote(dialect: str, run_id: int, position: int, user_id: str, how: str, event_id: str | None) -> WriteOp[bool]:
    """The user's vote moves to `position`; False (nothing changed) when `event_id` was already processed."""
    values = {"position": position, "how": how, "created_at": utcnow()}
    exists = select(VariationRow.position).where(VariationRow.run_id == run_id, VariationRow.position == position)
    upsert = statements.dialect_insert(dialect, FavouriteRow).values(run_id=run_id, user_id=user_id, **values)
    upsert = upsert.on_conflict_do_update(index_elements=["run_id", "user_id"], set_=values)

    def op(connection: Connection) -> bool:
        if not claim(connection, dialect, event_id):
            return False
        if connection.scalar(exists) is None:
            raise StorageError(f"Run {run_id} has no variation {position}.")
        connection.execute(upsert)
        return True

    return op


def clear_vote(
    dialect: str, run_id: int, user_id: str, position: int | None, how: str | None, event_id: str | None
) -> WriteOp[bool]:
    """Remove the user's vote (for `position`, cast by `how`, when given); True if one was removed."""
    statement = delete(FavouriteRow).where(FavouriteRow.run_id == run_id, FavouriteRow.user_id == user_id)
    if position is not None:
        statement = statement.where(FavouriteRow.position == position)
    if how is not None:
        statement = statement.where(FavouriteRow.how == how)
    returning = statement.returning(FavouriteRow.run_id)

    def op(connection: Connection) -> bool:
        return claim(connection, dialect, event_id) and connection.scalar(returning) is not None

    return op
