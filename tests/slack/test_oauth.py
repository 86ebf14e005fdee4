"""OAuth mode end to end over HTTP: the install flow against the fake Slack (oauth.v2.access), each workspace
served with its own token, rotating tokens refreshed, Enterprise Grid org-wide installs, and bad redirects."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import ANOTHER_ACTION
from bot.slack.install import bot_scopes
from tests.slack.conftest import Bot
from tests.support import slack_oauth
from tests.support.slack_requests import click


def store(bot: Bot) -> AsyncInstallationStore:
    assert bot.installations is not None
    return bot.installations.store


async def install_page(bot: Bot) -> tuple[str, str]:
    return await slack_oauth.install_page(bot.send.session, bot.url)


async def redirect(bot: Bot, query: dict[str, str], cookie: str | None) -> tuple[int, str]:
    return await slack_oauth.redirect(bot.send.session, bot.url, query, cookie)


async def install(bot: Bot, team_id: str, *, enterprise_id: str = "", org_wide: bool = False) -> None:
    await slack_oauth.install(
        bot.send.session, bot.url, bot.slack, team_id, enterprise_id=enterprise_id, org_wide=org_wide
    )


def posts_by_workspace(bot: Bot) -> dict[str, set[str]]:
    """For each channel, the workspaces whose tokens posted or updated messages in it."""
    found: dict[str, set[str]] = {}
    for call in bot.slack.calls:
        if call.method in ("chat.postMessage", "chat.update"):
            found.setdefault(str(call.params["channel"]), set()).add(bot.slack.workspace_of(call))
    return found


async def test_the_add_to_slack_page_asks_for_the_manifests_scopes_with_a_one_time_state(oauth_bot: Bot) -> None:
    async with oauth_bot.send.session.get(f"{oauth_bot.url}/slack/install") as page:
        link = slack_oauth.add_to_slack_link(await page.text())
        set_cookie = page.headers["Set-Cookie"]
    query = parse_qs(urlsplit(link).query)
    assert link.startswith("https://slack.com/oauth/v2/authorize?")
    assert query["client_id"] == [oauth_bot.slack.client_id]
    assert query["scope"][0].split(",") == list(bot_scopes()) and "chat:write" in bot_scopes()
    assert "user_scope" not in query or query["user_scope"] == [""]
    assert f"{slack_oauth.STATE_COOKIE}={query['state'][0]}" in set_cookie and "HttpOnly" in set_cookie
    assert (await install_page(oauth_bot))[0] != query["state"][0]  # a new state for every page


async def test_an_installed_workspace_is_served_with_its_own_token(oauth_bot: Bot) -> None:
    bot = oauth_bot
    await install(bot, "T1")
    (exchange,) = bot.slack.calls_to("oauth.v2.access")
    assert exchange.params["code"].startswith("code-") and exchange.token.startswith("Basic ")
    stored = await store(bot).async_find_installation(enterprise_id=None, team_id="T1")
    assert stored is not None and stored.bot_token in bot.slack.grants and stored.user_id == "UINSTALLER"
    assert stored.bot_scopes == ["commands", "chat:write"]

    answer = await bot.send.command("Eco water bottle", team_id="T1")
    assert answer.status == 200 and "Writing copy" in answer.body["text"]
    await bot.tasks.join()
    assert posts_by_workspace(bot) == {"C1": {"T1"}}
    (run,) = (await bot.repository.recent_runs("T1")).runs
    assert run.status == "done" and run.variation_count == 3


async def test_a_workspace_that_did_not_install_copybot_is_told_so_and_nothing_runs(oauth_bot: Bot) -> None:
    await install(oauth_bot, "T1")
    answer = await oauth_bot.send.command("Eco water bottle", team_id="T9", response="r9")
    assert answer.status == 200
    await oauth_bot.tasks.join()
    (told,) = oauth_bot.slack.responses["r9"]
    assert "copybot is not installed in this workspace" in told["text"]
    assert oauth_bot.llm.requests == [] and (await oauth_bot.repository.recent_runs(None)).runs == ()


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("no cookie", 400, "invalid_browser"),
        ("another state", 401, "invalid_state"),
        ("no code", 401, "missing_code"),
        ("a code Slack never issued", 401, "invalid_code"),
        ("cancelled in Slack", 200, "access_denied"),
    ],
)
async def test_a_redirect_that_is_not_a_real_install_stores_nothing(
    oauth_bot: Bot, case: str, status: int, reason: str
) -> None:
    state, cookie = await install_page(oauth_bot)
    code = oauth_bot.slack.authorize("T1")
    query, sent_cookie = {"code": code, "state": state}, cookie
    if case == "no cookie":
        sent_cookie = None
    elif case == "another state":
        query["state"] = sent_cookie = "00000000-0000-0000-0000-000000000000"
    elif case == "no code":
        del query["code"]
    elif case == "a code Slack never issued":
        query["code"] = "code-forged"
    else:
        query = {"error": "access_denied", "state": state}
    answered, page = await redirect(oauth_bot, query, sent_cookie)
    assert (answered, reason in page) == (status, True)
    assert "Traceback" not in page and "slack_installations" not in page
    found = await store(oauth_bot).async_find_installation(enterprise_id=None, team_id="T1")
    assert found is None


async def test_a_state_is_used_once(oauth_bot: Bot) -> None:
    state, cookie = await install_page(oauth_bot)
    first = await redirect(oauth_bot, {"code": oauth_bot.slack.authorize("T1"), "state": state}, cookie)
    again = await redirect(oauth_bot, {"code": oauth_bot.slack.authorize("T2"), "state": state}, cookie)
    assert (first[0], again[0]) == (200, 401) and "invalid_state" in again[1]


async def test_an_expired_rotating_token_is_refreshed_before_the_request_is_served(oauth_bot: Bot) -> None:
    bot = oauth_bot
    bot.slack.token_lifetime_s = 1
    await install(bot, "T1")
    first = await store(bot).async_find_installation(enterprise_id=None, team_id="T1")
    assert first is not None and first.bot_refresh_token and first.bot_token_expires_at is not None
    expires_at = bot.slack.grants[first.bot_token].expires_at
    assert expires_at is not None
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.05)
    with pytest.raises(SlackApiError, match="token_expired"):
        await AsyncWebClient(token=first.bot_token, base_url=bot.slack.api_url).auth_test()
    bot.slack.token_lifetime_s = 43_200  # the refreshed token lives 12 hours, as Slack's

    await bot.send.command("Eco water bottle", team_id="T1")
    await bot.tasks.join()
    refresh = [c for c in bot.slack.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
    assert [c.params["refresh_token"] for c in refresh] == [first.bot_refresh_token]
    now = await store(bot).async_find_installation(enterprise_id=None, team_id="T1")
    assert now is not None and now.bot_token != first.bot_token and now.bot_refresh_token != first.bot_refresh_token
    assert now.bot_token_expires_at > time.time() + 40_000  # type: ignore[operator]
    posts = bot.slack.calls_to("chat.postMessage")
    assert posts and {c.token for c in posts} == {now.bot_token}  # never the expired one
    assert (await bot.repository.recent_runs("T1")).runs[0].status == "done"


async def test_an_enterprise_grid_org_wide_install_serves_every_workspace_of_the_organisation(
    oauth_bot: Bot,
) -> None:
    bot = oauth_bot
    await install(bot, "", enterprise_id="E1", org_wide=True)
    org = await store(bot).async_find_installation(enterprise_id="E1", team_id=None, is_enterprise_install=True)
    assert org is not None and (org.team_id, org.enterprise_id, org.is_enterprise_install) == (None, "E1", True)

    for team, channel in (("T5", "C5"), ("T6", "C6")):
        await bot.send.command("Eco water bottle", team_id=team, channel_id=channel, enterprise_id="E1", org_wide=True)
    await bot.tasks.join()
    assert posts_by_workspace(bot) == {"C5": {"E1"}, "C6": {"E1"}}  # the organisation's token, in both
    for team in ("T5", "T6"):
        (run,) = (await bot.repository.recent_runs(team)).runs
        detail = await bot.repository.run_detail(run.id)
        assert detail is not None and (detail.team_id, detail.enterprise_id, detail.status) == (team, "E1", "done")
    (variation, *_) = bot.slack.thread("C5", next(m.ts for m in bot.slack.messages.values() if m.channel == "C5"))
    payload = click(variation, ANOTHER_ACTION, bot.slack.response_url("another"))
    payload |= {"team": None, "enterprise": {"id": "E1"}, "is_enterprise_install": True}  # as an org-wide install's
    payload["user"]["team_id"], payload["container"]["channel_id"], payload["channel"]["id"] = "T5", "C5", "C5"
    assert (await bot.send.action(payload)).status == 200
    await bot.tasks.join()
    assert "another take" in bot.slack.thread("C5", variation.thread_ts)[-1].blocks[0]["text"]["text"]
    assert posts_by_workspace(bot)["C5"] == {"E1"}

    await bot.send.command("Eco water bottle", team_id="T7", enterprise_id="E2", org_wide=True, response="r7")
    (told,) = bot.slack.responses["r7"]  # another organisation installed nothing
    assert "not installed" in told["text"] and (await bot.repository.recent_runs("T7")).runs == ()


async def test_the_install_pages_exist_only_in_oauth_mode(bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/slack/install", "/slack/oauth_redirect"):
            async with session.get(f"{bot.url}{path}") as answer:
                assert answer.status == 404


async def test_no_token_or_client_secret_reaches_the_logs_even_at_debug_level(
    oauth_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = oauth_bot
    bot.slack.token_lifetime_s = 60  # under the refresh margin: the first request refreshes it
    await install(bot, "T1")
    await bot.send.command("Eco water bottle", team_id="T1")
    await bot.tasks.join()
    assert len(bot.slack.calls_to("oauth.v2.access")) == 2  # the install, then a refresh
    assert bot.slack.client_secret not in caplog.text
    assert re.findall(r"xox[a-z]-[A-Za-z0-9-]+", caplog.text) == []
