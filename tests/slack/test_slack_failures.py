"""Slack failing, over real HTTP: a 5xx or a dropped connection is retried and costs nothing; a post that still
fails is named on the thread parent and its copy goes to the requester privately."""

from __future__ import annotations

import pytest

from bot.slack.app import SERVER_ERROR_RETRIES
from tests.slack.conftest import STYLES, Bot, default_worker
from tests.support.anthropic_api import Reply
from tests.support.plans import WORKER
from tests.support.slack_api import FakeSlack


def slow_workers(bot: Bot) -> None:
    """Workers answer after 0.3 s: a test can act between the parent and the replies."""
    bot.llm.on(WORKER, lambda record: Reply(default_worker(record), latency_s=0.3))


def parent_of(slack: FakeSlack) -> str:
    (ts,) = [m.ts for m in slack.messages.values() if not m.thread_ts]
    return ts


async def assert_whole_thread(bot: Bot) -> None:
    parent = parent_of(bot.slack)
    replies = bot.slack.thread("C1", parent)
    assert [r.blocks[0]["text"]["text"] for r in replies] == [f"{i}. {s}" for i, s in enumerate(STYLES, 1)]
    assert "Done: 3/3" in bot.slack.messages[("C1", parent)].text
    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None and all(v.slack_ts for v in detail.variations)  # every variation can be voted on


async def test_one_500_on_the_thread_parent_is_retried(bot: Bot) -> None:
    bot.slack.fail("chat.postMessage", times=1)
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    await assert_whole_thread(bot)
    assert len(bot.slack.calls_to("chat.postMessage")) == 5  # the 500, its retry, then the 3 replies


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_one_5xx_on_a_reply_or_an_update_is_retried(bot: Bot, status: int) -> None:
    slow_workers(bot)
    await bot.send.command("Eco water bottle")
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.postMessage")) == 1)  # the parent
    bot.slack.fail("chat.postMessage", times=1, status=status)
    bot.slack.fail("chat.update", times=1, status=status)
    await bot.tasks.join()
    await assert_whole_thread(bot)


async def test_a_dropped_connection_is_retried(bot: Bot) -> None:
    bot.slack.drop("chat.postMessage", times=1)
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    await assert_whole_thread(bot)


async def test_a_reply_that_keeps_failing_is_named_on_the_parent_and_sent_privately(bot: Bot) -> None:
    slow_workers(bot)
    await bot.send.command("Eco water bottle", response="r")
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.postMessage")) == 1)
    bot.slack.fail("chat.postMessage", times=1 + SERVER_ERROR_RETRIES)  # the first reply and every retry of it
    await bot.tasks.join()

    parent = bot.slack.messages[("C1", parent_of(bot.slack))]
    assert [r.blocks[0]["text"]["text"] for r in bot.slack.thread("C1", parent.ts)] == ["2. technical", "3. urgent"]
    assert "2/3 posted; 1 could not be posted" in parent.text
    (private,) = bot.slack.responses["r"]
    assert private["response_type"] == "ephemeral" and "could not be posted in the thread" in private["text"]
    assert "playful copy for Eco water bottle" in str(private["blocks"])
    (run,) = (await bot.repository.recent_runs("T1")).runs
    assert run.status == "done"


async def test_a_thread_that_cannot_be_started_sends_the_copy_privately(bot: Bot) -> None:
    bot.slack.fail("chat.postMessage", times=1 + SERVER_ERROR_RETRIES)
    await bot.send.command("Eco water bottle", response="r")
    await bot.tasks.join()
    (private,) = bot.slack.responses["r"]
    assert "I wrote 3 variation(s) and stored them" in private["text"]
    assert all(f"{style} copy for Eco water bottle" in str(private["blocks"]) for style in STYLES)
