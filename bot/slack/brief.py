"""The brief form: a modal for a copy request, opened by `/copy` alone, the New brief button and the message
shortcut "Write copy from this message" (prefilled with the message and the text of its files).

A submission is validated field by field (errors are shown inline, nothing typed is lost), closes the form and
runs exactly as `/copy` would, in the conversation the form was opened from (kept in `private_metadata`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import RequestError
from bot.services import Origin, RunSource, Services
from bot.slack.blocks import NEW_BRIEF_ACTION
from bot.slack.files import message_text
from bot.slack.jobs import admit, limited, start_copy
from bot.slack.poster import tell
from bot.slack.tasks import BackgroundTasks
from bot.workflow.formats import Format, find
from bot.workflow.types import MAX_FIELD_CHARS, MAX_PRODUCT_CHARS, CopyRequest

log = logging.getLogger(__name__)
BRIEF_VIEW = "copybot_brief"
FROM_MESSAGE = "copybot_from_message"
FREE_COPY = "free"
MAX_OPTIONS = 100  # Slack's limit for a static select
_EMOJI = re.compile(r"^:[a-z0-9_+-]+:\s*")  # a form's inline error shows no emoji


@dataclass(frozen=True)
class BriefContext:
    """Where the run will go, how to reach the requester privately, and what the form starts with."""

    channel_id: str
    response_url: str = ""
    product: str = ""


def brief_context(command: Mapping[str, Any]) -> BriefContext:
    return BriefContext(str(command.get("channel_id", "")), str(command.get("response_url", "")))


def _text_input(block_id: str, label: str, *, optional: bool, multiline: bool, limit: int, initial: str = "") -> Any:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": limit,
    }
    if initial:
        element["initial_value"] = initial[:limit]
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _select(block_id: str, label: str, options: list[tuple[str, str]], initial: str) -> Any:
    choices = [{"text": {"type": "plain_text", "text": text[:75]}, "value": value} for value, text in options]
    chosen = next(c for c in choices if c["value"] == initial)
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {"type": "static_select", "action_id": "value", "options": choices, "initial_option": chosen},
    }


def brief_view(formats: Mapping[str, Format], max_variations: int, context: BriefContext) -> dict[str, Any]:
    """The modal (views.open); pure."""
    format_options = [(FREE_COPY, "Free copy (no character limits)")]
    format_options += [(name, f"{name}: {fmt.description}") for name, fmt in sorted(formats.items())]
    counts = [(str(n), str(n)) for n in range(1, max_variations + 1)]
    return {
        "type": "modal",
        "callback_id": BRIEF_VIEW,
        "private_metadata": json.dumps(asdict(BriefContext(context.channel_id, context.response_url))),
        "title": {"type": "plain_text", "text": "New copy brief"},
        "submit": {"type": "plain_text", "text": "Write copy"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _text_input(
                "product", "Product", optional=False, multiline=True, limit=MAX_PRODUCT_CHARS, initial=context.product
            ),
            _text_input("audience", "Audience", optional=True, multiline=False, limit=MAX_FIELD_CHARS),
            _text_input("features", "Key features (one per line)", optional=True, multiline=True, limit=3000),
            _text_input("tone", "Tone", optional=True, multiline=False, limit=MAX_FIELD_CHARS),
            _select("format", "Format", format_options[:MAX_OPTIONS], FREE_COPY),
            _select("variations", "Variations (at most)", counts, str(max_variations)),
        ],
    }


def _value(values: Mapping[str, Any], block_id: str) -> str:
    field = (values.get(block_id) or {}).get("value") or {}
    selected = field.get("selected_option") or {}
    return str(field.get("value") or selected.get("value") or "")


def read_brief(values: Mapping[str, Any], formats: Mapping[str, Format], max_variations: int) -> CopyRequest:
    """The request a submitted form asks for; BriefErrors with a message per field that cannot be used."""
    product, audience, tone = (_value(values, name) for name in ("product", "audience", "tone"))
    features = tuple(line.strip() for line in _value(values, "features").splitlines() if line.strip())
    errors: dict[str, str] = {}
    for block_id, fields in (
        ("product", {"product": product}),
        ("audience", {"product": "x", "audience": audience}),
        ("features", {"product": "x", "features": features}),
        ("tone", {"product": "x", "tone": tone}),
    ):
        try:  # CopyRequest's own checks, one field at a time: an error shows beside its field
            CopyRequest(**fields)
        except RequestError as exc:
            errors[block_id] = str(exc)[:150]
    chosen = _value(values, "format") or FREE_COPY
    fmt = None
    try:
        fmt = None if chosen == FREE_COPY else find(formats, chosen)
    except RequestError as exc:
        errors["format"] = str(exc)[:150]
    count = _value(values, "variations")
    if not (count.isascii() and count.isdigit() and 1 <= int(count) <= max_variations):
        errors["variations"] = f"Choose 1-{max_variations}."
    if errors:
        raise BriefErrors(errors)
    return CopyRequest(product, audience, features, tone, int(count), fmt)


class BriefErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


async def open_brief(
    client: AsyncWebClient, trigger_id: str, formats: Mapping[str, Format], max_variations: int, context: BriefContext
) -> None:
    try:
        await client.views_open(trigger_id=trigger_id, view=brief_view(formats, max_variations, context))
    except SlackApiError as exc:  # an expired trigger: the person can try again
        log.warning("could not open the brief form: %s", exc.response.get("error", ""))


def register_brief(app: AsyncApp, *, services: Services, tasks: BackgroundTasks, max_variations: int) -> None:
    """Each handler's `client` is the calling workspace's (Bolt authorizes every request)."""

    async def on_submit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        view = body.get("view") or {}
        try:
            request = read_brief((view.get("state") or {}).get("values") or {}, services.formats, max_variations)
            brief = BriefContext(**json.loads(view.get("private_metadata") or "{}"))
        except BriefErrors as exc:
            await ack(response_action="errors", errors=exc.errors)
            return
        except (ValueError, TypeError):
            await ack(response_action="errors", errors={"product": "This form has expired; open a new one."})
            return
        user = body.get("user") or {}
        team, user_id = str((body.get("team") or {}).get("id") or user.get("team_id") or ""), str(user.get("id") or "")
        name, enterprise = str(user.get("username") or ""), context.enterprise_id or ""
        origin = Origin(RunSource.SLACK, team, brief.channel_id, user_id, name, enterprise)
        refusal = await admit(services, tasks, origin, str(body.get("trigger_id") or ""))
        if refusal:
            await ack(response_action="errors", errors={"product": _EMOJI.sub("", refusal)})
            return
        await ack()
        start_copy(services.runs, client, tasks, request, origin, AsyncRespond(response_url=brief.response_url or None))

    async def on_new_brief(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        user = str((body.get("user") or {}).get("id") or "")
        context = BriefContext(channel or user, str(body.get("response_url") or ""))  # from App Home: a DM
        await open_brief(client, str(body.get("trigger_id", "")), services.formats, max_variations, context)

    async def on_from_message(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        channel = str((body.get("channel") or {}).get("id") or "")
        user = body.get("user") or {}
        team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        if refusal := await limited(services, team, channel, str(user.get("id") or ""), new_run=True):
            await tell(respond, refusal)
            return
        message = body.get("message") or {}
        product = await message_text(client, message, MAX_PRODUCT_CHARS)
        context = BriefContext(channel, str(body.get("response_url") or ""), product)
        await open_brief(client, str(body.get("trigger_id", "")), services.formats, max_variations, context)

    app.view(BRIEF_VIEW)(on_submit)
    app.action(NEW_BRIEF_ACTION)(on_new_brief)
    app.shortcut(FROM_MESSAGE)(on_from_message)
