"""A browser going through Slack's install flow (OAuth v2) of a copybot in OAuth mode, with the fake Slack
(tests/support/slack_api.py) playing slack.com: the Add to Slack page, Allow, the redirect back."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp

from tests.support.slack_api import FakeSlack

STATE_COOKIE = "slack-app-oauth-state"


def add_to_slack_link(page: str) -> str:
    """The Add to Slack link of an install page."""
    found = re.search(r'<a href="([^"]+)"', page)
    assert found is not None, page
    return html.unescape(found[1])


async def install_page(session: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    """GET /slack/install: (the state in the Add to Slack link, the state cookie set)."""
    async with session.get(f"{url}/slack/install") as page:
        assert page.status == 200 and page.content_type == "text/html"
        link = add_to_slack_link(await page.text())
        cookie = page.cookies[STATE_COOKIE].value
    (state,) = parse_qs(urlsplit(link).query)["state"]
    return state, cookie


async def redirect(
    session: aiohttp.ClientSession, url: str, query: dict[str, str], cookie: str | None
) -> tuple[int, str]:
    """GET /slack/oauth_redirect as Slack sends the browser back (with the state cookie, unless None)."""
    headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie is not None else {}
    async with session.get(f"{url}/slack/oauth_redirect", params=query, headers=headers) as answer:
        return answer.status, await answer.text()


async def install(
    session: aiohttp.ClientSession,
    url: str,
    slack: FakeSlack,
    team_id: str,
    *,
    enterprise_id: str = "",
    org_wide: bool = False,
) -> None:
    """The whole install in workspace `team_id` (or org-wide in organisation `enterprise_id`)."""
    state, cookie = await install_page(session, url)
    code = slack.authorize(team_id, enterprise_id=enterprise_id, org_wide=org_wide)
    status, page = await redirect(session, url, {"code": code, "state": state}, cookie)
    assert status == 200 and "Thank you!" in page, page
