"""`copybot serve` itself: the composition root, run as a process against the fakes."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.cli import main
from tests.support.anthropic_api import FakeAnthropic
from tests.support.serve import copybot_serve, serve_env
from tests.support.slack_api import FakeSlack
from tests.support.slack_oauth import install
from tests.support.slack_requests import SIGNING_SECRET, Sender, free_port


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


async def test_copybot_serve_in_oauth_mode_installs_workspaces_and_serves_each_with_its_token(
    slack: FakeSlack, llm: FakeAnthropic, tmp_path: Path
) -> None:
    oauth = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": slack.client_id, "SLACK_CLIENT_SECRET": slack.client_secret}
    env = serve_env(slack, llm.url, f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", **oauth)
    async with copybot_serve(env, log=tmp_path / "serve.log") as served, aiohttp.ClientSession() as session:
        await install(session, served.url, slack, "T2")
        await Sender(session, served.url, slack).command("Eco water bottle", team_id="T2", channel_id="C2")
        await slack.wait_for(lambda: any("Done:" in m.text for m in slack.messages.values()), within=10)
        assert await served.stop() == 0
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 4 and {slack.workspace_of(call) for call in posts} == {"T2"}
    assert slack.calls_to("auth.test")[0].token != slack.bot_token  # no token of its own: T2's
    logged = served.logged()
    assert "workspaces install copybot at http://0.0.0.0:" in logged and "/slack/install" in logged
    for secret in (slack.client_secret, *slack.grants):
        assert secret not in logged


@pytest.mark.parametrize(("args", "extra"), [(("--host", "127.0.0.2"), {}), ((), {"HOST": "127.0.0.2"})])
async def test_serve_listens_on_the_host_given(
    args: tuple[str, ...], extra: dict[str, str], slack: FakeSlack, llm: FakeAnthropic, tmp_path: Path
) -> None:
    env = serve_env(slack, llm.url, f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", **extra)
    async with copybot_serve(env, *args, log=tmp_path / "serve.log", host="127.0.0.2") as served:
        port = served.url.rsplit(":", 1)[1]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{served.url}/healthz") as response:
                assert response.status == 200
            with pytest.raises(aiohttp.ClientConnectorError):  # only that address: not every interface
                await session.get(f"http://127.0.0.1:{port}/healthz")
    assert f"copybot listens on http://127.0.0.2:{port}/slack/events" in served.logged()


def test_an_unreachable_slack_api_is_named_by_its_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    api_url = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "COPYBOT_LLM": "anthropic",
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert f"Slack's Web API at {api_url} could not be reached" in err
    assert "check" in err.lower() and "SLACK_API_URL" in err
