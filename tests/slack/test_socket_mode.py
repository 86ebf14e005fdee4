"""Socket Mode against a local websocket server speaking Slack's envelope protocol."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

from bot.slack.app import build_app
from bot.slack.server import socket_mode
from tests.slack.conftest import Bot


async def test_a_slash_command_over_socket_mode_is_acked_with_its_envelope_id(bot: Bot) -> None:
    settings = replace(bot.settings, slack_app_token=bot.slack.app_token, slack_signing_secret="")
    app = build_app(settings, bot.services, tasks=bot.tasks, socket_mode=True)
    payload = dict(parse_qsl(bot.send.command_body("help")))
    async with socket_mode(app, settings.slack_app_token):
        ack = await bot.slack.socket_send(
            {"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True, "payload": payload}
        )
        copy = dict(parse_qsl(bot.send.command_body("Eco water bottle variations: 2")))
        ack_copy = await bot.slack.socket_send({"envelope_id": "env-2", "type": "slash_commands", "payload": copy})
        await bot.tasks.join()
    assert ack["envelope_id"] == "env-1"
    assert "/copy history" in ack["payload"]["text"]
    assert ack_copy["envelope_id"] == "env-2" and "Eco water bottle" in ack_copy["payload"]["text"]
    assert len(bot.slack.calls_to("chat.postMessage")) == 3  # parent + 2 variations, over the Web API
    assert [c.token for c in bot.slack.calls_to("apps.connections.open")] == [bot.slack.app_token]
