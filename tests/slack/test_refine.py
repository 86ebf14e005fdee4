"""Refining in the thread, over real HTTP: a reply in a run's thread makes a new, pickable version in that thread."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import pytest

from bot.slack.blocks import ANOTHER_ACTION, PICK_ACTION
from storage import Repository
from tests.slack.conftest import STYLES, Bot
from tests.support.anthropic_api import Recorded, Reply, max_overlap, tag_text
from tests.support.plans import WORKER
from tests.support.slack_api import Message
from tests.support.slack_requests import click

Thread = tuple[int, str, list[Message]]
_ts = itertools.count(1)


def reply(text: str, thread_ts: str, *, ts: str = "", user: str = "U2", **extra: Any) -> dict[str, Any]:
    """A person's message in a thread, as Slack's `message` event carries it."""
    return {
        "type": "message",
        "channel": "C1",
        "user": user,
        "text": text,
        "ts": ts or f"800.{next(_ts):06d}",
        "thread_ts": thread_ts,
        "channel_type": "channel",
        "event_ts": ts,
        **extra,
    }


def worker_requests(bot: Bot, prompt_name: str) -> list[Recorded]:
    marker = {"refine": "<reviewer_request>", "another": "<earlier_versions>"}[prompt_name]
    return [r for r in bot.llm.requests_for(WORKER) if marker in r.prompt]


def headers(messages: list[Message]) -> list[str]:
    return [m.blocks[0]["text"]["text"] for m in messages if m.blocks and m.blocks[0]["type"] == "header"]


async def versions(repository: Repository, run_id: int) -> list[tuple[int, str, str, int | None, str, str]]:
    detail = await repository.run_detail(run_id)
    assert detail is not None
    return [
        (v.position, v.kind, v.status, v.parent_position, v.instruction, v.requested_by)
        for v in detail.variations
        if v.parent_position is not None
    ]


async def test_a_reply_naming_a_variation_posts_a_new_version_in_the_thread(bot: Bot, thread: Thread) -> None:
    run_id, parent_ts, _ = thread
    answer = await bot.send.event(reply("2 shorter, and mention the warranty", parent_ts, ts="500.1"), event_id="E1")
    assert answer.status == 200
    await bot.tasks.join()

    (request,) = worker_requests(bot, "refine")
    assert tag_text(request.prompt, "reviewer_request") == "shorter, and mention the warranty"
    assert tag_text(request.prompt, "copy").strip() == "technical copy for Eco water bottle"  # variation 2's text
    assert "playful copy" not in request.prompt and "urgent copy" not in request.prompt  # only the base's text
    new = [m for m in bot.slack.thread("C1", parent_ts) if headers([m]) and headers([m])[0].startswith("4.")]
    assert headers(new) == ["4. technical (from 2: shorter, and mention the warranty)"]
    actions = [e["action_id"] for b in new[0].blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == [PICK_ACTION, ANOTHER_ACTION]
    assert [(c.params["name"], c.params["timestamp"]) for c in bot.slack.calls_to("reactions.add")] == [
        ("eyes", "500.1")
    ]
    assert [c.params["timestamp"] for c in bot.slack.calls_to("reactions.remove")] == ["500.1"]
    assert await versions(bot.repository, run_id) == [
        (4, "refine", "done", 2, "shorter, and mention the warranty", "U2")
    ]
    (summary,) = (await bot.repository.recent_runs("T1")).runs
    assert summary.variation_count == len(STYLES)  # history counts the originals only


@pytest.mark.parametrize("text", ["#3 punchier", "3: punchier", "3. punchier", "v3 punchier", "<@UBOT> 3 punchier"])
async def test_every_way_of_naming_the_variation_works(bot: Bot, thread: Thread, text: str) -> None:
    run_id, parent_ts, _ = thread
    await bot.send.event(reply(text, parent_ts), event_id="E1")
    await bot.tasks.join()
    assert await versions(bot.repository, run_id) == [(4, "refine", "done", 3, "punchier", "U2")]


async def test_without_a_number_the_authors_favourite_is_refined_else_they_are_asked(bot: Bot, thread: Thread) -> None:
    run_id, parent_ts, replies = thread
    await bot.send.event(reply("more playful", parent_ts, user="U3"), event_id="E1")
    await bot.tasks.join()
    (asked,) = bot.slack.calls_to("chat.postEphemeral")
    assert (
        asked.params["user"] == "U3" and "Which variation" in asked.params["text"] and "1, 2, 3" in asked.params["text"]
    )
    assert worker_requests(bot, "refine") == []  # no model call

    await bot.send.action(click(replies[2], PICK_ACTION, bot.slack.response_url("pick"), user="U3"))
    await bot.send.event(reply("more playful", parent_ts, user="U3"), event_id="E2")
    await bot.tasks.join()
    assert await versions(bot.repository, run_id) == [(4, "refine", "done", 3, "more playful", "U3")]


async def test_pick_and_reactions_work_on_a_new_version_and_move_the_vote(bot: Bot, thread: Thread) -> None:
    run_id, parent_ts, replies = thread
    await bot.send.action(click(replies[0], PICK_ACTION, bot.slack.response_url("pick")))
    await bot.send.event(reply("1 shorter", parent_ts), event_id="E1")
    await bot.tasks.join()
    (new,) = [m for m in bot.slack.thread("C1", parent_ts) if headers([m])[0].startswith("4.")]
    await bot.send.action(click(new, PICK_ACTION, bot.slack.response_url("pick")))
    await bot.slack.wait_for(lambda: len(bot.slack.responses["pick"]) == 2)
    detail = await bot.repository.run_detail(run_id)
    assert detail is not None
    assert {v.position: [vote.user_id for vote in v.votes] for v in detail.variations if v.votes} == {4: ["U2"]}
    (summary,) = (await bot.repository.recent_runs("T1")).runs
    assert (summary.favourite_position, summary.favourite_type) == (4, "playful")


async def test_one_message_delivered_as_message_app_mention_and_a_retry_makes_one_call(
    bot: Bot, thread: Thread
) -> None:
    _, parent_ts, _ = thread
    message = reply("<@UBOT> 2 shorter", parent_ts, ts="600.1")
    mention = {**message, "type": "app_mention"}
    await bot.send.event(message, event_id="E1")
    await bot.send.event(mention, event_id="E2")
    await bot.send.event(message, event_id="E1", retry_num=1)
    await bot.tasks.join()
    assert len(worker_requests(bot, "refine")) == 1


@pytest.mark.parametrize(
    "event",
    [
        reply("2 shorter", "999.999"),  # a thread that is not a copybot run
        {"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "1.1", "message": {"text": "2 x"}},
        {"type": "message", "subtype": "message_deleted", "channel": "C1", "ts": "1.1", "deleted_ts": "1.0"},
        {"type": "message", "channel": "C1", "user": "U2", "text": "2 shorter", "ts": "700.1"},  # not in a thread
    ],
)
async def test_other_messages_make_no_call_store_nothing_and_log_no_text(
    bot: Bot, thread: Thread, event: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert (await bot.send.event(event, event_id="E9")).status == 200
    await bot.tasks.join()
    assert worker_requests(bot, "refine") == [] and bot.slack.calls_to("reactions.add") == []
    assert "2 shorter" not in caplog.text and "2 x" not in caplog.text
    assert await bot.repository.mark_event_processed(f"msg:C1:{event['ts']}")  # never claimed


async def test_a_bot_message_in_the_thread_is_ignored(bot: Bot, thread: Thread) -> None:
    _, parent_ts, _ = thread
    await bot.send.event(reply("2 shorter", parent_ts, bot_id="B1"), event_id="E1")
    await bot.send.event(reply("2 shorter", parent_ts, user="UBOT"), event_id="E2")
    await bot.tasks.join()
    assert worker_requests(bot, "refine") == []


async def test_three_refinements_at_once_run_concurrently_and_take_the_next_numbers(bot: Bot, thread: Thread) -> None:
    run_id, parent_ts, _ = thread
    bot.llm.on(
        WORKER, lambda r: Reply(f"<response>v of {tag_text(r.prompt, 'reviewer_request')}</response>", latency_s=0.5)
    )
    await asyncio.gather(*(bot.send.event(reply(f"{n} shorter", parent_ts), event_id=f"E{n}") for n in (1, 2, 3)))
    await bot.tasks.join()
    assert max_overlap(worker_requests(bot, "refine")) == 3
    assert sorted(position for position, *_ in await versions(bot.repository, run_id)) == [4, 5, 6]


@pytest.mark.parametrize("bot_env", [{"COPYBOT_MAX_REFINEMENTS": "1"}])
async def test_past_the_limit_a_polite_refusal_and_no_call(bot: Bot, thread: Thread) -> None:
    _, parent_ts, _ = thread
    await bot.send.event(reply("1 shorter", parent_ts), event_id="E1")
    await bot.tasks.join()
    await bot.send.event(reply("2 shorter", parent_ts), event_id="E2")
    await bot.tasks.join()
    assert len(worker_requests(bot, "refine")) == 1
    (refused,) = bot.slack.calls_to("chat.postEphemeral")
    assert "already has 1 new versions" in refused.params["text"] and refused.params["thread_ts"] == parent_ts


async def test_a_too_long_instruction_is_refused_without_a_call(bot: Bot, thread: Thread) -> None:
    _, parent_ts, _ = thread
    await bot.send.event(reply("2 " + "much shorter " * 100, parent_ts), event_id="E1")
    await bot.tasks.join()
    assert worker_requests(bot, "refine") == []
    (refused,) = bot.slack.calls_to("chat.postEphemeral")
    assert "the limit is 1,000" in refused.params["text"]


async def test_a_failed_refinement_is_a_failure_reply_in_the_thread(bot: Bot, thread: Thread) -> None:
    _, parent_ts, _ = thread
    bot.llm.on(WORKER, Reply(status=400))
    await bot.send.event(reply("2 shorter", parent_ts), event_id="E1")
    await bot.tasks.join()
    (failure,) = [m for m in bot.slack.thread("C1", parent_ts) if "could not be written" in m.text]
    assert "4. technical (from 2: shorter)" in failure.text
    assert [c.params["timestamp"] for c in bot.slack.calls_to("reactions.remove")] == [
        c.params["timestamp"] for c in bot.slack.calls_to("reactions.add")
    ]


async def test_another_take_writes_the_style_anew_seeing_its_earlier_texts(bot: Bot, thread: Thread) -> None:
    run_id, parent_ts, replies = thread
    await bot.send.action(click(replies[0], ANOTHER_ACTION, bot.slack.response_url("another")))
    await bot.tasks.join()
    (request,) = worker_requests(bot, "another")
    assert tag_text(request.prompt, "style") == "playful"
    assert "playful copy for Eco water bottle" in tag_text(request.prompt, "earlier_versions")
    assert "technical copy" not in request.prompt  # only the earlier texts of its style
    new = [m for m in bot.slack.thread("C1", parent_ts) if headers([m])[0].startswith("4.")]
    assert headers(new) == ["4. playful (another take on 1)"]
    assert await versions(bot.repository, run_id) == [(4, "another", "done", 1, "", "U2")]
