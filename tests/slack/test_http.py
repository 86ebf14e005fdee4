"""The HTTP surface: signature checks, health check, help and malformed options (no model call)."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

from tests.slack.conftest import Bot
from tests.support.slack_requests import SIGNING_SECRET, sign


def test_our_signatures_are_the_ones_slack_sdk_verifies() -> None:
    ts = str(int(time.time()))
    body = "command=%2Fcopy&text=hello"
    verifier = SignatureVerifier(SIGNING_SECRET)
    assert verifier.is_valid(body, ts, sign(body, ts))
    assert not verifier.is_valid(body, ts, sign(body, ts, secret="00" * 16))


async def test_bad_signature_is_refused_with_401_and_nothing_runs(bot: Bot) -> None:
    body = bot.send.command_body("Eco water bottle")
    answer = await bot.send.post(body, "application/x-www-form-urlencoded", signature=sign(body, "1", "ab" * 16))
    assert answer.status == 401
    await bot.tasks.join()
    assert bot.llm.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []
    assert (await bot.repository.recent_runs("T1")).runs == ()


async def test_a_request_older_than_five_minutes_is_refused(bot: Bot) -> None:
    stale = int(time.time()) - 5 * 60 - 10
    body = bot.send.command_body("Eco water bottle")
    answer = await bot.send.post(body, "application/x-www-form-urlencoded", timestamp=stale)
    assert answer.status == 401
    await bot.tasks.join()
    assert bot.llm.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_healthz_answers_json(bot: Bot) -> None:
    async with bot.send.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["ok"] is True


async def test_help_shows_usage_and_an_empty_command_opens_the_brief_form_without_a_model_call(bot: Bot) -> None:
    answer = await bot.send.command("help")
    assert answer.status == 200
    assert "/copy history" in answer.body["text"] and ":star: :+1: :heart: :white_check_mark:" in answer.body["text"]
    assert "google-ads" in answer.body["text"]  # the formats are listed
    for text in ("", "   "):
        assert (await bot.send.command(text)).status == 200
    await bot.tasks.join()
    assert [c.params["trigger_id"] for c in bot.slack.calls_to("views.open")] == ["trigger.2", "trigger.3"]
    assert bot.llm.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_malformed_options_are_explained_without_a_model_call(bot: Bot) -> None:
    answer = await bot.send.command("Eco bottle variations: 9")
    assert answer.status == 200
    assert "variations: 9" in answer.body["text"] and "1 to 5" in answer.body["text"]
    await bot.tasks.join()
    assert bot.llm.requests == []


async def test_the_events_url_answers_slacks_url_verification(bot: Bot) -> None:
    body = '{"token": "deprecated-verification-token", "challenge": "3eZbrw1aBm2rZgRNFdxV", "type": "url_verification"}'
    answer = await bot.send.post(body, "application/json")
    assert answer.status == 200 and answer.body == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}
