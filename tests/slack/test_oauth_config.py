"""OAuth mode's settings: when it is on, what it needs, and clear errors (naming variables, never values)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.slack.app import check_tokens

SECRET = "0123456789abcdef0123456789abcdef"
OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": SECRET, "SLACK_SIGNING_SECRET": "ab" * 16}


def test_oauth_mode_needs_both_client_credentials_and_no_bot_token() -> None:
    settings = Settings.from_env(OAUTH)
    assert settings.oauth and (settings.slack_client_id, settings.slack_client_secret) == ("1111.2222", SECRET)
    assert settings.purge_on_uninstall is False and settings.slack_redirect_uri == ""
    check_tokens(settings, socket_mode=False)  # no SLACK_BOT_TOKEN needed
    assert not Settings.from_env({}).oauth
    assert not Settings.from_env({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1-2"}).oauth
    assert SECRET not in repr(settings)
    redirect = "https://copybot.example.com/slack/oauth_redirect"
    tuned = Settings.from_env({**OAUTH, "COPYBOT_PURGE_ON_UNINSTALL": "on", "SLACK_REDIRECT_URI": redirect})
    assert tuned.purge_on_uninstall and tuned.slack_redirect_uri == redirect


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SLACK_CLIENT_ID": "1111.2222"}, "SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not"),
        ({"SLACK_CLIENT_SECRET": SECRET}, "SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not"),
        ({"COPYBOT_PURGE_ON_UNINSTALL": "sometimes"}, "COPYBOT_PURGE_ON_UNINSTALL='sometimes' is not on or off"),
    ],
)
def test_a_half_configured_oauth_mode_is_refused_at_once(env: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError, match=said) as error:
        Settings.from_env(env)
    assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    ("env", "socket_mode", "said"),
    [
        ({**OAUTH, "SLACK_CLIENT_ID": "not-an-id"}, False, "SLACK_CLIENT_ID is malformed"),
        ({**OAUTH, "SLACK_CLIENT_SECRET": "secret words 31337"}, False, "SLACK_CLIENT_SECRET is malformed"),
        ({**OAUTH, "SLACK_SIGNING_SECRET": ""}, False, "SLACK_SIGNING_SECRET is not set"),
        ({**OAUTH, "SLACK_APP_TOKEN": "xapp-1-2"}, True, "serves the install pages over HTTP"),
        ({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1-2"}, False, "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID"),
    ],
)
def test_serving_refuses_what_oauth_mode_cannot_run_with(env: dict[str, str], socket_mode: bool, said: str) -> None:
    with pytest.raises(ConfigError, match=said) as error:
        check_tokens(Settings.from_env(env), socket_mode=socket_mode)
    assert "31337" not in str(error.value) and SECRET not in str(error.value)
