"""Escape sequences sent to /copy (over real HTTP) never reach the operator's terminal through any command."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.slack.conftest import Bot
from tests.support.serve import ROOT

HOSTILE = "Ctl \x1b]0;PWNED\x07 \x1b[31mred"


async def copybot(database_url: str, *argv: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode() + err.decode()


async def test_a_hostile_product_is_shown_harmlessly_by_every_history_command(bot: Bot, bot_database_url: str) -> None:
    bot.llm.on("fake-worker", "<response>\x1b[2J\x1b]0;PWNED\x07 copy</response>")
    assert (await bot.send.command(HOSTILE)).status == 200
    await bot.tasks.join()
    (run,) = (await bot.repository.recent_runs("T1")).runs
    for argv in (
        ("history",),
        ("history", "--json"),
        ("history", "show", str(run.id)),
        ("history", "show", str(run.id), "--json"),
    ):
        printed = await copybot(bot_database_url, *argv)
        assert "PWNED" in printed, argv
        assert "\x1b" not in printed and "\x07" not in printed, argv
