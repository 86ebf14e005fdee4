"""The Web API client of a workspace for work no Slack request carries: finishing the threads a stopped copybot
left (bot/slack/healing.py).

One workspace (SLACK_BOT_TOKEN): its client. OAuth mode: the workspace's installation, found as for a request from
it (Bolt's authorize, which refreshes a rotating token about to expire): a workspace's own installation first, then,
inside an Enterprise Grid organisation, the organisation's org-wide one.
"""

from __future__ import annotations

from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.app import with_token


class WorkspaceClients:
    def __init__(self, client: AsyncWebClient, authorize: AsyncAuthorize | None = None) -> None:
        self._client = client
        self._authorize = authorize

    async def client_for(self, team_id: str, enterprise_id: str = "") -> AsyncWebClient | None:
        """The client that posts in workspace `team_id` (of organisation `enterprise_id`); None when copybot is
        not installed there (any more)."""
        if self._authorize is None:
            return self._client
        for org_wide in (False, True) if enterprise_id else (False,):
            context = AsyncBoltContext(client=self._client, is_enterprise_install=org_wide)
            found = await self._authorize(
                context=context, enterprise_id=enterprise_id or None, team_id=team_id or None, user_id=None
            )
            if found is not None and found.bot_token:
                return with_token(self._client, found.bot_token)
        return None
