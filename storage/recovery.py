"""Recovery: mark interrupted what a crash or a shutdown left unfinished, once no live process will finish it.

A run in planning/writing is interrupted when its runner is known dead (storage/runner.py) or when it has not
been written for `stale_after`, which must exceed the longest silence of a live run. Runs of live processes,
here or on other hosts, are left alone. A new version (a refinement, another take) of a finished run that is
still being written when its run has been silent that long is interrupted too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, or_, select, update

from bot.workflow.types import INTERRUPTED_REASON, RunStatus, VariationStatus
from storage import runner
from storage.db import WriteOp
from storage.tables import Run, VariationRow, utcnow

UNFINISHED = (RunStatus.PLANNING, RunStatus.WRITING)


def mark_interrupted(stale_after: timedelta) -> WriteOp[int]:
    """The op: mark them, return how many runs were marked."""
    now = utcnow()
    stale = Run.heartbeat_at < now - stale_after
    interrupted = {"status": VariationStatus.INTERRUPTED, "error": INTERRUPTED_REASON}
    writing = VariationRow.status == VariationStatus.WRITING

    def op(connection: Connection) -> int:
        candidates = connection.execute(select(Run.id, Run.runner).where(Run.status.in_(UNFINISHED)))
        dead = [run_id for run_id, name in candidates if (found := runner.Runner.parse(name)) and found.is_dead()]
        ids = list(
            connection.scalars(
                update(Run)
                .where(Run.status.in_(UNFINISHED), or_(Run.id.in_(dead), stale))
                .values(status=RunStatus.INTERRUPTED, error=INTERRUPTED_REASON, finished_at=now)
                .returning(Run.id)
            )
        )
        if ids:
            connection.execute(update(VariationRow).where(VariationRow.run_id.in_(ids), writing).values(interrupted))
        stale_finished = select(Run.id).where(Run.status.not_in(UNFINISHED), stale)
        connection.execute(
            update(VariationRow).where(VariationRow.run_id.in_(stale_finished), writing).values(interrupted)
        )
        return len(ids)

    return op
