"""/copy history: scoped to the workspace and channel (a DM: the user's own), with favourites and links."""

from __future__ import annotations

from tests.slack.conftest import Bot


async def _runs(bot: Bot) -> None:
    for text, fields in (
        ("Eco water bottle", {"team_id": "T1", "channel_id": "C1", "user_id": "U1"}),
        ("Trail shoes", {"team_id": "T1", "channel_id": "C1", "user_id": "U2"}),
        ("Coffee grinder", {"team_id": "T1", "channel_id": "C2", "user_id": "U1"}),
        ("Secret launch", {"team_id": "T2", "channel_id": "C1", "user_id": "U1"}),
    ):
        await bot.send.command(text, **fields)
        await bot.tasks.join()


async def test_history_lists_this_channels_runs_of_this_workspace_only(two_workspaces: Bot) -> None:
    bot = two_workspaces
    await _runs(bot)
    answer = await bot.send.command("history", team_id="T1", channel_id="C1")
    text = answer.body["text"]
    assert "Eco water bottle" in text and "Trail shoes" in text
    assert "Coffee grinder" not in text and "Secret launch" not in text
    assert "(3/3 variations)" in text and "<@U2>" in text
    assert "https://acme.slack.com/archives/C1/p1700000000" in text
    other = await bot.send.command("history", team_id="T2", channel_id="C1")
    assert "Secret launch" in other.body["text"] and "Eco water bottle" not in other.body["text"]
    assert answer.body.get("response_type", "ephemeral") == "ephemeral"


async def test_history_count_mine_and_search(bot: Bot) -> None:
    await _runs(bot)
    one = (await bot.send.command("history 1", team_id="T1", channel_id="C1")).body["text"]
    assert ("Trail shoes" in one) != ("Eco water bottle" in one)
    mine = (await bot.send.command("history mine", team_id="T1", channel_id="C1", user_id="U2")).body["text"]
    assert "Trail shoes" in mine and "Eco water bottle" not in mine
    found = (await bot.send.command("history water", team_id="T1", channel_id="C1")).body["text"]
    assert "Eco water bottle" in found and "Trail shoes" not in found
    none = (await bot.send.command("history kayak", team_id="T1", channel_id="C1")).body["text"]
    assert "No copy runs yet" in none


async def test_history_in_a_dm_shows_the_users_own_runs_in_the_workspace(bot: Bot) -> None:
    await _runs(bot)
    text = (await bot.send.command("history", team_id="T1", channel_id="D9", user_id="U1")).body["text"]
    assert "Eco water bottle" in text and "Coffee grinder" in text
    assert "Trail shoes" not in text and "Secret launch" not in text


async def test_history_shows_the_favourite_and_its_votes(bot: Bot) -> None:
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None
    technical = next(v for v in detail.variations if v.type == "technical")
    for i, user in enumerate(("U2", "U3")):
        event = {
            "type": "reaction_added",
            "user": user,
            "reaction": "heart",
            "item_user": "UBOT",
            "item": {"type": "message", "channel": "C1", "ts": technical.slack_ts},
            "event_ts": "1.2",
        }
        await bot.send.event(event, event_id=f"Ev{i}")
    text = (await bot.send.command("history")).body["text"]
    assert "technical (2 votes)" in text
    assert bot.llm.requests and len(bot.llm.requests) == 4  # history itself called no model
