"""What a stopped or crashed process left behind: unfinished runs to mark interrupted, and Slack threads still
owed posts, each claimed by exactly one process. Write ops for Database.transact (storage/repository.py).

A run is left behind when its runner is known dead (storage/runner.py) or when it has not been written for
`stale_after`, which must exceed the longest silence of a live run. Runs of live processes, here or on other
hosts, are left alone. A new version (a refinement, another take) of a finished run that is still being written
when its run has been silent that long is interrupted too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, or_, select, update

from bot.workflow.types import INTERRUPTED_REASON, RunStatus, VariationStatus
from storage import runner
from storage.db import WriteOp
from storage.tables import Run, VariationRow, utcnow

UNFINISHED = (RunStatus.PLANNING, RunStatus.WRITING)


def _dead(name: str) -> bool:
    found = runner.Runner.parse(name)
    return found is not None and found.is_dead()


def mark_interrupted(stale_after: timedelta) -> WriteOp[int]:
    """Mark interrupted the unfinished runs no process will finish; the op returns how many."""
    now = utcnow()
    stale = Run.heartbeat_at < now - stale_after
    interrupted = {"status": VariationStatus.INTERRUPTED, "error": INTERRUPTED_REASON}
    writing = VariationRow.status == VariationStatus.WRITING

    def op(connection: Connection) -> int:
        candidates = connection.execute(select(Run.id, Run.runner).where(Run.status.in_(UNFINISHED)))
        dead = [run_id for run_id, name in candidates if _dead(name)]
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


def claim_owed_threads(stale_after: timedelta) -> WriteOp[list[int]]:
    """Take over the finished runs whose Slack thread is still owed posts and whose process is gone (or silent past
    `stale_after`): they become this process's runs (runner, heartbeat). The op returns their ids.

    Each claim is conditional on the runner and heartbeat read, so of several processes starting at once only one
    claims a run (the others' updates then match nothing).
    """
    now = utcnow()
    me = str(runner.current())

    def op(connection: Connection) -> list[int]:
        candidates = connection.execute(
            select(Run.id, Run.runner, Run.heartbeat_at).where(Run.slack_owed, Run.status.not_in(UNFINISHED))
        )
        claimed = []
        for run_id, name, heartbeat in candidates.all():
            if not (_dead(name) or heartbeat < now - stale_after):
                continue
            won = connection.scalar(
                update(Run)
                .where(Run.id == run_id, Run.runner == name, Run.heartbeat_at == heartbeat, Run.slack_owed)
                .values(runner=me, heartbeat_at=now)
                .returning(Run.id)
            )
            if won is not None:
                claimed.append(run_id)
        return claimed

    return op
