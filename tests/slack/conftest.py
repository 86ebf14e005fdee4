"""The Slack app served on 127.0.0.1 over real HTTP, with the fake Slack Web API, the fake Anthropic API
and real storage on a temporary SQLite database, all built by the composition root (bot/app.py) as
`copybot serve` builds them. Requests are signed the way Slack signs them (tests/support/slack_requests.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.config import Settings
from bot.services import Services
from bot.slack.app import build_app, make_client
from bot.slack.install import Installations
from bot.slack.server import http_app, http_server
from bot.slack.tasks import BackgroundTasks
from storage import Repository
from tests.support.anthropic_api import FakeAnthropic, Recorded, tag_text
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.support.serve import fakes_env
from tests.support.slack_api import FakeSlack, Message
from tests.support.slack_oauth import install
from tests.support.slack_requests import Sender

STYLES = ("playful", "technical", "urgent")
ANALYSIS = "Hikers want light, tough bottles."


def default_worker(record: Recorded) -> str:
    """`<style> copy for <product>`; a refinement adds its instruction, another take says so."""
    copy = f"{tag_text(record.prompt, 'style')} copy for {tag_text(record.prompt, 'product')}"
    if instruction := tag_text(record.prompt, "reviewer_request"):
        copy += f", {instruction}"
    elif "<earlier_versions>" in record.prompt:
        copy = f"another take: {copy}"
    return f"<response>{copy}</response>"


@dataclass
class Bot:
    url: str
    slack: FakeSlack
    llm: FakeAnthropic
    repository: Repository
    tasks: BackgroundTasks
    send: Sender
    settings: Settings
    services: Services
    installations: Installations | None = None  # OAuth mode's stores


def make_settings(slack: FakeSlack, llm_url: str, database_url: str, env: Mapping[str, str] = {}) -> Settings:
    return Settings.from_env({**fakes_env(slack, llm_url, database_url), "COPYBOT_LLM_MAX_RETRIES": "0", **env})


@pytest.fixture
def bot_env() -> dict[str, str]:
    """More environment for the `bot` fixture's Settings: `@pytest.mark.parametrize("bot_env", [{...}])`."""
    return {}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.aclose()


@pytest.fixture
async def llm() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as fake:
        fake.on(ORCHESTRATOR, plan_reply(STYLES, ANALYSIS))
        fake.on(WORKER, default_worker)
        yield fake


@pytest.fixture
def bot_database_url(tmp_path: Any) -> str:
    """The `bot` fixture's database: SQLite; a module overrides it with `database_url` for both backends."""
    return f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"


@asynccontextmanager
async def serving(slack: FakeSlack, llm: FakeAnthropic, settings: Settings) -> AsyncIterator[Bot]:
    """The app as `copybot serve` builds it over `settings` (OAuth mode's stores too), on 127.0.0.1."""
    tasks = BackgroundTasks()
    async with App.open(settings, metrics=True) as composed, aiohttp.ClientSession() as session:
        services = await composed.services()
        installations = await composed.installations() if settings.oauth else None
        async with aiohttp.ClientSession() as slack_session:
            client = make_client(settings, slack_session, services.metrics)
            app = build_app(settings, services, client=client, tasks=tasks, installations=installations)
            application = http_app(settings, app, services, tasks)
            async with http_server(application, "127.0.0.1", 0, idle_s=settings.http_timeout_s) as url:
                repository = await composed.repository()
                send = Sender(session, url, slack)
                yield Bot(url, slack, llm, repository, tasks, send, settings, services, installations)
                await tasks.join()


@pytest.fixture
async def bot(
    slack: FakeSlack, llm: FakeAnthropic, bot_database_url: str, bot_env: dict[str, str]
) -> AsyncIterator[Bot]:
    async with serving(slack, llm, make_settings(slack, llm.url, bot_database_url, bot_env)) as served:
        yield served


def oauth_env(slack: FakeSlack) -> dict[str, str]:
    """OAuth mode's settings: no SLACK_BOT_TOKEN, the app's client credentials."""
    return {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": slack.client_id, "SLACK_CLIENT_SECRET": slack.client_secret}


@pytest.fixture
async def oauth_bot(
    slack: FakeSlack, llm: FakeAnthropic, bot_database_url: str, bot_env: dict[str, str]
) -> AsyncIterator[Bot]:
    """The `bot` in OAuth mode: no SLACK_BOT_TOKEN but the app's client credentials; installed in no workspace
    yet (tests/slack/test_oauth.py installs it)."""
    oauth = {**oauth_env(slack), **bot_env}
    async with serving(slack, llm, make_settings(slack, llm.url, bot_database_url, oauth)) as served:
        yield served


@pytest.fixture(params=["one token", "oauth"])
async def two_workspaces(
    request: pytest.FixtureRequest, slack: FakeSlack, llm: FakeAnthropic, bot_database_url: str, bot_env: dict[str, str]
) -> AsyncIterator[Bot]:
    """The bot serving workspaces T1 and T2: with one SLACK_BOT_TOKEN, or in OAuth mode, installed in both
    through the install flow (each then served with its own token)."""
    env = {**(oauth_env(slack) if request.param == "oauth" else {}), **bot_env}
    async with serving(slack, llm, make_settings(slack, llm.url, bot_database_url, env)) as served:
        if served.settings.oauth:
            for team in ("T1", "T2"):
                await install(served.send.session, served.url, slack, team)
        yield served


@pytest.fixture
async def thread(bot: Bot) -> tuple[int, str, list[Message]]:
    """A finished run in C1: (run_id, parent ts, variation messages in position order)."""
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    (parent_ts,) = [m.ts for m in bot.slack.messages.values() if not m.thread_ts]
    (run,) = (await bot.repository.recent_runs("T1")).runs
    replies = sorted(bot.slack.thread("C1", parent_ts), key=lambda m: m.blocks[0]["text"]["text"])
    return run.id, parent_ts, replies
