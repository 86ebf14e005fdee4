"""The Slack app manifest declares exactly what the app handles."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import yaml

from bot.slack.server import EVENTS_PATH


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(files("bot.slack").joinpath("manifest.yaml").read_text())
    return loaded


def test_manifest_declares_the_command_scopes_events_and_interactivity() -> None:
    manifest = _manifest()
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/copy" and command["url"].endswith(EVENTS_PATH)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "reactions:read",
        "reactions:write",  # :eyes: on a refinement request
        "channels:history",  # replies in a run's thread (refinements), in each kind of conversation
        "groups:history",
        "im:history",
        "mpim:history",
        "app_mentions:read",
        "files:read",  # the text of a message's files, for the brief form
    }
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "reaction_added",
        "reaction_removed",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
        "app_mention",
        "app_home_opened",
        "app_uninstalled",  # copybot leaving a workspace: its installation (and, purging, its data) goes
        "tokens_revoked",
    }
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert settings["interactivity"] == {"is_enabled": True, "request_url": command["url"]}
    assert "socket_mode_enabled" in settings
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", "copybot_from_message")


def test_the_install_redirects_to_copybots_oauth_redirect_path() -> None:
    (url,) = _manifest()["oauth_config"]["redirect_urls"]
    assert url == "https://YOUR-HOST/slack/oauth_redirect"
