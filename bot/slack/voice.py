"""The brand voice in Slack: `/copy voice …` text commands, and the voice form (`/copy voice [channel]`, the App
Home's Edit button). Changes are new versions; COPYBOT_VOICE_EDITORS limits who may make them."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import Scope, VoiceService
from bot.slack.parsing import VoiceCommand
from bot.slack.text import escape, shorten
from bot.workflow.voice import MAX_VOICE_CHARS, Voice, terms

__all__ = ["EDIT_VOICE_ACTION", "command_scope", "open_voice_form", "register_voice", "voice_command"]

log = logging.getLogger(__name__)
VOICE_VIEW = "copybot_voice"
EDIT_VOICE_ACTION = "copybot_edit_voice"


def voice_text(voice: Voice, scope: Scope) -> str:
    """A voice for people (mrkdwn): its text, banned terms and required spellings."""
    where = "this channel" if scope.channel_id else "this workspace"
    if voice.empty:
        return f"No brand voice for {where} yet. Set one with `/copy voice set <how your copy should sound>`."
    lines = [f"*Brand voice of {where}*", escape(shorten(voice.text, 2_500)) or "_(no voice text)_"]
    lines.append(f"*Banned:* {escape(', '.join(voice.banned)) or 'none'}")
    lines.append(f"*Required spellings:* {escape(', '.join(voice.required)) or 'none'}")
    return "\n".join(lines)


def _input(block_id: str, label: str, initial: str, hint: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": True}
    element["max_length"] = MAX_VOICE_CHARS
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "hint": {"type": "plain_text", "text": hint},
        "element": element,
    }


def voice_view(voice: Voice, scope: Scope) -> dict[str, Any]:
    """The voice form, prefilled with the scope's current voice; pure."""
    where = f"channel <#{scope.channel_id}>" if scope.channel_id else "whole workspace"
    return {
        "type": "modal",
        "callback_id": VOICE_VIEW,
        "private_metadata": json.dumps({"team_id": scope.team_id, "channel_id": scope.channel_id}),
        "title": {"type": "plain_text", "text": "Brand voice"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"The voice of the {where}."}]},
            _input("text", "Voice", voice.text, "Personality, tone, do and don't."),
            _input("banned", "Banned terms", ", ".join(voice.banned), "Never used. Separate with commas."),
            _input("required", "Required spellings", ", ".join(voice.required), "Always written exactly so."),
        ],
    }


async def open_voice_form(client: AsyncWebClient, trigger_id: str, voices: VoiceService, scope: Scope) -> None:
    try:
        await client.views_open(trigger_id=trigger_id, view=voice_view(await voices.show(scope), scope))
    except SlackApiError as exc:
        log.warning("could not open the voice form: %s", exc.response.get("error", ""))


def command_scope(command: VoiceCommand, body: dict[str, Any]) -> Scope:
    """The workspace of a `/copy voice` command, or its channel with `channel`."""
    return Scope(str(body.get("team_id", "")), str(body.get("channel_id", "")) if command.channel else "")


async def voice_command(command: VoiceCommand, body: dict[str, Any], voices: VoiceService) -> str:
    """Answer a `/copy voice …` text command; the ephemeral answer's text."""
    scope, user = command_scope(command, body), str(body.get("user_id", ""))
    try:
        if command.action == "show":
            return voice_text(await voices.show(scope), scope)
        voice = await voices.change(scope, command.action, command.argument, user_id=user)
    except CopybotError as exc:
        return f":warning: {escape(str(exc))}"
    return ":white_check_mark: Saved (a new version; earlier runs keep theirs).\n" + voice_text(voice, scope)


def register_voice(app: AsyncApp, *, voices: VoiceService) -> None:
    async def on_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        values = (view.get("state") or {}).get("values") or {}

        def value(block: str) -> str:
            return str(((values.get(block) or {}).get("value") or {}).get("value") or "")

        try:
            where = json.loads(view.get("private_metadata") or "{}")
            scope = Scope(str(where["team_id"]), str(where.get("channel_id", "")))
        except (ValueError, KeyError, TypeError):
            await ack(response_action="errors", errors={"text": "This form has expired; open a new one."})
            return
        voice = Voice(value("text").strip(), terms(value("banned")), terms(value("required")))
        try:
            await voices.save(scope, voice, user_id=str((body.get("user") or {}).get("id") or "?"))
        except CopybotError as exc:
            await ack(response_action="errors", errors={"text": str(exc)[:150]})
            return
        await ack()

    async def on_edit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")
        await open_voice_form(client, str(body.get("trigger_id", "")), voices, Scope(team))

    app.view(VOICE_VIEW)(on_submit)
    app.action(EDIT_VOICE_ACTION)(on_edit)
