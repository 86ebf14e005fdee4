"""COPYBOT_LOG_FORMAT: text or one JSON object per line, with the run id while a run executes; secrets never
appear either way (checked on whole runs, in Slack and in the terminal, with every secret set)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from bot.logs import MASK, RUN_ID, Redactor, formatter, secrets_in
from tests.support.anthropic_api import FakeAnthropic, tag_text
from tests.support.cli import copybot
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-111-222-secretbot",
    "SLACK_APP_TOKEN": "xapp-1-A1-secretapp",
    "SLACK_CLIENT_SECRET": "clientsecret0123",
    "OPENAI_API_KEY": "openai-key-0123456789",
    "DATABASE_URL": "postgresql+asyncpg://copybot:dbpassword99@db/copybot",
}


def test_the_secrets_are_every_token_secret_key_and_the_database_password() -> None:
    found = secrets_in({**SECRETS, "ANTHROPIC_API_KEY": "sk-ant-abc123", "PORT": "3000", "COPYBOT_LLM": "auto"})
    assert sorted(found) == sorted(
        ["xoxb-111-222-secretbot", "xapp-1-A1-secretapp", "clientsecret0123", "openai-key-0123456789",
         "dbpassword99", "sk-ant-abc123"]
    )  # fmt: skip


def test_secrets_and_token_shaped_words_are_masked() -> None:
    redact = Redactor(["clientsecret0123"])
    text = "auth clientsecret0123 then xoxb-999-888-otherworkspace and xapp-1-B2-abcdef and sk-ant-api03-abcdefghijkl"
    assert redact(text) == f"auth {MASK} then {MASK} and {MASK} and {MASK}"
    assert redact("a plain sentence about xoxb tokens") == "a plain sentence about xoxb tokens"


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("bot.test", logging.WARNING, __file__, 1, message, args, None)


def test_a_json_line_has_the_fields_and_the_run_id_only_while_a_run_executes() -> None:
    json_format = formatter("json", SECRETS)
    outside = json.loads(json_format.format(record("plain %s", "line")))
    assert set(outside) == {"ts", "level", "logger", "message"}
    assert (outside["level"], outside["logger"], outside["message"]) == ("WARNING", "bot.test", "plain line")
    assert outside["ts"].endswith("+00:00")
    token = RUN_ID.set(42)
    try:
        inside = json.loads(json_format.format(record("token %s", SECRETS["SLACK_BOT_TOKEN"])))
        text = formatter("text", SECRETS).format(record("token %s", SECRETS["SLACK_BOT_TOKEN"]))
    finally:
        RUN_ID.reset(token)
    assert inside["run_id"] == 42 and inside["message"] == f"token {MASK}"
    assert text.startswith("[run 42] ") and text.endswith(f"token {MASK}") and "secretbot" not in text


def test_an_exception_is_in_the_json_message_and_masked() -> None:
    try:
        raise RuntimeError(f"refused {SECRETS['SLACK_CLIENT_SECRET']}")
    except RuntimeError:
        failed = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "crashed", (), sys.exc_info())
    line = json.loads(formatter("json", SECRETS).format(failed))
    assert "RuntimeError: refused ***" in line["message"] and "clientsecret0123" not in line["message"]


async def test_the_terminal_run_logs_json_lines_with_its_run_id_and_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPYBOT_LOG_FORMAT", "json")
    given = {k: v for k, v in SECRETS.items() if k not in ("DATABASE_URL", "SLACK_CLIENT_SECRET")}  # no OAuth half
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    async with FakeAnthropic(api_key="test-key") as fake:
        fake.on(ORCHESTRATOR, plan_reply(("playful", "technical"), "Hikers."))
        fake.on(WORKER, lambda r: f"<response>{tag_text(r.prompt, 'style')} copy</response>")
        done = await copybot(fake, tmp_path, "-v", "run", "Eco water bottle")
    assert done.code == 0, done.err
    logged = [json.loads(line) for line in done.err.splitlines() if line.startswith("{")]
    assert logged and all({"ts", "level", "logger", "message"} <= set(line) for line in logged)
    assert any(line.get("run_id") == 1 for line in logged)
    for secret in [*given.values(), "test-key"]:
        assert secret not in done.err and secret not in done.out
