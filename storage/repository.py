"""The repository: every write and read copybot makes, as async methods returning plain values.

Every method opens its own short session (storage/db.py), so any number of
concurrent tasks can share one Repository. Writes that events may repeat or
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
from typing import Any, cast

from sqlalchemy import CursorResult, Update, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.errors import StorageError
from bot.workflow.types import CopyRequest, LLMCall, Plan, RunFinished, Subtask, Variation
from storage import queries, runner
from storage.db import Database
from storage.pricing import estimate_cost
from storage.records import INTERRUPTED, RunDetail, RunOrigin, RunPage
from storage.tables import Base, CallRow, FavouriteRow, ProcessedEvent, Run, VariationRow, utcnow

Insert = postgresql.Insert | sqlite.Insert
UNFINISHED = ("planning", "writing")


class Repository:
    """Runs, variations, model calls, favourites and processed Slack events."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def aclose(self) -> None:
        await self._db.aclose()

    def _insert(self, table: type[Base]) -> Insert:
        return postgresql.insert(table) if self._db.dialect == "postgresql" else sqlite.insert(table)

    async def start_run(self, request: CopyRequest, origin: RunOrigin) -> int:
        """Store a new run (status planning) and return its id."""
        run = Run(
            source=origin.source,
            team_id=origin.team_id,
            channel_id=origin.channel_id,
            user_id=origin.user_id,
            user_name=origin.user_name,
            product=request.product,
            audience=request.audience,
            features=list(request.features),
            tone=request.tone,
            max_variations=request.max_variations,
            status="planning",
            created_at=utcnow(),
            runner=str(runner.current()),
            heartbeat_at=utcnow(),
        )
        async with self._db.write() as session:
            session.add(run)
            await session.flush()
            return run.id

    async def record_analysis(self, run_id: int, analysis: str) -> None:
        """The plan has begun: status writing (from planning), and the analysis when it is known."""
        values: dict[str, Any] = {"status": case((Run.status == "planning", "writing"), else_=Run.status)}
        if analysis:
            values["analysis"] = analysis
        async with self._db.write() as session:
            await session.execute(_touch(run_id).values(**values))

    async def record_subtask(self, run_id: int, subtask: Subtask) -> None:
        """A variation is being written (idempotent)."""
        async with self._db.write() as session:
            await session.execute(_touch(run_id))
            await session.execute(self._subtask_insert(run_id, (subtask,)))

    def _subtask_insert(self, run_id: int, subtasks: tuple[Subtask, ...]) -> Insert:
        rows = [_variation_keys(run_id, s) | {"status": "writing"} for s in subtasks]
        return self._insert(VariationRow).values(rows).on_conflict_do_nothing(index_elements=["run_id", "position"])

    async def record_plan(self, run_id: int, plan: Plan) -> None:
        """The final plan: its analysis (when not empty) and every planned variation (idempotent)."""
        await self.record_analysis(run_id, plan.analysis)
        if plan.subtasks:
            async with self._db.write() as session:
                await session.execute(self._subtask_insert(run_id, plan.subtasks))

    async def _upsert_variation(self, run_id: int, subtask: Subtask, values: dict[str, Any]) -> None:
        statement = self._insert(VariationRow).values(**_variation_keys(run_id, subtask), **values)
        async with self._db.write() as session:
            await session.execute(_touch(run_id))  # the run's row first, as finish_run and mark_interrupted lock it
            await session.execute(statement.on_conflict_do_update(index_elements=["run_id", "position"], set_=values))

    async def record_variation_done(self, run_id: int, variation: Variation) -> None:
        call = variation.call
        await self._upsert_variation(
            run_id,
            variation.subtask,
            {
                "status": "done",
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
        values: dict[str, Any] = {"status": "failed", "error": error}
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
        cost = estimate_cost(call.provider, call.model, usage)
        async with self._db.write() as session:
            session.add(
                CallRow(
                    run_id=run_id,
                    role=call.role,
                    position=call.position,
                    prompt_name=call.prompt_name,
                    prompt_sha256=call.prompt_sha256,
                    provider=call.provider,
                    model=call.model,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cache_read_tokens=usage.cache_read_input_tokens,
                    cache_write_tokens=usage.cache_creation_input_tokens,
                    duration_ms=call.duration_ms,
                    stop_reason=call.stop_reason,
                    error=call.error,
                    request_id=call.request_id,
                    created_at=utcnow(),
                )
            )
            await session.execute(
                _touch(run_id).values(
                    input_tokens=Run.input_tokens + usage.input_tokens,
                    output_tokens=Run.output_tokens + usage.output_tokens,
                    cache_read_tokens=Run.cache_read_tokens + usage.cache_read_input_tokens,
                    cache_write_tokens=Run.cache_write_tokens + usage.cache_creation_input_tokens,
                    estimated_cost_usd=Run.estimated_cost_usd + cost if cost is not None else None,
                )
            )

    async def finish_run(self, run_id: int, finished: RunFinished) -> None:
        """Final status; a variation still marked writing is failed with the run's error."""
        async with self._db.write() as session:
            await session.execute(
                _touch(run_id).values(status=finished.status, error=finished.error, finished_at=utcnow())
            )
            await session.execute(
                update(VariationRow)
                .where(VariationRow.run_id == run_id, VariationRow.status == "writing")
                .values(status="failed", error=finished.error or "The run ended before this variation was written.")
            )

    async def mark_interrupted(self, *, stale_after: timedelta) -> int:
        """Fail as "interrupted" the unfinished runs no process will finish; returns how many.

        A run in planning/writing is interrupted when its runner is known dead (storage/runner.py) or when
        it has not been written for `stale_after`, which must exceed the longest silence of a live run.
        Runs of live processes, here or on other hosts, are left alone.
        """
        now = utcnow()
        stale = Run.heartbeat_at < now - stale_after
        async with self._db.write() as session:
            candidates = await session.execute(select(Run.id, Run.runner).where(Run.status.in_(UNFINISHED)))
            dead = [run_id for run_id, name in candidates if (found := runner.Runner.parse(name)) and found.is_dead()]
            marked = await session.scalars(
                update(Run)
                .where(Run.status.in_(UNFINISHED), or_(Run.id.in_(dead), stale))
                .values(status="failed", error=INTERRUPTED, finished_at=now)
                .returning(Run.id)
                .execution_options(synchronize_session=False)
            )
            ids = list(marked.all())
            if ids:
                await session.execute(
                    update(VariationRow)
                    .where(VariationRow.run_id.in_(ids), VariationRow.status == "writing")
                    .values(status="failed", error=INTERRUPTED)
                )
            return len(ids)

    async def prune_processed_events(self, older_than: timedelta) -> int:
        """Forget Slack event ids seen more than `older_than` ago (Slack retries within minutes); returns how many."""
        statement = delete(ProcessedEvent).where(ProcessedEvent.created_at < utcnow() - older_than)
        async with self._db.write() as session:
            result = cast(CursorResult[Any], await session.execute(statement))
            return result.rowcount

    async def set_slack_thread(self, run_id: int, channel: str, ts: str) -> None:
        async with self._db.write() as session:
            await session.execute(_touch(run_id).values(slack_channel=channel, slack_thread_ts=ts))

    async def set_variation_message(self, run_id: int, position: int, ts: str) -> None:
        async with self._db.write() as session:
            await session.execute(
                update(VariationRow)
                .where(VariationRow.run_id == run_id, VariationRow.position == position)
                .values(slack_ts=ts)
            )

    async def set_favourite(self, run_id: int, position: int, user_id: str, how: str) -> None:
        """Record `user_id`'s favourite in the run; a previous vote of theirs in the run moves here."""
        values = {"position": position, "how": how, "created_at": utcnow()}
        async with self._db.write() as session:
            exists = await session.scalar(
                select(VariationRow.position).where(VariationRow.run_id == run_id, VariationRow.position == position)
            )
            if exists is None:
                raise StorageError(f"Run {run_id} has no variation {position}.")
            statement = self._insert(FavouriteRow).values(run_id=run_id, user_id=user_id, **values)
            await session.execute(statement.on_conflict_do_update(index_elements=["run_id", "user_id"], set_=values))

    async def clear_favourite(self, run_id: int, user_id: str, position: int | None = None) -> bool:
        """Remove the user's vote in the run (only if it is for `position`, when given); True if one was removed."""
        statement = delete(FavouriteRow).where(FavouriteRow.run_id == run_id, FavouriteRow.user_id == user_id)
        if position is not None:
            statement = statement.where(FavouriteRow.position == position)
        async with self._db.write() as session:
            removed = await session.scalar(statement.returning(FavouriteRow.run_id))
            return removed is not None

    async def mark_event_processed(self, event_id: str) -> bool:
        """True the first time `event_id` is seen, False on every later call (safe under concurrency)."""
        statement = (
            self._insert(ProcessedEvent)
            .values(event_id=event_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(ProcessedEvent.event_id)
        )
        async with self._db.write() as session:
            return (await session.scalar(statement)) is not None

    async def find_variation_by_message(
        self, channel: str, ts: str, *, team_id: str | None = None
    ) -> tuple[int, int] | None:
        """(run_id, position) of the variation posted as message `ts` in `channel`, or None."""
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


def _touch(run_id: int) -> Update:
    """An UPDATE of the run that moves its heartbeat; add the write's own values with `.values(...)`."""
    return update(Run).where(Run.id == run_id).values(heartbeat_at=utcnow())


def _variation_keys(run_id: int, subtask: Subtask) -> dict[str, Any]:
    return {"run_id": run_id, "position": subtask.position, "type": subtask.type, "description": subtask.description}
