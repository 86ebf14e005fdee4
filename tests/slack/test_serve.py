"""`copybot serve` itself: the composition root, run as a process against the fakes."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.support.anthropic_api import FakeAnthropic
from tests.support.serve import copybot_serve, serve_env
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import Sender


async def test_copybot_serve_answers_health_and_copy_then_stops_cleanly_on_sigterm(
    slack: FakeSlack, llm: FakeAnthropic, tmp_path: Path
) -> None:
    env = serve_env(slack, llm.url, f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}")
    async with copybot_serve(env, log=tmp_path / "serve.log") as served, aiohttp.ClientSession() as session:
        async with session.get(f"{served.url}/healthz") as response:
            health = await response.json()
        assert health["ok"] is True and health["mode"] == "http" and health["database"] == "ok"
        answer = await Sender(session, served.url, slack).command("Eco water bottle")
        assert answer.status == 200
        await slack.wait_for(lambda: any("Done:" in m.text for m in slack.messages.values()), within=10)
        assert await served.stop() == 0
    assert len(slack.calls_to("chat.postMessage")) == 4
    assert "every Slack post owed was made before stopping" in served.logged()
