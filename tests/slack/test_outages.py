"""Database outages, over real HTTP: /healthz says which part is down (503), every handler answers with a clear
private message, and copybot works again by itself once the database is back. A deleted SQLite file is noticed."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.blocks import PICK_ACTION
from tests.slack.conftest import Bot
from tests.slack.test_favourites import reaction, votes
from tests.storage.backends import create_postgres_database, drop_postgres_database, postgres_admin_url
from tests.support.slack_api import Message
from tests.support.slack_requests import click
from tests.support.tcp_proxy import TcpProxy


def sqlite_file(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite+aiosqlite:///"))


async def health(bot: Bot) -> tuple[int, dict[str, Any]]:
    async with bot.send.session.get(f"{bot.url}/healthz") as response:
        return response.status, await response.json()


@pytest.fixture
async def proxied() -> AsyncIterator[tuple[TcpProxy, str]]:
    """A new PostgreSQL database behind a TcpProxy, and its URL through the proxy."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL: set COPYBOT_TEST_POSTGRES_URL or run a server on 127.0.0.1:5432")
    url = await create_postgres_database(admin)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    await drop_postgres_database(admin, url)


@pytest.fixture
def bot_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """PostgreSQL behind the proxy for the outage test; SQLite for the deleted-file tests."""
    if "proxied" in request.fixturenames:
        return str(request.getfixturevalue("proxied")[1])
    return f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"


@pytest.mark.postgres
async def test_a_database_outage_is_explained_everywhere_and_healed_without_a_restart(
    proxied: tuple[TcpProxy, str], bot: Bot, thread: tuple[int, str, list[Message]], caplog: pytest.LogCaptureFixture
) -> None:
    proxy, _ = proxied
    run_id, _, replies = thread
    status, report = await health(bot)
    assert (status, report["ok"], report["database"]) == (200, True, "ok")

    proxy.cut()
    status, report = await health(bot)
    assert (status, report["ok"]) == (503, False) and report["database"].startswith("down")
    assert "copybot_test" not in str(report) and "5432" not in str(report)
    history = await bot.send.command("history")
    assert history.status == 200 and "History is not available right now" in history.body["text"]
    assert (await bot.send.event(reaction("reaction_added", replies[0].ts), event_id="EvDown")).status == 200
    assert (await bot.send.action(click(replies[1], PICK_ACTION, bot.slack.response_url("pick")))).status == 200
    copy = await bot.send.command("Eco water bottle", response="down")
    assert copy.status == 200 and "cannot reach its database" in copy.body["text"]
    await bot.tasks.join()
    (told,) = [c.params["text"] for c in bot.slack.calls_to("chat.postEphemeral")]
    assert "could not record your vote" in told
    assert "could not record your vote" in bot.slack.responses["pick"][0]["text"]
    assert all(r.levelno < logging.ERROR or "failed" in r.getMessage() for r in caplog.records)

    proxy.restore()
    for _ in range(50):
        if (await health(bot))[0] == 200:
            break
        await asyncio.sleep(0.1)
    assert (await health(bot))[1]["database"] == "ok"
    assert "History is not available" not in (await bot.send.command("history")).body["text"]
    await bot.send.event(reaction("reaction_added", replies[0].ts), event_id="EvUp")
    assert await votes(bot.repository, run_id) == {1: [("U2", "star")]}
    await bot.send.command("Trail shoes")
    await bot.tasks.join()
    assert (await bot.repository.recent_runs("T1")).runs[0].status == "done"


async def test_a_deleted_sqlite_file_fails_loudly_instead_of_writing_into_nothing(
    bot: Bot, bot_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    assert (await health(bot))[0] == 200
    path = sqlite_file(bot_database_url)
    os.unlink(path)

    status, report = await health(bot)
    assert (status, report["ok"], report["database"]) == (503, False, "down: its file was deleted or replaced")
    copy = await bot.send.command("Trail shoes")
    assert "cannot reach its database" in copy.body["text"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and "deleted" in r.getMessage()]
    assert len(errors) == 1 and str(path) in errors[0]


async def test_a_replaced_sqlite_file_is_noticed_too(bot: Bot, bot_database_url: str) -> None:
    assert (await health(bot))[0] == 200
    path = sqlite_file(bot_database_url)
    os.rename(path, path.with_suffix(".old"))
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY))  # another (empty) file under the same name
    assert (await health(bot))[0] == 503
