"""Reserving a run's next free variation number for a new version (a refinement or another take).

Several versions may be asked for at once, from several processes on PostgreSQL: the number is taken as
MAX(position) + 1 inside the inserting transaction, and a collision with a concurrent insert of the same
number (a primary-key conflict, in a savepoint) takes the next one.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from bot.workflow.types import Subtask, VariationKind, VariationStatus
from storage import statements
from storage.db import WriteOp
from storage.tables import VariationRow

ATTEMPTS = 5


def reserve(run_id: int, subtask: Subtask, requested_by: str, limit: int) -> WriteOp[Subtask | None]:
    of_run = VariationRow.run_id == run_id
    versions = select(func.count()).where(of_run, VariationRow.kind != VariationKind.ORIGINAL)
    highest = select(func.coalesce(func.max(VariationRow.position), 0)).where(of_run)

    def op(connection: Connection) -> Subtask | None:
        if (connection.scalar(versions) or 0) >= limit:
            return None
        connection.execute(*statements.touch(run_id))  # a version being written keeps its run alive for recovery
        for _ in range(ATTEMPTS):
            reserved = replace(subtask, position=int(connection.scalar(highest) or 0) + 1)
            row = statements.variation_keys(run_id, reserved)
            row |= {"status": VariationStatus.WRITING, "requested_by": requested_by}
            try:
                with connection.begin_nested():
                    connection.execute(insert(VariationRow), row)
            except IntegrityError:  # another process took that number first
                continue
            return reserved
        raise RuntimeError(f"run {run_id}: no free variation number after {ATTEMPTS} attempts")

    return op
