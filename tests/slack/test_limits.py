"""Who may use copybot (COPYBOT_ALLOWED_CHANNELS / COPYBOT_ALLOWED_USERS), over real HTTP: everyone else gets an
ephemeral refusal that says why and who to ask, at every entry point that starts model work; no model call is
made, nothing is stored, and the refusal is counted by reason on GET /metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack.blocks import ANOTHER_ACTION
from tests.slack.conftest import Bot
from tests.slack.test_formats import submission
from tests.slack.test_refine import Thread, reply, worker_requests
from tests.support.metrics import scrape
from tests.support.slack_requests import click

ADMIN = "Ask the person who runs copybot for your workspace"


@pytest.fixture
def bot_env() -> dict[str, str]:
    return {"COPYBOT_ALLOWED_CHANNELS": "C1, C5", "COPYBOT_ALLOWED_USERS": "U1,U3"}


async def refusals(bot: Bot, reason: str) -> float:
    return (await scrape(bot.url)).value("copybot_refusals_total", reason=reason)


async def nothing_ran(bot: Bot) -> None:
    await bot.tasks.join()
    assert bot.llm.requests == []
    assert (await bot.repository.recent_runs(None)).runs == ()


async def test_copy_in_a_channel_not_listed_is_refused_with_why_and_who_to_ask(bot: Bot) -> None:
    answer = await bot.send.command("Eco water bottle", channel_id="C2")
    assert answer.status == 200
    assert (
        "not turned on in this conversation" in answer.body["text"]
        and "ask the person who runs" in (answer.body["text"])
    )
    assert answer.body.get("response_type", "ephemeral") == "ephemeral"
    await nothing_ran(bot)
    assert await bot.repository.mark_event_processed("request:trigger.1")  # the request was not even remembered
    assert bot.slack.calls_to("chat.postMessage") == []
    assert await refusals(bot, "channel") == 1 and await refusals(bot, "user") == 0


async def test_copy_by_a_person_not_listed_is_refused(bot: Bot) -> None:
    answer = await bot.send.command("Eco water bottle", user_id="U2")
    assert f"You are not on the list of people who may use copybot. {ADMIN} to add you." in answer.body["text"]
    await nothing_ran(bot)
    assert await refusals(bot, "user") == 1 and await refusals(bot, "channel") == 0


async def test_a_listed_person_in_a_listed_channel_runs(bot: Bot) -> None:
    answer = await bot.send.command("Eco water bottle", user_id="U3", channel_id="C5")
    assert "Writing copy" in answer.body["text"]
    await bot.tasks.join()
    assert len(bot.llm.requests) == 4  # the plan and three variations
    assert await refusals(bot, "user") == 0 and await refusals(bot, "channel") == 0


async def test_copy_alone_opens_no_form_for_someone_refused(bot: Bot) -> None:
    answer = await bot.send.command("", user_id="U2")
    assert "not on the list" in answer.body["text"]
    await nothing_ran(bot)
    assert bot.slack.calls_to("views.open") == []


async def test_a_brief_submitted_by_someone_refused_shows_why_in_the_form(bot: Bot) -> None:
    metadata = json.dumps({"channel_id": "C1", "response_url": bot.slack.response_url("brief")})
    answer = await bot.send.action(submission({"product": "Eco bottle", "variations": "2"}, metadata, user="U2"))
    assert answer.body["response_action"] == "errors"
    assert answer.body["errors"]["product"].startswith("You are not on the list of people who may use copybot.")
    await nothing_ran(bot)


def shortcut(bot: Bot, user: str, channel: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "copybot_from_message",
        "trigger_id": "trigger.42",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "name": "bob"},
        "channel": {"id": channel, "name": "launch"},
        "message": {"type": "message", "user": "U3", "ts": "1.5", "text": "Our new AquaFlask bottle"},
        "response_url": bot.slack.response_url("shortcut"),
    }


async def test_the_message_shortcut_in_a_channel_not_listed_answers_privately_and_opens_nothing(bot: Bot) -> None:
    assert (await bot.send.action(shortcut(bot, "U1", "C9"))).status == 200
    await bot.slack.wait_for(lambda: bot.slack.responses["shortcut"])
    (answer,) = bot.slack.responses["shortcut"]
    assert answer["response_type"] == "ephemeral" and "not turned on in this conversation" in answer["text"]
    await nothing_ran(bot)
    assert bot.slack.calls_to("views.open") == []
    assert (await bot.send.action(shortcut(bot, "U1", "C1"))).status == 200  # where it is on, the form opens
    await bot.slack.wait_for(lambda: len(bot.slack.views) == 1)


async def test_a_refinement_by_someone_refused_is_answered_privately_without_a_call(bot: Bot, thread: Thread) -> None:
    _, parent_ts, _ = thread
    calls = len(bot.llm.requests)
    await bot.send.event(reply("2 shorter", parent_ts, user="U2"), event_id="E1")
    await bot.tasks.join()
    assert len(bot.llm.requests) == calls and worker_requests(bot, "refine") == []
    (refused,) = bot.slack.calls_to("chat.postEphemeral")
    assert refused.params["user"] == "U2" and refused.params["thread_ts"] == parent_ts
    assert "not on the list of people" in refused.params["text"]
    assert bot.slack.calls_to("reactions.add") == []  # not even :eyes:
    await bot.send.event(reply("2 shorter", parent_ts, user="U3"), event_id="E2")  # a listed person may
    await bot.tasks.join()
    assert len(worker_requests(bot, "refine")) == 1


async def test_another_take_by_someone_refused_is_answered_privately_without_a_call(bot: Bot, thread: Thread) -> None:
    _, _, replies = thread
    calls = len(bot.llm.requests)
    await bot.send.action(click(replies[0], ANOTHER_ACTION, bot.slack.response_url("another"), user="U2"))
    await bot.tasks.join()
    assert len(bot.llm.requests) == calls
    (answer,) = bot.slack.responses["another"]
    assert answer["response_type"] == "ephemeral" and "not on the list of people" in answer["text"]
    assert await refusals(bot, "user") == 1
