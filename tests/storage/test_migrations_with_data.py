"""Migrations from a previous head WITH data, on SQLite and PostgreSQL: what each one does to stored rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import MetaData, Table, select
from sqlalchemy.engine import Connection

from bot.workflow.types import INTERRUPTED_REASON
from bot.workflow.voice import Voice
from storage import DatabaseConfig, migrate, open_repository
from tests.storage.test_migrations import _sync

CREATED = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
RUN = {
    "source": "slack", "team_id": "T1", "channel_id": "C1", "user_id": "U1", "user_name": "ana",
    "product": "bottle", "audience": "", "features": [], "tone": "", "max_variations": 3, "analysis": "",
    "slack_channel": "C1", "slack_thread_ts": "1.1", "created_at": CREATED, "finished_at": CREATED,
    "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0, "cache_write_tokens": 0,
    "estimated_cost_usd": 0.0, "runner": "", "heartbeat_at": CREATED,
}  # fmt: skip
VARIATION = {
    "description": "d", "text": "", "truncated": False, "slack_ts": "", "model": "", "input_tokens": 0,
    "output_tokens": 0, "latency_ms": None,
}  # fmt: skip


def seed(connection: Connection) -> list[int]:
    """Three runs as 0002 stored them: interrupted (the old way), failed for a reason, done."""
    runs = Table("runs", MetaData(), autoload_with=connection)
    variations = Table("variations", MetaData(), autoload_with=connection)
    ids = []
    for status, error, variation in (
        ("failed", "interrupted", [("done", ""), ("failed", "interrupted")]),
        ("failed", "The orchestrator call failed.", [("failed", "The orchestrator call failed.")]),
        ("done", "", [("done", "")]),
    ):
        run_id = connection.execute(
            runs.insert().values(**RUN, status=status, error=error).returning(runs.c.id)
        ).scalar_one()
        rows = [
            {**VARIATION, "run_id": run_id, "position": i, "type": f"s{i}", "status": s, "error": e}
            for i, (s, e) in enumerate(variation, 1)
        ]
        connection.execute(variations.insert(), rows)
        ids.append(run_id)
    return ids


def states(connection: Connection) -> list[tuple[str, str, list[tuple[str, str]]]]:
    runs = Table("runs", MetaData(), autoload_with=connection)
    variations = Table("variations", MetaData(), autoload_with=connection)
    found = []
    for run_id, status, error in connection.execute(select(runs.c.id, runs.c.status, runs.c.error).order_by("id")):
        rows = connection.execute(
            select(variations.c.status, variations.c.error).where(variations.c.run_id == run_id).order_by("position")
        )
        found.append((status, error, [(s, e) for s, e in rows]))
    return found


async def test_0003_turns_interrupted_errors_into_the_interrupted_status_and_back(database_url: str) -> None:
    config = DatabaseConfig.parse(database_url)
    await migrate.upgrade(config, "0002")
    before = await _sync(database_url, states)
    interrupted, failed, done = cast(list[int], await _sync(database_url, seed))

    repository = await open_repository(config)  # upgrades to head
    try:
        old = await repository.run_detail(interrupted)
        assert old is not None and (old.status, old.error) == ("interrupted", INTERRUPTED_REASON)
        assert [(v.status, v.error) for v in old.variations] == [("done", ""), ("interrupted", INTERRUPTED_REASON)]
        other = await repository.run_detail(failed)
        assert other is not None and (other.status, other.error) == ("failed", "The orchestrator call failed.")
        assert [v.status for v in other.variations] == ["failed"]
        finished = await repository.run_detail(done)
        assert finished is not None and finished.status == "done"
    finally:
        await repository.aclose()

    await migrate.downgrade(config, "0002")
    assert before == []
    assert [status for status, _, _ in await _sync(database_url, states)] == ["failed", "failed", "done"]  # type: ignore[union-attr]
    assert (await _sync(database_url, states))[0] == (  # type: ignore[index]
        "failed",
        "interrupted",
        [("done", ""), ("failed", "interrupted")],
    )
    await migrate.upgrade(config)
    assert await migrate.current(config) == migrate.head()


async def test_0005_makes_every_existing_variation_an_original_and_finds_runs_by_thread(database_url: str) -> None:
    config = DatabaseConfig.parse(database_url)
    await migrate.upgrade(config, "0003")
    interrupted, _, done = cast(list[int], await _sync(database_url, seed))

    repository = await open_repository(config)  # upgrades to head
    try:
        run = await repository.run_detail(interrupted)
        assert run is not None
        assert [(v.kind, v.parent_position, v.instruction) for v in run.variations] == [("original", None, "")] * 2
        assert await repository.find_run_by_thread("T1", "C1", "1.1") in {interrupted, done}
        assert await repository.find_run_by_thread("T2", "C1", "1.1") is None
    finally:
        await repository.aclose()
    await migrate.downgrade(config, "0003")
    await migrate.upgrade(config)
    assert await migrate.current(config) == migrate.head()


async def test_0006_keeps_old_runs_as_free_copy_and_over_limit_downgrades_to_done(database_url: str) -> None:
    config = DatabaseConfig.parse(database_url)
    await migrate.upgrade(config, "0005")
    _, _, done = cast(list[int], await _sync(database_url, seed))
    repository = await open_repository(config)  # upgrades to head
    try:
        run = await repository.run_detail(done)
        assert run is not None and run.format is None
        assert [(v.fields, v.over_limit) for v in run.variations] == [((), ())]
    finally:
        await repository.aclose()
    await _sync(database_url, _over_limit)
    await migrate.downgrade(config, "0005")
    statuses = [s for _, _, variations in await _sync(database_url, states) for s, _ in variations]  # type: ignore[union-attr]
    assert statuses == ["done"] * 4  # over_limit did not exist before 0006: such copy is written, so done
    await migrate.upgrade(config)


def _over_limit(connection: Connection) -> None:
    variations = Table("variations", MetaData(), autoload_with=connection)
    connection.execute(variations.update().values(status="over_limit", over_limit=["headline 1: 40 characters"]))


async def test_0007_adds_voices_and_taste_leaving_old_runs_voiceless(database_url: str) -> None:
    config = DatabaseConfig.parse(database_url)
    await migrate.upgrade(config, "0006")
    _, _, done = cast(list[int], await _sync(database_url, seed))
    repository = await open_repository(config)  # upgrades to head
    try:
        run = await repository.run_detail(done)
        assert run is not None and run.voice_versions == () and run.variations[0].violations == ()
        assert await repository.team.save_voice("T1", "", Voice("Warm.", ("cheap",)), "U1") == 1
        assert (await repository.team.voice("T1", "")).banned == ("cheap",)
    finally:
        await repository.aclose()
    await migrate.downgrade(config, "0006")
    await migrate.upgrade(config)
    assert await migrate.current(config) == migrate.head()
