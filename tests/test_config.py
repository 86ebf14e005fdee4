from __future__ import annotations

import pytest

from bot.config import DEFAULT_DATABASE_URL, Settings
from bot.errors import ConfigError
from bot.workflow.llm.base import Price


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.llm == "auto"
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///copybot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.orchestrator_model, settings.worker_model) == ("", "")  # the provider's defaults (test_registry)
    assert settings.max_variations == 5
    assert settings.port == 3000
    assert settings.favourite_emoji == ("star", "+1", "heart", "white_check_mark")


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "COPYBOT_LLM": "OpenAI",
            "COPYBOT_ORCHESTRATOR_MODEL": "big",
            "COPYBOT_WORKER_MODEL": "small",
            "COPYBOT_MAX_VARIATIONS": "3",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "DATABASE_URL": "postgresql+asyncpg://u:p@h/db",
            "COPYBOT_FAVOURITE_EMOJI": ":fire:, rocket",
            "COPYBOT_LIVE_TEXT": "yes",
            "PORT": "8080",
            "COPYBOT_HTTP_TIMEOUT": "2.5",
        }
    )
    assert settings.llm == "openai"
    assert (settings.orchestrator_model, settings.worker_model) == ("big", "small")
    assert settings.max_variations == 3
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.favourite_emoji == ("fire", "rocket")
    assert settings.live_text is True
    assert settings.port == 8080
    assert settings.http_timeout_s == 2.5


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"COPYBOT_LLM": "g p t"}, "COPYBOT_LLM"),
        ({"COPYBOT_MAX_VARIATIONS": "9"}, "COPYBOT_MAX_VARIATIONS"),
        ({"COPYBOT_MAX_VARIATIONS": "many"}, "COPYBOT_MAX_VARIATIONS"),
        ({"PORT": "0"}, "PORT"),
        ({"COPYBOT_WORKER_TIMEOUT": "-1"}, "COPYBOT_WORKER_TIMEOUT"),
        ({"COPYBOT_MAX_VARIATIONS": "٣"}, "COPYBOT_MAX_VARIATIONS"),  # int() takes other scripts' digits
        ({"COPYBOT_WORKER_TIMEOUT": "nan"}, "COPYBOT_WORKER_TIMEOUT"),  # float() takes nan and inf
        ({"COPYBOT_HTTP_TIMEOUT": "inf"}, "COPYBOT_HTTP_TIMEOUT"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_secrets_never_appear_in_repr() -> None:
    settings = Settings.from_env(
        {
            "ANTHROPIC_API_KEY": "sk-ant-secret",
            "SLACK_BOT_TOKEN": "xoxb-secret",
            "SLACK_SIGNING_SECRET": "sigsecret",
            "SLACK_APP_TOKEN": "xapp-secret",
            "OPENAI_API_KEY": "sk-openai-secret",
            "DATABASE_URL": "postgresql+asyncpg://user:dbpassword@db/copybot",
        }
    )
    assert settings.env["ANTHROPIC_API_KEY"] == "sk-ant-secret"  # kept for the provider, never shown
    text = repr(settings) + str(settings)
    for secret in ("sk-ant-secret", "xoxb-secret", "sigsecret", "xapp-secret", "sk-openai-secret", "dbpassword"):
        assert secret not in text


def test_the_operating_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "COPYBOT_ALLOWED_CHANNELS": "C0123ABC, C0456DEF,",
            "COPYBOT_ALLOWED_USERS": "U01",
            "COPYBOT_MONTHLY_TOKEN_BUDGET": "1000000",
            "COPYBOT_USER_DAILY_RUNS": "20",
            "COPYBOT_PRICES": "claude-sonnet-5-5=3/15, claude-haiku-5-5 = 1/5,local-model=0/0",
            "COPYBOT_METRICS_PORT": "9100",
            "COPYBOT_LOG_FORMAT": "JSON",
        }
    )
    assert settings.allowed_channels == {"C0123ABC", "C0456DEF"} and settings.allowed_users == {"U01"}
    assert (settings.monthly_token_budget, settings.user_daily_runs) == (1_000_000, 20)
    assert settings.prices == {
        "claude-sonnet-5-5": Price(3.0, 15.0),
        "claude-haiku-5-5": Price(1.0, 5.0),
        "local-model": Price(0.0, 0.0),
    }
    assert (settings.metrics_port, settings.log_format) == (9100, "json")
    default = Settings.from_env({})
    assert (default.allowed_channels, default.allowed_users, default.prices) == (frozenset(), frozenset(), {})
    assert (default.monthly_token_budget, default.user_daily_runs, default.metrics_port) == (None, None, None)
    assert default.log_format == "text"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("COPYBOT_ALLOWED_CHANNELS", "C01,#general", "is not a Slack id"),
        ("COPYBOT_ALLOWED_USERS", "@ann", "is not a Slack id"),
        ("COPYBOT_MONTHLY_TOKEN_BUDGET", "0", "out of range"),
        ("COPYBOT_MONTHLY_TOKEN_BUDGET", "1e6", "not a whole number"),
        ("COPYBOT_MONTHLY_TOKEN_BUDGET", "1,000,000", "not a whole number"),
        ("COPYBOT_USER_DAILY_RUNS", "-1", "out of range"),
        ("COPYBOT_USER_DAILY_RUNS", "lots", "not a whole number"),
        ("COPYBOT_PRICES", "claude-sonnet-5-5=3", "cannot read"),
        ("COPYBOT_PRICES", "claude-sonnet-5-5=3/15/2", "cannot read"),
        ("COPYBOT_PRICES", "claude-sonnet-5-5:3/15", "cannot read"),
        ("COPYBOT_PRICES", "claude-sonnet-5-5=$3/$15", "cannot read"),
        ("COPYBOT_PRICES", "a=1/2,a=1/2", "names a twice"),
        ("COPYBOT_METRICS_PORT", "70000", "out of range"),
        ("COPYBOT_LOG_FORMAT", "xml", "is not one of text, json"),
    ],
)
def test_bad_operating_values_name_the_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env({name: value})
    assert name in str(error.value) and says in str(error.value)
