"""A whole Slack run logged at DEBUG as COPYBOT_LOG_FORMAT formats it: JSON lines carry the run's id (text lines
show `[run N]`), and neither format ever shows a token, the signing secret or the API key."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import MASK, formatter
from tests.slack.conftest import Bot
from tests.support.slack_requests import SIGNING_SECRET


@pytest.fixture
def handler() -> Iterator[logging.StreamHandler[io.StringIO]]:
    """A handler on the root logger, at DEBUG, writing into a string (its `stream`)."""
    handler = logging.StreamHandler(io.StringIO())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize("log_format", ["json", "text"])
async def test_a_slack_run_logs_its_run_id_and_no_secret(
    bot: Bot, handler: logging.StreamHandler[io.StringIO], log_format: str
) -> None:
    handler.setFormatter(formatter(log_format, bot.settings.env))
    bot.slack.rate_limit("chat.update", retry_after=0)
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    logging.getLogger("bot.test").warning("the bot token is %s", bot.settings.slack_bot_token)  # masked too
    (run,) = (await bot.repository.recent_runs("T1")).runs
    logged = handler.stream.getvalue()
    lines = logged.splitlines()
    assert len(lines) > 10  # debug logging was on: the SDKs' requests are there
    if log_format == "json":
        parsed = [json.loads(line) for line in lines if line.startswith("{")]
        assert {line.get("run_id") for line in parsed} >= {run.id}
        assert all({"ts", "level", "logger", "message"} <= set(line) <= {"ts", "level", "logger", "message", "run_id"}
                   for line in parsed)  # fmt: skip
    else:
        assert any(line.startswith(f"[run {run.id}] ") for line in lines)
    assert f"the bot token is {MASK}" in logged
    for secret in (bot.settings.slack_bot_token, SIGNING_SECRET, bot.settings.env["ANTHROPIC_API_KEY"]):
        assert secret not in logged
