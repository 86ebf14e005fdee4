"""Real `copybot serve` processes stopped and killed mid-run: a thread is never left unfinished. What a stopped
process still owed Slack (a post waiting out a 429) is finished at the next start, and the log says which; after
a crash the next start posts what was written and tells the thread it was interrupted, with a Retry button."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.slack.parent import RETRY_ACTION
from storage import DatabaseConfig, Repository, open_repository
from tests.slack.conftest import STYLES, default_worker
from tests.support.anthropic_api import FakeAnthropic, Reply, tag_text
from tests.support.plans import WORKER
from tests.support.serve import copybot_serve, serve_env
from tests.support.slack_api import FakeSlack, Message
from tests.support.slack_requests import Sender


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[str, Repository]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"
    repository = await open_repository(DatabaseConfig.parse(url))
    yield url, repository
    await repository.aclose()


def parent(slack: FakeSlack) -> Message:
    (found,) = [m for m in slack.messages.values() if not m.thread_ts]
    return found


def headings(slack: FakeSlack, parent_ts: str) -> list[str]:
    return [r.blocks[0]["text"]["text"] for r in slack.thread("C1", parent_ts)]


async def test_a_post_waiting_out_a_429_at_shutdown_is_finished_by_the_next_start(
    slack: FakeSlack, llm: FakeAnthropic, database: tuple[str, Repository], tmp_path: Path
) -> None:
    url, repository = database
    env = serve_env(slack, llm.url, url, COPYBOT_SHUTDOWN_GRACE="1")
    async with copybot_serve(env, log=tmp_path / "first.log") as first, aiohttp.ClientSession() as session:
        slack.rate_limit("chat.postMessage", times=1, retry_after=30)  # the thread parent waits 30 s
        await Sender(session, first.url, slack).command("Eco water bottle")
        await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) == 1, within=10)
        for _ in range(100):  # the run itself is written and stored while its thread waits on Slack
            if [r.status for r in (await repository.recent_runs("T1")).runs] == ["done"]:
                break
            await asyncio.sleep(0.05)
        assert await first.stop() == 0
    logged = first.logged()
    assert "the threads they owed are finished at the next start" in logged
    assert "stored as interrupted" not in logged
    (run,) = (await repository.recent_runs("T1")).runs
    detail = await repository.run_detail(run.id)
    assert detail is not None and (detail.status, detail.slack_owed) == ("done", True)
    assert slack.messages == {}  # nothing was posted

    async with copybot_serve(env, log=tmp_path / "second.log") as second:
        await slack.wait_for(lambda: any("Done: 3/3" in m.text for m in slack.messages.values()), within=15)
        await delivered(repository, run.id)
    assert headings(slack, parent(slack).ts) == [f"{i}. {s}" for i, s in enumerate(STYLES, 1)]
    assert "finished 1 Slack thread(s)" in second.logged()
    healed = await repository.run_detail(run.id)
    assert healed is not None and not healed.slack_owed and all(v.slack_ts for v in healed.variations)


async def delivered(repository: Repository, run_id: int) -> None:
    """Wait until the run's thread owes nothing (the healing process marks it once it has posted everything)."""
    for _ in range(100):
        detail = await repository.run_detail(run_id)
        if detail is not None and not detail.slack_owed:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id}'s thread is still owed posts")


def retry_click(message: Message, response_url: str, trigger_id: str) -> dict[str, Any]:
    button = message.blocks[-1]["elements"][0]
    return {
        "type": "block_actions",
        "user": {"id": "U7", "username": "bea", "team_id": "T1"},
        "team": {"id": "T1", "domain": "acme"},
        "container": {"type": "message", "message_ts": message.ts, "channel_id": "C1"},
        "channel": {"id": "C1"},
        "message": {"ts": message.ts, "blocks": message.blocks},
        "trigger_id": trigger_id,
        "response_url": response_url,
        "actions": [{"action_id": button["action_id"], "block_id": "copybot_retry", "value": button["value"]}],
    }


async def test_after_a_crash_the_next_start_posts_what_was_written_and_offers_a_retry(
    slack: FakeSlack, llm: FakeAnthropic, database: tuple[str, Repository], tmp_path: Path
) -> None:
    url, repository = database

    def slow_urgent(record: Any) -> Reply:  # "urgent" is still being written when the bot dies
        latency = 60.0 if tag_text(record.prompt, "style") == "urgent" else 0.0
        return Reply(default_worker(record), latency_s=latency)

    llm.on(WORKER, slow_urgent)
    env = serve_env(slack, llm.url, url)
    async with copybot_serve(env, log=tmp_path / "first.log") as first, aiohttp.ClientSession() as session:
        await Sender(session, first.url, slack).command("Eco water bottle audience: hikers")
        await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) == 1, within=10)  # the parent
        slack.rate_limit("chat.postMessage", times=1, retry_after=30)  # the first reply waits on Slack
        await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) == 2, within=10)
        for _ in range(100):  # two variations are written and stored, none is posted
            (run,) = (await repository.recent_runs("T1")).runs
            if run.done_count == 2:
                break
            await asyncio.sleep(0.05)
        await first.stop(signal.SIGKILL)
    assert headings(slack, parent(slack).ts) == [] and "Done" not in parent(slack).text  # in progress, forever

    llm.on(WORKER, default_worker)
    async with copybot_serve(env, log=tmp_path / "second.log") as second, aiohttp.ClientSession() as session:
        await slack.wait_for(lambda: "Interrupted" in parent(slack).text, within=15)
        await delivered(repository, run.id)
        thread = parent(slack)
        assert "Run `/copy Eco water bottle audience: hikers` again" in thread.text
        assert thread.blocks[-1]["elements"][0]["action_id"] == RETRY_ACTION
        assert headings(slack, thread.ts) == ["1. playful", "2. technical"]  # written before the crash
        detail = await repository.run_detail(run.id)
        assert detail is not None and detail.status == "interrupted" and not detail.slack_owed

        sender = Sender(session, second.url, slack)
        click = retry_click(thread, slack.response_url("retry"), trigger_id="trigger.retry.1")
        assert (await sender.action(click)).status == 200
        assert (await sender.action(click)).status == 200  # replayed: acted on once
        await slack.wait_for(lambda: sum("Done: 3/3" in m.text for m in slack.messages.values()) == 1, within=15)
        await slack.wait_for(lambda: len(slack.responses["retry"]) == 2, within=5)
    first_answer, replay_answer = (r["text"] for r in slack.responses["retry"])
    assert "again" in first_answer and "already received" in replay_answer
    runs = (await repository.recent_runs("T1")).runs
    assert [(r.user_id, r.status, r.product) for r in runs] == [
        ("U7", "done", "Eco water bottle"),
        ("U1", "interrupted", "Eco water bottle"),
    ]
    retried = await repository.run_detail(runs[0].id)
    assert retried is not None and retried.audience == "hikers"
