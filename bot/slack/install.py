"""OAuth mode: copybot installed in several workspaces through Slack's own install flow, run by Bolt.

`GET /slack/install` is the "Add to Slack" page (Bolt's AsyncOAuthFlow); Slack sends the person back to
`GET /slack/oauth_redirect`, where the code is exchanged (oauth.v2.access) for the workspace's bot token, kept in
slack_sdk's installation store on copybot's database (bot/app.py builds the stores; migration 0008 made their
tables). The scopes asked for are the manifest's. Every request is then authorized with its workspace's token
(Bolt's AsyncInstallationStoreAuthorize, over copybot's Web API client: SLACK_API_URL and retries), and a rotating
token that expires within TOKEN_ROTATION_MINUTES is refreshed first (oauth.v2.access, grant_type=refresh_token).

`app_uninstalled` and `tokens_revoked` (the bot's) delete the workspace's installation (Bolt's own listeners) and,
with COPYBOT_PURGE_ON_UNINSTALL on, its runs, votes and brand voices (WorkspaceService).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml  # type: ignore[import-untyped]
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.services import WorkspaceService

log = logging.getLogger(__name__)
TOKEN_ROTATION_MINUTES = 120  # a token handed to a run (minutes long) is refreshed while it has hours left
STATE_EXPIRATION_S = 600  # an install page left open longer must be reloaded
NOT_INSTALLED = (
    ":warning: copybot is not installed in this workspace (or was removed from it), so it cannot answer here. "
    "Ask whoever runs copybot for its install page (/slack/install) to add it again."
)


TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")
TOKEN_LOGGERS = ("slack_sdk.web.async_base_client", "aiosqlite")  # at DEBUG: API bodies, and SQL parameters


class HideTokens(logging.Filter):
    """Replaces every Slack token in a record's message by `xox…-(hidden)`. In OAuth mode tokens and refresh tokens
    travel in oauth.v2.access bodies and in the installation store's SQL, which these libraries log at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN.search(message):
            record.msg, record.args = TOKEN.sub("xox…-(hidden)", message), ()
        return True


def hide_tokens_in_library_logs() -> None:
    """Attach HideTokens to the loggers that would show tokens (once per process)."""
    for name in TOKEN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideTokens) for f in logger.filters):
            logger.addFilter(HideTokens())


@dataclass(frozen=True)
class Installations:
    """Where OAuth mode keeps each workspace's installation, and the install flow's one-time states."""

    store: AsyncInstallationStore
    states: AsyncOAuthStateStore


@cache
def bot_scopes() -> tuple[str, ...]:
    """The bot scopes of bot/slack/manifest.yaml: what the install asks for is what the manifest declares."""
    manifest: dict[str, Any] = yaml.safe_load(files("bot.slack").joinpath("manifest.yaml").read_text())
    return tuple(manifest["oauth_config"]["scopes"]["bot"])


def installation_authorize(
    settings: Settings, installations: Installations, client: AsyncWebClient
) -> AsyncInstallationStoreAuthorize:
    """Finds a workspace's installation and its token, refreshing a rotating token about to expire through `client`
    (SLACK_API_URL, retries)."""
    return AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("bot.slack.bolt"),
        installation_store=installations.store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        cache_enabled=True,  # auth.test once per token, not once per request (a refreshed token is a new one)
        client=client,
    )


def oauth_options(
    settings: Settings, installations: Installations, client: AsyncWebClient, *, slack_host: str
) -> dict[str, Any]:
    """AsyncApp's arguments for OAuth mode: the install flow's settings (Slack's authorize page on `slack_host`),
    the stores, and the authorize."""
    oauth_settings = AsyncOAuthSettings(
        authorization_url=f"https://{slack_host}/oauth/v2/authorize",
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(bot_scopes()),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri or None,
        installation_store=installations.store,
        state_store=installations.states,
        state_expiration_seconds=STATE_EXPIRATION_S,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        logger=logging.getLogger("bot.slack.oauth"),
    )
    authorize = installation_authorize(settings, installations, client)
    return {
        "oauth_settings": oauth_settings,
        "installation_store": installations.store,
        "authorize": authorize,
        "user_facing_authorize_error_message": NOT_INSTALLED,
    }


def register_uninstall(app: AsyncApp, *, workspaces: WorkspaceService) -> None:
    """copybot leaving a workspace: its installation goes (OAuth mode), and with purging on its data."""
    oauth = app.installation_store is not None

    async def on_uninstalled(context: AsyncBoltContext) -> None:
        if oauth:
            await app.default_app_uninstalled_event_listener()(context=context)
        await _left(workspaces, context)

    async def on_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if oauth:
            await app.default_tokens_revoked_event_listener()(event=event, context=context)
        if (event.get("tokens") or {}).get("bot"):  # the bot's token: copybot can no longer act there
            await _left(workspaces, context)

    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_revoked)


async def _left(workspaces: WorkspaceService, context: AsyncBoltContext) -> None:
    team, enterprise = context.team_id or "", context.enterprise_id or ""
    if context.is_enterprise_install:
        team = ""  # installed org-wide: the whole organisation's installation went
    log.warning("copybot was removed from %s", f"workspace {team}" if team else f"organisation {enterprise}")
    await workspaces.left(team, enterprise)
