"""Tokens and the signing secret never reach logs or errors; missing ones are a clear startup error."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.slack.app import check_tokens
from bot.slack.server import serve
from tests.slack.conftest import Bot
from tests.support.slack_requests import SIGNING_SECRET, sign


def test_missing_tokens_name_every_variable_and_the_readme_section() -> None:
    with pytest.raises(ConfigError) as http_error:
        check_tokens(Settings.from_env({}), socket_mode=False)
    assert "SLACK_BOT_TOKEN" in str(http_error.value) and "SLACK_SIGNING_SECRET" in str(http_error.value)
    assert "Create the Slack app" in str(http_error.value)
    with pytest.raises(ConfigError) as socket_error:
        check_tokens(Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1-2"}), socket_mode=True)
    assert "SLACK_APP_TOKEN" in str(socket_error.value) and "SLACK_BOT_TOKEN" not in str(socket_error.value)


def test_malformed_tokens_are_named_but_never_shown() -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xapp-wrong-kind-of-token-1234",
            "SLACK_APP_TOKEN": "xoxb-swapped-9876",
            "SLACK_SIGNING_SECRET": "not hex at all, secret-5555",
        }
    )
    for socket_mode in (False, True):
        with pytest.raises(ConfigError) as error:
            check_tokens(settings, socket_mode=socket_mode)
        message = str(error.value)
        assert "malformed" in message
        for secret in ("1234", "9876", "5555"):
            assert secret not in message
    assert "1234" not in repr(settings) and "5555" not in repr(settings)


async def test_a_refused_token_stops_serve_at_startup_without_showing_it(bot: Bot) -> None:
    settings = replace(bot.settings, slack_bot_token="xoxb-revoked-31337", port=0)
    with pytest.raises(ConfigError) as error:
        await serve(settings, bot.services, use_socket=False)
    assert "SLACK_BOT_TOKEN" in str(error.value) and "invalid_auth" in str(error.value)
    assert "31337" not in str(error.value)


async def test_no_secret_in_the_logs_of_a_whole_session(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = bot.send.command_body("Eco water bottle")
    assert (
        await bot.send.post(body, "application/x-www-form-urlencoded", signature=sign(body, "1", "ab" * 16))
    ).status == 401
    bot.slack.rate_limit("chat.update", retry_after=0)
    await bot.send.command("Eco water bottle")
    await bot.send.command("history")
    await bot.tasks.join()
    assert bot.slack.calls_to("chat.postMessage")
    logged = caplog.text
    assert logged  # debug logging was really on
    for secret in (bot.settings.slack_bot_token, SIGNING_SECRET, bot.settings.env["ANTHROPIC_API_KEY"]):
        assert secret not in logged
