"""`copybot serve` itself: the composition root, run as a process against the fakes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.support.anthropic_api import FakeAnthropic
from tests.support.plans import ORCHESTRATOR, WORKER
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import SIGNING_SECRET, Sender, free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_copybot_serve_answers_health_and_copy_then_stops_cleanly_on_sigterm(
    slack: FakeSlack, llm: FakeAnthropic, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith(("SLACK_", "COPYBOT_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "ANTHROPIC_BASE_URL": llm.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
            "COPYBOT_ORCHESTRATOR_MODEL": ORCHESTRATOR,
            "COPYBOT_WORKER_MODEL": WORKER,
            "PORT": str(port),
        }
    )
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"{url}/healthz") as response:
                        health = await response.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("copybot serve did not answer /healthz within 15 s")
            assert health["ok"] is True and health["mode"] == "http"
            answer = await Sender(session, url, slack).command("Eco water bottle")
            assert answer.status == 200
            await slack.wait_for(lambda: any("Done:" in m.text for m in slack.messages.values()), within=10)
    finally:
        child.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(child.wait(), 10) == 0
    assert len(slack.calls_to("chat.postMessage")) == 4
