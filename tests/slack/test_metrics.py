"""GET /metrics after real runs over HTTP: Prometheus text whose values match what happened (the fakes' records and
the stored calls), not just the names; a registry per App; Socket Mode serves it on COPYBOT_METRICS_PORT."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp

from bot.app import App
from bot.config import Settings
from bot.services import Reason
from tests.slack.conftest import Bot
from tests.slack.test_refine import Thread, reply
from tests.support import slack_oauth
from tests.support.anthropic_api import FakeAnthropic, Reply
from tests.support.metrics import scrape
from tests.support.plans import WORKER
from tests.support.serve import copybot_serve, serve_env
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import Sender


async def stored_tokens(bot: Bot, role: str, direction: str) -> int:
    total = 0
    for run in (await bot.repository.recent_runs("T1")).runs:
        detail = await bot.repository.run_detail(run.id)
        assert detail is not None
        total += sum(getattr(c, f"{direction}_tokens") for c in detail.calls if c.role == role)
    return total


async def test_after_a_run_every_metric_counts_what_happened(bot: Bot) -> None:
    bot.slack.rate_limit("chat.update", retry_after=0)
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    samples = await scrape(bot.url)
    assert samples.content_type.startswith("text/plain") and "version=" in samples.content_type
    assert samples.value("copybot_runs_total", status="done") == 1
    assert samples.value("copybot_variations_total", status="done") == 3
    orchestrator = {"role": "orchestrator", "provider": "anthropic", "outcome": "ok"}
    assert samples.value("copybot_model_calls_total", **orchestrator) == 1
    assert samples.value("copybot_model_calls_total", role="worker", provider="anthropic", outcome="ok") == 3
    for role in ("orchestrator", "worker"):
        for direction in ("input", "output"):
            expected = await stored_tokens(bot, role, direction)
            assert expected > 0
            assert samples.value("copybot_tokens_total", role=role, direction=direction) == expected
    assert samples.value("copybot_plan_seconds_count") == 1
    assert samples.value("copybot_first_variation_seconds_count") == 1
    assert samples.value("copybot_worker_seconds_count") == 3
    assert 0 < samples.value("copybot_first_variation_seconds_sum") < 30
    assert samples.value("copybot_slack_ack_seconds_count") == 1  # the one /copy request
    assert samples.value("copybot_slack_ack_seconds_bucket", le="3.0") == 1
    posted = len(bot.slack.calls_to("chat.postMessage"))
    assert posted == 4 and samples.value("copybot_slack_api_calls_total", method="chat.postMessage", outcome="ok") == 4
    updates = len(bot.slack.calls_to("chat.update"))
    assert samples.value("copybot_slack_api_calls_total", method="chat.update", outcome="ratelimited") == 1
    assert samples.value("copybot_slack_api_calls_total", method="chat.update", outcome="ok") == updates - 1
    assert samples.value("copybot_runs_in_flight") == 0
    assert {samples.value("copybot_refusals_total", reason=r) for r in ("channel", "user")} == {0}


async def test_failures_and_slack_errors_are_counted_by_outcome(bot: Bot) -> None:
    bot.llm.on(WORKER, Reply(status=400))
    bot.slack.refuse("chat.postMessage", "not_in_channel")
    await bot.send.command("Eco water bottle variations: 2")
    await bot.tasks.join()
    samples = await scrape(bot.url)
    assert samples.value("copybot_runs_total", status="failed") == 1
    assert samples.value("copybot_variations_total", status="failed") == 2
    assert samples.value("copybot_model_calls_total", role="worker", provider="anthropic", outcome="failed") == 2
    assert samples.value("copybot_slack_api_calls_total", method="chat.postMessage", outcome="not_in_channel") == 1


async def test_server_errors_and_dropped_connections_are_counted_then_their_retries(bot: Bot) -> None:
    bot.slack.fail("chat.postMessage", times=1, status=503)
    bot.slack.drop("chat.postMessage", times=1)
    await bot.send.command("Eco water bottle variations: 2")
    await bot.tasks.join()
    samples = await scrape(bot.url)
    calls = {"method": "chat.postMessage"}
    assert samples.value("copybot_slack_api_calls_total", **calls, outcome="server_error") == 1
    assert samples.value("copybot_slack_api_calls_total", **calls, outcome="connection_error") == 1
    assert samples.value("copybot_slack_api_calls_total", **calls, outcome="ok") == 3  # the parent and 2 replies


async def test_in_oauth_mode_each_workspaces_calls_are_counted(oauth_bot: Bot) -> None:
    bot = oauth_bot
    for team in ("T1", "T2"):
        await slack_oauth.install(bot.send.session, bot.url, bot.slack, team)
        await bot.send.command("Eco water bottle variations: 2", team_id=team, channel_id=f"C{team}")
    await bot.tasks.join()
    samples = await scrape(bot.url)
    posts = bot.slack.calls_to("chat.postMessage")
    assert {bot.slack.workspace_of(call) for call in posts} == {"T1", "T2"}  # each with its own token
    assert (
        len(posts) == 6 and samples.value("copybot_slack_api_calls_total", method="chat.postMessage", outcome="ok") == 6
    )
    assert samples.value("copybot_runs_total", status="done") == 2


async def test_a_new_version_counts_its_call_and_variation(bot: Bot, thread: Thread) -> None:
    _, parent_ts, _ = thread
    await bot.send.event(reply("2 shorter", parent_ts), event_id="E1")
    await bot.tasks.join()
    samples = await scrape(bot.url)
    assert samples.value("copybot_variations_total", status="done") == 4
    assert samples.value("copybot_model_calls_total", role="worker", provider="anthropic", outcome="ok") == 4
    assert samples.value("copybot_runs_total", status="done") == 1  # a new version is no new run


async def test_runs_in_flight_while_they_run(bot: Bot) -> None:
    bot.llm.on(WORKER, Reply("<response>slow copy</response>", latency_s=1.0))
    await bot.send.command("Eco water bottle")
    await bot.send.command("Eco water bottle", user_id="U2")

    async def in_flight() -> float:
        return (await scrape(bot.url)).value("copybot_runs_in_flight")

    for _ in range(100):
        if await in_flight() == 2:
            break
        await asyncio.sleep(0.02)
    assert await in_flight() == 2
    await bot.tasks.join()
    assert await in_flight() == 0


async def test_each_app_has_a_registry_of_its_own(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"})
    async with App.open(settings, metrics=True) as one, App.open(settings, metrics=True) as two:
        assert one.metrics is not None and two.metrics is not None
        one.metrics.refused(Reason.USER)
        assert b'copybot_refusals_total{reason="user"} 1.0' in one.metrics.render()
        assert b'copybot_refusals_total{reason="user"} 0.0' in two.metrics.render()
    async with App.open(settings) as plain:
        assert plain.metrics is None  # the CLI's commands build none


async def test_copybot_serve_answers_metrics_in_http_mode_and_logs_json(
    slack: FakeSlack, llm: FakeAnthropic, tmp_path: Path
) -> None:
    env = serve_env(slack, llm.url, f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", COPYBOT_LOG_FORMAT="json")
    async with copybot_serve(env, log=tmp_path / "serve.log") as served, aiohttp.ClientSession() as session:
        await Sender(session, served.url, slack).command("Eco water bottle")
        await slack.wait_for(lambda: any("Done:" in m.text for m in slack.messages.values()), within=10)
        samples = await scrape(served.url)
    assert samples.value("copybot_runs_total", status="done") == 1
    assert samples.value("copybot_variations_total", status="done") == 3
    checks = len(slack.calls_to("auth.test"))  # copybot's at startup, and Bolt's
    assert checks >= 1 and samples.value("copybot_slack_api_calls_total", method="auth.test", outcome="ok") == checks
    logged = [json.loads(line) for line in served.logged().splitlines()]  # every line is a JSON object
    assert any(line["message"].startswith("copybot listens on") for line in logged)
    assert slack.bot_token not in served.logged()


async def test_socket_mode_serves_metrics_on_its_own_port(slack: FakeSlack, llm: FakeAnthropic, tmp_path: Path) -> None:
    env = serve_env(slack, llm.url, f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}", SLACK_APP_TOKEN=slack.app_token)
    async with copybot_serve(env, log=tmp_path / "serve.log", socket=True) as served:
        samples = await scrape(served.url)
        assert samples.value("copybot_slack_api_calls_total", method="apps.connections.open", outcome="ok") == 1
        assert samples.value("copybot_runs_in_flight") == 0
    assert "serves its metrics on" in served.logged()
