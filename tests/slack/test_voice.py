"""The brand voice from Slack, over real HTTP: text commands and the form reach the next run's prompts (only in
their workspace and channel), editors are enforced, and App Home shows the team's figures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.slack.conftest import Bot
from tests.support.anthropic_api import Recorded
from tests.support.plans import ORCHESTRATOR, WORKER


def last_prompts(bot: Bot) -> tuple[str, str]:
    orchestrator: Recorded = bot.llm.requests_for(ORCHESTRATOR)[-1]
    worker: Recorded = bot.llm.requests_for(WORKER)[-1]
    return orchestrator.prompt, worker.prompt


async def test_a_voice_set_by_text_commands_reaches_both_prompts_of_the_next_run_in_its_scope(bot: Bot) -> None:
    answers = [
        await bot.send.command("voice set Warm, plain-spoken, never hype."),
        await bot.send.command("voice ban cheap, best ever"),
        await bot.send.command("voice channel require AquaFlask™", channel_id="C1"),
    ]
    assert all("Saved" in a.body["text"] for a in answers)
    shown = await bot.send.command("voice show")
    assert "Warm, plain-spoken, never hype." in shown.body["text"] and "cheap, best ever" in shown.body["text"]

    await bot.send.command("Eco bottle", channel_id="C1")
    await bot.tasks.join()
    for prompt in last_prompts(bot):
        assert "<voice>Warm, plain-spoken, never hype.</voice>" in prompt
        assert "<banned_terms>cheap, best ever</banned_terms>" in prompt
        assert "<required_spellings>AquaFlask™</required_spellings>" in prompt
    await bot.send.command("Eco bottle", channel_id="C2")  # the workspace's voice, not C1's spellings
    await bot.tasks.join()
    assert "<required_spellings>not specified</required_spellings>" in last_prompts(bot)[0]
    await bot.send.command("Eco bottle", team_id="T9")  # another workspace: no voice at all
    await bot.tasks.join()
    assert "brand_voice" not in last_prompts(bot)[0]


@pytest.mark.parametrize("bot_env", [{"COPYBOT_VOICE_EDITORS": "U7"}])
async def test_only_editors_may_change_it_others_get_a_polite_refusal(bot: Bot) -> None:
    refused = await bot.send.command("voice set Loud!", user_id="U1")
    assert "Only the people in COPYBOT_VOICE_EDITORS" in refused.body["text"]
    assert "Saved" in (await bot.send.command("voice set Calm.", user_id="U7")).body["text"]
    assert "Calm." in (await bot.send.command("voice show", user_id="U1")).body["text"]  # anyone may look


async def test_copy_voice_opens_the_form_and_its_submission_saves_a_new_version(bot: Bot) -> None:
    await bot.send.command("voice set Warm.")
    assert (await bot.send.command("voice channel")).status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.views) == 1)
    view = bot.slack.views[0]
    assert view["callback_id"] == "copybot_voice" and json.loads(view["private_metadata"])["channel_id"] == "C1"
    values: dict[str, Any] = {
        "text": {"value": {"type": "plain_text_input", "value": "For hikers."}},
        "banned": {"value": {"type": "plain_text_input", "value": "cheap\nflimsy"}},
        "required": {"value": {"type": "plain_text_input", "value": None}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "copybot_voice",
            "private_metadata": view["private_metadata"],
            "state": {"values": values},
        },
    }
    answer = await bot.send.action(payload)
    assert answer.status == 200 and answer.body in ({}, {"text": ""})
    shown = await bot.send.command("voice channel show")
    assert "For hikers." in shown.body["text"] and "cheap, flimsy" in shown.body["text"]
    assert "Warm." in (await bot.send.command("voice show")).body["text"]  # the workspace's is untouched


async def test_a_bad_voice_command_says_how_to_use_it(bot: Bot) -> None:
    answer = await bot.send.command("voice shout louder")
    assert "`voice shout` is not a voice command" in answer.body["text"]
    answer = await bot.send.command("voice ban")
    assert "Say which terms to ban" in answer.body["text"]


async def test_app_home_shows_a_brief_button_your_runs_winning_styles_the_voice_and_usage(bot: Bot) -> None:
    await bot.send.command("voice set Warm and plain.")
    await bot.send.command("Eco bottle", user_id="U1")
    await bot.tasks.join()
    (run,) = (await bot.repository.recent_runs("T1")).runs
    await bot.repository.set_favourite(run.id, 2, "U2", "star")
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1.1"}
    assert (await bot.send.event(event, event_id="EvHome")).status == 200
    await bot.slack.wait_for(lambda: "U1" in bot.slack.home)
    home = json.dumps(bot.slack.home["U1"], ensure_ascii=False)
    assert "copybot_new_brief" in home and "copybot_edit_voice" in home
    assert "Eco bottle" in home and "|thread>" in home
    assert "technical: 1 win (1 vote)" in home and "█" * 20 in home
    assert "Warm and plain." in home
    assert "1 run, 3 variations" in home and "tokens" in home
