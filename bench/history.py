"""Benchmark (not a test): history and run_detail latency over 100,000 stored runs, SQLite and PostgreSQL.

    python bench/history.py [--runs 100000] [--samples 300] [--postgres-url URL]

Seeds N runs (3 variations and 4 model calls each; a third of runs have 1-3
votes) across 10 workspaces x 20 channels with bulk inserts, then times the
repository's real queries, each sample a fresh session: a channel's first
history page (20 runs), the page after it (cursor), a user's page, a search
of a channel, a search of every run for a string almost no run has (SQLite
scans the table; PostgreSQL uses its pg_trgm index), and run_detail of a
random run. Prints p50/p95 in ms.
PostgreSQL: --postgres-url, else COPYBOT_TEST_POSTGRES_URL, else
postgres@127.0.0.1:5432 if it answers (a scratch database is created and
dropped); skipped with a message when there is none.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bot.services import Origin, RunContext, RunSource, VoiceService
from storage import DatabaseConfig, Repository, migrate
from storage.db import Database
from storage.tables import CallRow, FavouriteRow, Run, VariationRow

TEAMS, CHANNELS, USERS = 10, 20, 50
WORDS = [
    "eco",
    "steel",
    "bottle",
    "trail",
    "shoe",
    "bamboo",
    "brush",
    "solar",
    "lamp",
    "smart",
    "kettle",
    "wool",
    "sock",
    "vegan",
    "soap",
    "desk",
    "chair",
]
STYLES = ["benefit-led", "technical", "playful", "premium", "story-driven"]
CHUNK = 2_000


def _rows(first: int, count: int, rng: random.Random) -> dict[type[Any], list[dict[str, Any]]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    runs, variations, calls, votes = [], [], [], []
    for run_id in range(first, first + count):
        team = run_id % TEAMS
        created = start + timedelta(seconds=run_id * 30)
        runs.append(
            {
                "id": run_id,
                "source": "slack",
                "team_id": f"T{team}",
                "channel_id": f"C{team}_{rng.randrange(CHANNELS)}",
                "user_id": f"U{team}_{rng.randrange(USERS)}",
                "user_name": "",
                "product": " ".join(rng.sample(WORDS, 3)) + f" {run_id}",
                "audience": "busy parents",
                "features": ["light", "durable"],
                "tone": "warm",
                "max_variations": 5,
                "status": "done",
                "analysis": "An analysis paragraph. " * 8,
                "created_at": created,
                "finished_at": created + timedelta(seconds=9),
            }
        )
        calls.append(_call(run_id, "orchestrator", None, created))
        for position in (1, 2, 3):
            variations.append(
                {
                    "run_id": run_id,
                    "position": position,
                    "type": STYLES[(run_id + position) % len(STYLES)],
                    "description": "Write it well.",
                    "text": "Copy that sells. " * 20,
                    "status": "done",
                    "model": "claude-haiku-4-5",
                    "input_tokens": 400,
                    "output_tokens": 250,
                    "latency_ms": 2100,
                }
            )
            calls.append(_call(run_id, "worker", position, created))
        if run_id % 3 == 0:
            for voter in range(rng.randint(1, 3)):
                votes.append(
                    {
                        "run_id": run_id,
                        "user_id": f"V{voter}",
                        "position": rng.randint(1, 3),
                        "how": "star",
                        "created_at": created,
                    }
                )
    return {Run: runs, VariationRow: variations, CallRow: calls, FavouriteRow: votes}


def _call(run_id: int, role: str, position: int | None, created: datetime) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "role": role,
        "position": position,
        "prompt_name": role,
        "prompt_sha256": "ab" * 32,
        "provider": "anthropic",
        "model": "claude-haiku-4-5",
        "input_tokens": 400,
        "output_tokens": 250,
        "duration_ms": 2100,
        "stop_reason": "end_turn",
        "request_id": f"req_{run_id}_{position}",
        "created_at": created,
    }


async def seed(db: Database, runs: int) -> float:
    started = time.perf_counter()
    rng = random.Random(7)
    for first in range(1, runs + 1, CHUNK):
        rows = _rows(first, min(CHUNK, runs + 1 - first), rng)
        async with db.write() as session:
            for table, values in rows.items():
                if values:
                    await session.execute(insert(table.__table__), values)
    async with db.write() as session:
        await session.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def timed(samples: int, query: Callable[[random.Random], Awaitable[object]]) -> tuple[float, float]:
    rng = random.Random(11)
    await query(rng)  # warm the pool and caches
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        await query(rng)
        durations.append((time.perf_counter() - started) * 1000)
    quantiles = statistics.quantiles(durations, n=100)
    return quantiles[49], quantiles[94]


async def bench(label: str, database_url: str, runs: int, samples: int) -> None:
    await migrate.upgrade(DatabaseConfig.parse(database_url))
    db = Database(DatabaseConfig.parse(database_url))
    repository = Repository(db)
    try:
        seconds = await seed(db, runs)
        print(f"\n{label}: seeded {runs:,} runs (+{3 * runs:,} variations, {4 * runs:,} calls) in {seconds:.1f} s")

        def channel(rng: random.Random) -> tuple[str, str]:
            team = rng.randrange(TEAMS)
            return f"T{team}", f"C{team}_{rng.randrange(CHANNELS)}"

        async def first_page(rng: random.Random) -> object:
            return await repository.recent_runs(*channel(rng))

        async def second_page(rng: random.Random) -> object:
            page = await repository.recent_runs(*channel(rng))
            return await repository.recent_runs(page.runs[0].team_id, page.runs[0].channel_id, before=page.next_before)

        async def user_page(rng: random.Random) -> object:
            team = rng.randrange(TEAMS)
            return await repository.recent_runs(f"T{team}", user_id=f"U{team}_{rng.randrange(USERS)}")

        async def search(rng: random.Random) -> object:
            team, channel_id = channel(rng)
            return await repository.recent_runs(team, channel_id, search=rng.choice(WORDS))

        async def rare_search(rng: random.Random) -> object:
            return await repository.recent_runs(None, search=f"{rng.choice(WORDS)} {rng.randint(1, runs)}")

        async def detail(rng: random.Random) -> object:
            return await repository.run_detail(rng.randint(1, runs))

        context = RunContext(repository, VoiceService(repository))

        async def taste(rng: random.Random) -> object:
            team, channel_id = channel(rng)
            return await context.taste(Origin(RunSource.SLACK, team, channel_id, "U1"))

        print(f"  {'query':<44} {'p50 ms':>8} {'p95 ms':>8}")
        for name, query in (
            ("history: channel, first page of 20", first_page),
            ("history: channel, first + next page (cursor)", second_page),
            ("history: a user's runs in a workspace", user_page),
            ("history: channel, search a product word", search),
            ("history: all runs, search a rare string", rare_search),
            ("run_detail (3 variations, votes, 4 calls)", detail),
            ("team taste: a channel's last 50 voted runs", taste),
        ):
            p50, p95 = await timed(samples, query)
            print(f"  {name:<44} {p50:>8.2f} {p95:>8.2f}")
    finally:
        await repository.aclose()


def postgres_url(given: str) -> str | None:
    if given or os.environ.get("COPYBOT_TEST_POSTGRES_URL"):
        return given or os.environ["COPYBOT_TEST_POSTGRES_URL"]
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=0.5).close()
    except OSError:
        return None
    return "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        await bench(
            "SQLite (file, WAL)", f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", args.runs, args.samples
        )

    admin_url = postgres_url(args.postgres_url)
    if admin_url is None:
        print("\nPostgreSQL: skipped (no server: pass --postgres-url or set COPYBOT_TEST_POSTGRES_URL)")
        return
    admin = make_url(admin_url)
    name = f"copybot_bench_{uuid.uuid4().hex[:8]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
        await bench("PostgreSQL (asyncpg)", url, args.runs, args.samples)
    finally:
        await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
