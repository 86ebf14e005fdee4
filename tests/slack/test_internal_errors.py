"""No internal error reaches Slack, on SQLite and PostgreSQL: control characters never reach the database, and a
database that fails mid-run shows users one human sentence while the detail goes to the log."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.services.runs import RUN_NOT_SAVED
from storage.tables import Run
from tests.slack.conftest import Bot
from tests.storage.backends import database_url_fixture, drop_postgres_database, postgres_admin_url
from tests.storage.test_recovery import behind_the_back, read_behind_the_back
from tests.support.anthropic_api import Recorded, Reply, tag_text
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply

__all__ = ["database_url_fixture"]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
LEAKS = ("SQL", "INSERT", "UPDATE", "[parameters", "DBAPI", "Error:", "Traceback", "sqlite", "asyncpg", "copybot_test_")


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


def everything_sent(bot: Bot) -> str:
    """Every text copybot sent to Slack: Web API calls and response_url messages."""
    calls = [str(call.params) for call in bot.slack.calls]
    responses = [str(message) for replies in bot.slack.responses.values() for message in replies]
    return "\n".join(calls + responses)


def assert_no_leak(bot: Bot) -> None:
    sent = everything_sent(bot)
    assert [leak for leak in LEAKS if leak in sent] == []


async def test_control_characters_in_model_output_and_user_input_never_reach_the_database(bot: Bot) -> None:
    bot.llm.on(ORCHESTRATOR, plan_reply(("play\x00ful", "tech\x1bnical"), analysis="An\x00alysis\x07 of\r\nit"))

    def worker(record: Recorded) -> str:
        return f"<response>{tag_text(record.prompt, 'style')}: one\x00\x1b]0;PWNED\x07\n\ttwo\x7f</response>"

    bot.llm.on(WORKER, worker)
    await bot.send.command("Bott\x00le \x1b[31mred features: a\x00b, c\x08d")
    await bot.tasks.join()

    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None and detail.status == "done"
    assert (detail.product, detail.features, detail.analysis) == ("Bottle [31mred", ("ab", "cd"), "Analysis of it")
    assert [(v.type, v.text) for v in detail.variations] == [
        ("playful", "playful: one]0;PWNED\n\ttwo"),
        ("technical", "technical: one]0;PWNED\n\ttwo"),
    ]
    assert CONTROL.search(everything_sent(bot).replace("\\n", "").replace("\\t", "")) is None
    assert CONTROL.search(str(detail).replace("\n", "").replace("\t", "")) is None


async def test_a_table_failing_mid_run_shows_one_human_sentence_and_logs_the_detail(
    bot: Bot, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot.llm.on(WORKER, Reply("<response>copy</response>", latency_s=0.5))
    await bot.send.command("Eco water bottle", response="r")
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.postMessage")) == 1)
    await behind_the_back(database_url, text("ALTER TABLE variations RENAME TO variations_gone"))
    await bot.tasks.join()

    parent = next(m for m in bot.slack.messages.values() if not m.thread_ts)
    assert RUN_NOT_SAVED in parent.text.replace("&#x27;", "'").replace("&amp;", "&")
    assert_no_leak(bot)
    (error,) = await read_behind_the_back(database_url, select(Run.error))
    assert error in ("", RUN_NOT_SAVED)  # "": the variations table is gone, so the run could not be marked failed
    logged = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert logged and any("variations" in str(r.exc_info[1]) for r in logged if r.exc_info)


async def test_a_postgresql_database_dropped_mid_run_is_never_named_in_slack(
    bot: Bot, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("dropping a database is a PostgreSQL outage")
    admin = postgres_admin_url()
    assert admin is not None
    bot.llm.on(WORKER, Reply("<response>copy</response>", latency_s=0.5))
    await bot.send.command("Eco water bottle", response="r")
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.postMessage")) == 1)
    await drop_postgres_database(admin, make_url(database_url))
    await bot.tasks.join()

    parent = next(m for m in bot.slack.messages.values() if not m.thread_ts)
    assert "could not save this run" in parent.text
    assert_no_leak(bot)
    assert any(r.levelno == logging.ERROR for r in caplog.records)
