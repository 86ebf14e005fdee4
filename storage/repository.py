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
gone or which have not been written for longer than a live run can be silent
(storage/recovery.py), and `claim_owed_threads` takes over the Slack threads
such a process still owed posts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.workflow.formats import to_dict
from bot.workflow.records import MessageRef, Origin, RunDetail, RunPage, RunSource
from bot.workflow.types import (
    CopyRequest,
    LLMCall,
    Plan,
    RunFinished,
    RunStatus,
    Subtask,
    Variation,
    VariationStatus,
)
from storage import favourites, queries, recovery, runner, statements, versions
from storage.db import Database, writer
from storage.tables import ProcessedEvent, utcnow
from storage.team import TeamStore


class Repository:
    """Runs, variations, model calls, favourites and processed Slack events."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.team = TeamStore(db)

    async def aclose(self) -> None:
        await self._db.aclose()

    @property
    def store_engine(self) -> AsyncEngine:
        """The engine for other libraries' stores in this database (slack_sdk's installation and OAuth state stores,
        on the tables of migration 0008). On SQLite its transactions take the write lock up front, so a store's
        read-then-write never fails for a write copybot committed in between."""
        return writer(self._db.engine)

    async def check(self) -> None:
        """Raise StorageError (FileLost for a deleted SQLite file) unless the database can be used now."""
        await self._db.check()

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
            "enterprise_id": origin.enterprise_id,
            "channel_id": origin.channel_id,
            "user_id": origin.user_id,
            "user_name": origin.user_name,
            "product": request.product,
            "audience": request.audience,
            "features": list(request.features),
            "tone": request.tone,
            "max_variations": request.max_variations,
            "format": to_dict(request.format) if request.format else None,
            "voice_versions": list(request.voice.versions) or None,
            "status": RunStatus.PLANNING,
            "created_at": now,
            "runner": str(runner.current()),
            "heartbeat_at": now,
            "slack_owed": origin.source is RunSource.SLACK,  # until its thread is posted
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
                "status": variation.status,
                "text": variation.text,
                "fields": [f.to_dict() for f in variation.fields] if variation.fields else None,
                "over_limit": list(variation.over_limit) or None,
                "violations": list(variation.violations) or None,
                "truncated": variation.truncated,
                "error": "",
                "model": call.model,
                "input_tokens": call.usage.input_tokens,
                "output_tokens": call.usage.output_tokens,
                "latency_ms": call.duration_ms,
            },
        )

    async def record_variation_failed(
        self,
        run_id: int,
        subtask: Subtask,
        error: str,
        call: LLMCall | None,
        *,
        status: VariationStatus = VariationStatus.FAILED,
    ) -> None:
        """A variation that was not written: failed (or interrupted), with the reason and its last call's figures."""
        values: dict[str, Any] = {"status": status, "error": error}
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
            "reply": call.reply,
            "usage_reported": usage.reported,
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
        """Mark interrupted the unfinished runs no process will finish (storage/recovery.py); returns how many."""
        return await self._db.transact(recovery.mark_interrupted(stale_after))

    async def claim_owed_threads(self, *, stale_after: timedelta) -> list[int]:
        """Take over the finished runs whose Slack thread a gone process still owed posts; returns their ids."""
        return await self._db.transact(recovery.claim_owed_threads(stale_after))

    async def thread_delivered(self, run_id: int) -> None:
        """The run's Slack thread is fully posted (or given up on): nothing is owed any more."""
        await self._write(statements.touch(run_id, slack_owed=False))

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
        op = favourites.set_vote(self._db.dialect, run_id, position, user_id, how, event_id)
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
        op = favourites.clear_vote(self._db.dialect, run_id, user_id, position, how, event_id)
        return await self._db.transact(op)

    async def mark_event_processed(self, event_id: str) -> bool:
        """True the first time `event_id` is seen, False on every later call (safe under concurrency)."""
        return await self._db.transact(lambda connection: favourites.claim(connection, self._db.dialect, event_id))

    async def reserve_version(self, run_id: int, subtask: Subtask, requested_by: str, *, limit: int) -> Subtask | None:
        """Store a new version of a variation (status writing) under the run's next free number; return it with
        that position, or None when the run already has `limit` versions besides its originals."""
        return await self._db.transact(versions.reserve(run_id, subtask, requested_by, limit))

    async def find_run_by_thread(self, team_id: str, channel: str, thread_ts: str) -> int | None:
        """The run whose Slack thread parent is message `thread_ts` in `channel` of workspace `team_id`."""
        async with self._db.read() as session:
            return await queries.find_run_by_thread(session, team_id, channel, thread_ts)

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
