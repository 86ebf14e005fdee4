"""Favourites: reactions and the Pick button, one per user per run, deduplicated by event_id."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import PICK_ACTION
from storage import Repository
from tests.slack.conftest import Bot
from tests.support.slack_api import Message
from tests.support.slack_requests import click


def reaction(kind: str, ts: str, *, user: str = "U2", emoji: str = "star", channel: str = "C1") -> dict[str, Any]:
    return {
        "type": kind,
        "user": user,
        "reaction": emoji,
        "item_user": "UBOT",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1700000100.000100",
    }


async def votes(repository: Repository, run_id: int) -> dict[int, list[tuple[str, str]]]:
    detail = await repository.run_detail(run_id)
    assert detail is not None
    return {v.position: [(vote.user_id, vote.how) for vote in v.votes] for v in detail.variations if v.votes}


async def test_a_reaction_on_a_variation_is_a_vote_that_moves_and_clears(
    bot: Bot, thread: tuple[int, str, list[Message]]
) -> None:
    run_id, _, replies = thread
    assert (await bot.send.event(reaction("reaction_added", replies[0].ts), event_id="Ev1")).status == 200
    assert await votes(bot.repository, run_id) == {1: [("U2", "star")]}
    await bot.send.event(reaction("reaction_added", replies[1].ts, emoji="+1::skin-tone-3"), event_id="Ev2")
    assert await votes(bot.repository, run_id) == {2: [("U2", "+1")]}
    await bot.send.event(reaction("reaction_removed", replies[0].ts), event_id="Ev3")  # not the current vote
    assert await votes(bot.repository, run_id) == {2: [("U2", "+1")]}
    await bot.send.event(reaction("reaction_removed", replies[1].ts, emoji="+1"), event_id="Ev4")
    assert await votes(bot.repository, run_id) == {}


async def test_removing_one_reaction_keeps_the_vote_another_reaction_cast(
    bot: Bot, thread: tuple[int, str, list[Message]]
) -> None:
    run_id, _, replies = thread
    await bot.send.event(reaction("reaction_added", replies[1].ts), event_id="Ev1")
    await bot.send.event(reaction("reaction_added", replies[1].ts, emoji="+1"), event_id="Ev2")
    await bot.send.event(reaction("reaction_removed", replies[1].ts), event_id="Ev3")  # :star: goes, :+1: stays
    assert await votes(bot.repository, run_id) == {2: [("U2", "+1")]}


async def test_a_redelivered_event_counts_once(bot: Bot, thread: tuple[int, str, list[Message]]) -> None:
    run_id, _, replies = thread
    await bot.send.event(reaction("reaction_added", replies[0].ts), event_id="EvA")
    await bot.send.event(reaction("reaction_removed", replies[0].ts), event_id="EvB")
    answer = await bot.send.event(reaction("reaction_added", replies[0].ts), event_id="EvA", retry_num=1)
    assert answer.status == 200
    assert await votes(bot.repository, run_id) == {}  # the retry of EvA did not vote again


async def test_other_messages_and_emoji_are_ignored(bot: Bot, thread: tuple[int, str, list[Message]]) -> None:
    run_id, parent_ts, replies = thread
    await bot.send.event(reaction("reaction_added", parent_ts), event_id="Ev1")
    await bot.send.event(reaction("reaction_added", replies[0].ts, emoji="tada"), event_id="Ev2")
    await bot.send.event(reaction("reaction_added", "1600000000.000001"), event_id="Ev3")
    assert await votes(bot.repository, run_id) == {}


async def test_votes_of_several_users_count_separately(bot: Bot, thread: tuple[int, str, list[Message]]) -> None:
    _, _, replies = thread
    for i, user in enumerate(("U2", "U3", "U4")):
        await bot.send.event(reaction("reaction_added", replies[2].ts, user=user), event_id=f"Ev{i}")
    (run,) = (await bot.repository.recent_runs("T1")).runs
    assert (run.favourite_position, run.favourite_votes) == (3, 3)


async def test_the_pick_button_sets_and_moves_the_users_favourite(
    bot: Bot, thread: tuple[int, str, list[Message]]
) -> None:
    run_id, _, replies = thread
    answer = await bot.send.action(click(replies[0], PICK_ACTION, bot.slack.response_url("pick")))
    assert answer.status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.responses["pick"]) == 1)
    assert "1. playful" in bot.slack.responses["pick"][0]["text"]
    assert await votes(bot.repository, run_id) == {1: [("U2", "button")]}
    await bot.send.action(click(replies[1], PICK_ACTION, bot.slack.response_url("pick")))
    await bot.slack.wait_for(lambda: len(bot.slack.responses["pick"]) == 2)
    assert await votes(bot.repository, run_id) == {2: [("U2", "button")]}
