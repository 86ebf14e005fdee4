"""The Slack app served on 127.0.0.1 over real HTTP, with the fake Slack Web API, the fake Anthropic API
and real storage on a temporary SQLite database. Requests are signed the way Slack signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.config import Settings
from bot.service import CopyService
from bot.slack.app import build_app, make_client
from bot.slack.server import http_server, web_app
from bot.slack.tasks import BackgroundTasks
from bot.workflow import Workflow, WorkflowConfig
from bot.workflow.llm.anthropic import AnthropicLLM
from storage import Repository, open_repository
from tests.fakes.anthropic_api import FakeAnthropic, Recorded, tag_text
from tests.fakes.slack_api import FakeSlack

SIGNING_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
ORCHESTRATOR = "test-orchestrator"
WORKER = "test-worker"
STYLES = ("playful", "technical", "urgent")


def plan_reply(styles: tuple[str, ...] = STYLES, analysis: str = "Hikers want light, tough bottles.") -> str:
    tasks = "".join(f"<task><type>{s}</type><description>Write it {s}.</description></task>" for s in styles)
    return f"<analysis>{analysis}</analysis>\n<tasks>{tasks}</tasks>"


def default_worker(record: Recorded) -> str:
    return f"<response>{tag_text(record.prompt, 'style')} copy for {tag_text(record.prompt, 'product')}</response>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sign(body: str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


class Sender:
    """Posts signed requests to the app the way Slack does."""

    def __init__(self, session: aiohttp.ClientSession, url: str, fake: FakeSlack) -> None:
        self.session = session
        self.url = url
        self.fake = fake
        self._ids = 0

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
    ) -> Answer:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(body, ts),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        started = time.monotonic()
        async with self.session.post(f"{self.url}/slack/events", data=body.encode(), headers=headers) as response:
            text = await response.text()
            seconds = time.monotonic() - started
            parsed = json.loads(text) if text.startswith("{") else {"text": text}  # Bolt sends a lone text as is
            return Answer(response.status, parsed, seconds)

    def command_body(
        self,
        text: str,
        *,
        team_id: str = "T1",
        channel_id: str = "C1",
        user_id: str = "U1",
        user_name: str = "ann",
        response: str = "r1",
    ) -> str:
        self._ids += 1
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": team_id,
                "team_domain": "acme",
                "channel_id": channel_id,
                "channel_name": "directmessage" if channel_id.startswith("D") else "marketing",
                "user_id": user_id,
                "user_name": user_name,
                "command": "/copy",
                "text": text,
                "api_app_id": "A1",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url(response),
                "trigger_id": f"trigger.{self._ids}",
            }
        )

    async def command(self, text: str, **fields: Any) -> Answer:
        return await self.post(self.command_body(text, **fields), "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str, team_id: str = "T1", retry_num: int | None = None
    ) -> Answer:
        body = {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
        }
        return await self.post(json.dumps(body), "application/json", retry_num=retry_num)

    async def action(self, payload: dict[str, Any]) -> Answer:
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@dataclass
class Bot:
    url: str
    slack: FakeSlack
    llm: FakeAnthropic
    repository: Repository
    tasks: BackgroundTasks
    send: Sender
    settings: Settings
    service: CopyService


def make_settings(slack: FakeSlack, llm_url: str, database_url: str, env: Mapping[str, str] = {}) -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "ANTHROPIC_BASE_URL": llm_url,
            "DATABASE_URL": database_url,
            "COPYBOT_ORCHESTRATOR_MODEL": ORCHESTRATOR,
            "COPYBOT_WORKER_MODEL": WORKER,
            "COPYBOT_LLM_MAX_RETRIES": "0",
            **env,
        }
    )


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
        fake.on(ORCHESTRATOR, plan_reply())
        fake.on(WORKER, default_worker)
        yield fake


@pytest.fixture
async def repository(tmp_path: Any) -> AsyncIterator[Repository]:
    repo = await open_repository(f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}")
    yield repo
    await repo.aclose()


@pytest.fixture
async def bot(
    slack: FakeSlack, llm: FakeAnthropic, repository: Repository, tmp_path: Any, bot_env: dict[str, str]
) -> AsyncIterator[Bot]:
    settings = make_settings(slack, llm.url, f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}", bot_env)
    model = AnthropicLLM(api_key=settings.anthropic_api_key, base_url=llm.url, max_retries=0, timeout_s=10)
    service = CopyService(Workflow(model, WorkflowConfig.from_settings(settings)), repository)
    tasks = BackgroundTasks()
    async with aiohttp.ClientSession() as session, aiohttp.ClientSession() as slack_session:
        app = build_app(settings, service, repository, client=make_client(settings, slack_session), tasks=tasks)
        async with http_server(web_app(app, tasks), "127.0.0.1", 0) as url:
            yield Bot(url, slack, llm, repository, tasks, Sender(session, url, slack), settings, service)
            await tasks.join()
    await model.aclose()
