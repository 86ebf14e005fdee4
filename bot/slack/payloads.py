"""Slack payloads -> the few fields copybot acts on, checked. Pure functions.

A payload is trusted for nothing: a field that is missing, empty or of the wrong type makes the whole reaction or
click unusable (None), and the handler ignores it with a debug line. The workspace comes from the envelope
(`team_id`, `team.id`) or the event itself, never defaults to "any workspace".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Keys Bolt itself reads from a request body, and the JSON types Slack sends them as (anything else is refused
# before Bolt sees it, which would crash on it). Slack sends null for some of them.
SHAPES: dict[str, tuple[type, ...]] = {
    "event": (dict,),
    "team": (dict, str),
    "user": (dict, str),
    "channel": (dict, str),
    "container": (dict,),
    "message": (dict,),
    "enterprise": (dict, str),
    "view": (dict,),
    "actions": (list,),
    "authorizations": (list,),
}
NULLABLE = frozenset({"team", "user", "channel", "enterprise"})


def shape_problem(body: dict[str, Any]) -> str:
    """What is wrong with the types of the body's fields that Bolt reads ("" when nothing is)."""
    for key, types in SHAPES.items():
        if key not in body or (body[key] is None and key in NULLABLE):
            continue
        value = body[key]
        if not isinstance(value, types):
            return f"its {key!r} is a {type(value).__name__}"
        if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
            return f"its {key!r} holds something other than objects"
    return ""


def text(value: object) -> str:
    """`value` when it is a non-empty string, else ""."""
    return value if isinstance(value, str) else ""


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Reaction:
    """A reaction added to or removed from a message."""

    added: bool
    team: str
    user: str
    emoji: str  # the base emoji: `+1::skin-tone-3` -> `+1`
    channel: str
    ts: str
    event_id: str | None


def reaction(event: dict[str, Any], body: dict[str, Any]) -> Reaction | None:
    """The reaction an event reports, or None when a field a vote needs is missing or malformed."""
    item = mapping(event.get("item"))
    found = Reaction(
        added=event.get("type") == "reaction_added",
        team=text(body.get("team_id")) or text(event.get("team")),
        user=text(event.get("user")),
        emoji=text(event.get("reaction")).split("::", 1)[0],
        channel=text(item.get("channel")),
        ts=text(item.get("ts")),
        event_id=text(body.get("event_id")) or None,
    )
    usable = item.get("type") == "message" and all((found.team, found.user, found.emoji, found.channel, found.ts))
    return found if usable else None


@dataclass(frozen=True)
class Click:
    """A button pressed on a message."""

    team: str
    user: str
    channel: str
    message_ts: str
    value: str
    trigger_id: str
    user_name: str = ""


def click(body: dict[str, Any]) -> Click | None:
    """The button click an interactivity payload reports, or None when a field is missing or malformed."""
    container, user = mapping(body.get("container")), mapping(body.get("user"))
    actions = body.get("actions")
    action = mapping(actions[0]) if isinstance(actions, list) and actions else {}
    found = Click(
        team=text(mapping(body.get("team")).get("id")) or text(user.get("team_id")),
        user=text(user.get("id")),
        channel=text(container.get("channel_id")) or text(mapping(body.get("channel")).get("id")),
        message_ts=text(container.get("message_ts")) or text(mapping(body.get("message")).get("ts")),
        value=text(action.get("value")),
        trigger_id=text(body.get("trigger_id")),
        user_name=text(user.get("username")) or text(user.get("name")),
    )
    return found if all((found.team, found.user, found.channel, found.message_ts)) else None
