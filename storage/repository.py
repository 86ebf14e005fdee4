"""The repository: every write and read copybot makes, as async methods returning plain values.

Every read opens its own short session and every write is one transaction of
SQLAlchemy Core statements (storage/db.py: on SQLite, writes that queue up
together commit together), so any number of concurrent tasks can share one
Repository. Writes that events may repeat or
reorder are idempotent upserts: a variation can be written before the plan
that lists it arrives (the plan streams), and a Slack retry can deliver the
same event twice.

Every write for a run also moves its `heartbeat_at` (in the same
transaction), and `start_run` records which process runs it
(storage/runner.py): `mark_interrupted` fails only runs whose process is
gone or which have not been written for longer than a live run can be silent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from bot.errors import StorageError
from bot.workflow.records import MessageRef, Origin, RunDetail, RunPage
from bot.workflow.types import (
    INTERRUPTED_REASON,
    CopyRequest,
    LLMCall,
    Plan,
    RunFinished,
    RunStatus,
    Subtask,
    Variation,
    VariationStatus,
)
from storage import queries, runner, statements
from storage.db import Database
from storage.tables import Base, FavouriteRow, ProcessedEvent, Run, VariationRow, utcnow

UNFINISHED = (RunStatus.PLANNING, RunStatus.WRITING)


class Repository:
    """Runs, variations, model calls, favourites and processed Slack events."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def aclose(self) -> None:
        await self._db.aclose()

    def _insert(self, table: type[Base]) -> statements.Insert:
        return statements.dialect_insert(self._db.dialect, table)

    async def _write(self, *steps: statements.Step) -> None:
        """Execute each (statement, parameters) in order in one write transaction."""

        def op(connection: Connection) -> None:
            for statement, parameters in steps:
                connection.execute(statement, parameters)

        await self._db.transact(op)

    async def start_run(self, request: CopyRequest, origin: Origin) -> int:
        """Store a new run (status planning) and return its id."""
        now = utcnow()
        row = {
            "source": origin.source,
            "team_id": origin.team_id,
            "channel_id": origin.channel_id,
            "user_id": origin.user_id,
            "user_name": origin.user_name,
            "product": request.product,
            "audience": request.audience,
            "features": list(request.features),
            "tone": request.tone,
            "max_variations": request.max_variations,
            "status": RunStatus.PLANNING,
            "created_at": now,
            "runner": str(runner.current()),
            "heartbeat_at": now,
        }
        return await self._db.transact(lambda connection: int(connection.execute(statements.NEW_RUN, row).scalar_one()))

    async def record_analysis(self, run_id: int, analysis: str) -> None:
        """The plan has begun: status writing (from planning), and the analysis when it is known."""
        await self._write(statements.analysis(run_id, analysis))

    async def record_subtask(self, run_id: int, subtask: Subtask) -> None:
        """A variation is being written (idempotent)."""
        await self._write(statements.touch(run_id), self._subtasks(run_id, (subtask,)))

    def _subtasks(self, run_id: int, subtasks: tuple[Subtask, ...]) -> statements.Step:
        rows = [statements.variation_keys(run_id, s) | {"status": VariationStatus.WRITING} for s in subtasks]
        return statements.new_subtasks(self._db.dialect), rows

    async def record_plan(self, run_id: int, plan: Plan) -> None:
        """The final plan: its analysis (when not empty) and every planned variation (idempotent)."""
        steps = [statements.analysis(run_id, plan.analysis)]
        if plan.subtasks:
            steps.append(self._subtasks(run_id, plan.subtasks))
        await self._write(*steps)

    async def _upsert_variation(self, run_id: int, subtask: Subtask, values: dict[str, Any]) -> None:
        upsert = statements.variation_upsert(self._db.dialect, tuple(values))
        await self._write(
            statements.touch(run_id),  # the run's row first, as finish_run and mark_interrupted lock it
            (upsert, statements.variation_keys(run_id, subtask) | values),
        )

    async def record_variation_done(self, run_id: int, variation: Variation) -> None:
        call = variation.call
        await self._upsert_variation(
            run_id,
            variation.subtask,
            {
                "status": VariationStatus.DONE,
                "text": variation.text,
                "truncated": variation.truncated,
                "error": "",
                "model": call.model,
                "input_tokens": call.usage.input_tokens,
                "output_tokens": call.usage.output_tokens,
                "latency_ms": call.duration_ms,
            },
        )

    async def record_variation_failed(self, run_id: int, subtask: Subtask, error: str, call: LLMCall | None) -> None:
        values: dict[str, Any] = {"status": VariationStatus.FAILED, "error": error}
        if call is not None:
            values |= {
                "model": call.model,
                "input_tokens": call.usage.input_tokens,
                "output_tokens": call.usage.output_tokens,
                "latency_ms": call.duration_ms,
            }
        await self._upsert_variation(run_id, subtask, values)

    async def record_llm_call(self, run_id: int, call: LLMCall) -> None:
        """Store one model call and add its tokens and cost to the run (an unknown price makes the cost NULL)."""
        usage = call.usage
        now = utcnow()
        row = {
            "run_id": run_id,
            "role": call.role,
            "position": call.position,
            "prompt_name": call.prompt_name,
            "prompt_sha256": call.prompt_sha256,
            "provider": call.provider,
            "model": call.model,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_input_tokens,
            "cache_write_tokens": usage.cache_creation_input_tokens,
            "duration_ms": call.duration_ms,
            "stop_reason": call.stop_reason,
            "error": call.error,
            "request_id": call.request_id,
            "created_at": now,
        }
        totals = {
            "b_run_id": run_id,
            "heartbeat_at": now,
            "b_input": usage.input_tokens,
            "b_output": usage.output_tokens,
            "b_cache_read": usage.cache_read_input_tokens,
            "b_cache_write": usage.cache_creation_input_tokens,
            "b_cost": call.cost_usd,  # NULL + x is NULL: once a price is unknown, the run's cost stays unknown
        }
        await self._write((statements.NEW_CALL, row), (statements.ADD_USAGE, totals))

    async def finish_run(self, run_id: int, finished: RunFinished) -> None:
        """Final status; a variation still marked writing ends with the run (interrupted, or failed with its error)."""
        now = utcnow()
        error = finished.error or "The run ended before this variation was written."
        status = VariationStatus.INTERRUPTED if finished.status is RunStatus.INTERRUPTED else VariationStatus.FAILED
        await self._write(
            statements.touch(run_id, now, status=finished.status, error=finished.error, finished_at=now),
            (statements.FAIL_WRITING, {"b_run_id": run_id, "status": status, "error": error}),
        )

    async def mark_interrupted(self, *, stale_after: timedelta) -> int:
        """Mark interrupted the unfinished runs no process will finish; returns how many.

        A run in planning/writing is interrupted when its runner is known dead (storage/runner.py) or when
        it has not been written for `stale_after`, which must exceed the longest silence of a live run.
        Runs of live processes, here or on other hosts, are left alone.
        """
        now = utcnow()
        stale = Run.heartbeat_at < now - stale_after

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
                connection.execute(
                    update(VariationRow)
                    .where(VariationRow.run_id.in_(ids), VariationRow.status == VariationStatus.WRITING)
                    .values(status=VariationStatus.INTERRUPTED, error=INTERRUPTED_REASON)
                )
            return len(ids)

        return await self._db.transact(op)

    async def prune_processed_events(self, older_than: timedelta) -> int:
        """Forget Slack event ids seen more than `older_than` ago (Slack retries within minutes); returns how many."""
        statement = delete(ProcessedEvent).where(ProcessedEvent.created_at < utcnow() - older_than)
        return await self._db.transact(lambda connection: connection.execute(statement).rowcount)

    async def set_slack_thread(self, run_id: int, channel: str, ts: str) -> None:
        await self._write(statements.touch(run_id, slack_channel=channel, slack_thread_ts=ts))

    async def set_variation_message(self, run_id: int, position: int, ts: str) -> None:
        await self._write((statements.SET_MESSAGE, {"b_run_id": run_id, "b_position": position, "slack_ts": ts}))

    async def set_favourite(
        self, run_id: int, position: int, user_id: str, how: str, *, event_id: str | None = None
    ) -> bool:
        """Record `user_id`'s favourite in the run; a previous vote of theirs in the run moves here.

        With `event_id` (a Slack event), the vote and the event's dedupe mark commit in one transaction: a
        redelivered event changes nothing and returns False, and a vote that fails to store leaves the event
        unmarked, so Slack's retry can still count it.
        """
        values = {"position": position, "how": how, "created_at": utcnow()}
        exists = select(VariationRow.position).where(VariationRow.run_id == run_id, VariationRow.position == position)
        upsert = self._insert(FavouriteRow).values(run_id=run_id, user_id=user_id, **values)
        upsert = upsert.on_conflict_do_update(index_elements=["run_id", "user_id"], set_=values)

        def op(connection: Connection) -> bool:
            if not self._claim(connection, event_id):
                return False
            if connection.scalar(exists) is None:
                raise StorageError(f"Run {run_id} has no variation {position}.")
            connection.execute(upsert)
            return True

        return await self._db.transact(op)

    async def clear_favourite(
        self,
        run_id: int,
        user_id: str,
        position: int | None = None,
        *,
        how: str | None = None,
        event_id: str | None = None,
    ) -> bool:
        """Remove the user's vote in the run; True if one was removed.

        Only a vote for `position` (when given) cast by `how` (when given: removing one reaction keeps a vote
        cast with another). `event_id` deduplicates as for set_favourite, in the same transaction.
        """
        statement = delete(FavouriteRow).where(FavouriteRow.run_id == run_id, FavouriteRow.user_id == user_id)
        if position is not None:
            statement = statement.where(FavouriteRow.position == position)
        if how is not None:
            statement = statement.where(FavouriteRow.how == how)
        returning = statement.returning(FavouriteRow.run_id)

        def op(connection: Connection) -> bool:
            return self._claim(connection, event_id) and connection.scalar(returning) is not None

        return await self._db.transact(op)

    async def mark_event_processed(self, event_id: str) -> bool:
        """True the first time `event_id` is seen, False on every later call (safe under concurrency)."""
        return await self._db.transact(lambda connection: self._claim(connection, event_id))

    def _claim(self, connection: Connection, event_id: str | None) -> bool:
        """Mark `event_id` processed; False if it already was (no event id: always True)."""
        return not event_id or connection.scalar(statements.claim_event(self._db.dialect, event_id)) is not None

    async def find_variation_by_message(
        self, channel: str, ts: str, *, team_id: str | None = None
    ) -> MessageRef | None:
        """The variation posted as message `ts` in `channel` (in workspace `team_id`, when given), or None."""
        async with self._db.read() as session:
            return await queries.find_variation_by_message(session, channel, ts, team_id)

    async def recent_runs(
        self,
        team_id: str | None,
        channel_id: str | None = None,
        user_id: str | None = None,
        search: str | None = None,
        limit: int = 20,
        before: int | None = None,
    ) -> RunPage:
        """Newest runs first; team_id None means every workspace (the CLI). See queries.recent_runs."""
        async with self._db.read() as session:
            return await queries.recent_runs(session, team_id, channel_id, user_id, search, limit, before)

    async def run_detail(self, run_id: int) -> RunDetail | None:
        async with self._db.read() as session:
            return await queries.run_detail(session, run_id)
