"""Migration 0004, from 0003 with data: Slack runs a crash left unfinished owe their thread; model calls keep a
reply and whether their usage was reported; and back down to 0003 without losing a row."""

from __future__ import annotations

from typing import cast

from sqlalchemy import MetaData, Table, select
from sqlalchemy.engine import Connection

from storage import DatabaseConfig, migrate, open_repository
from tests.storage.test_migrations import _sync
from tests.storage.test_migrations_with_data import RUN

CALL = {
    "role": "orchestrator", "position": None, "prompt_name": "orchestrator", "prompt_sha256": "0" * 64,
    "provider": "anthropic", "model": "m", "input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 0,
    "cache_write_tokens": 0, "duration_ms": 12, "stop_reason": "end_turn", "error": "", "request_id": "req_1",
    "created_at": RUN["created_at"],
}  # fmt: skip


def seed(connection: Connection) -> list[int]:
    """Runs as 0003 stored them: a Slack run in progress, a finished Slack run, a terminal run in progress."""
    runs = Table("runs", MetaData(), autoload_with=connection)
    calls = Table("llm_calls", MetaData(), autoload_with=connection)
    ids = []
    for source, status in (("slack", "writing"), ("slack", "done"), ("cli", "planning")):
        values = {**RUN, "source": source, "status": status, "error": ""}
        run_id = connection.execute(runs.insert().values(**values).returning(runs.c.id)).scalar_one()
        connection.execute(calls.insert().values(**CALL, run_id=run_id))
        ids.append(run_id)
    return ids


def rows(connection: Connection) -> list[tuple[object, ...]]:
    runs = Table("runs", MetaData(), autoload_with=connection)
    calls = Table("llm_calls", MetaData(), autoload_with=connection)
    statement = select(runs.c.id, runs.c.status, calls.c.request_id, calls.c.input_tokens).join(
        calls, calls.c.run_id == runs.c.id
    )
    return [tuple(row) for row in connection.execute(statement.order_by(runs.c.id))]


async def test_0004_marks_unfinished_slack_runs_owed_and_round_trips_with_data(database_url: str) -> None:
    config = DatabaseConfig.parse(database_url)
    await migrate.upgrade(config, "0003")
    in_progress, finished, terminal = cast(list[int], await _sync(database_url, seed))
    before = await _sync(database_url, rows)

    repository = await open_repository(config)  # upgrades to head
    try:
        owed = {}
        for run_id in (in_progress, finished, terminal):
            detail = await repository.run_detail(run_id)
            assert detail is not None
            owed[run_id] = detail.slack_owed
            (call,) = detail.calls
            assert (call.reply, call.usage_reported, call.request_id) == ("", True, "req_1")
        assert owed == {in_progress: True, finished: False, terminal: False}
    finally:
        await repository.aclose()

    await migrate.downgrade(config, "0003")
    assert await migrate.current(config) == "0003"
    assert await _sync(database_url, rows) == before
    await migrate.upgrade(config)
    assert await migrate.current(config) == migrate.head() == "0004"
