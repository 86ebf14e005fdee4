"""`/copy` text -> what to do: help, history, or a CopyRequest. Pure functions.

/copy <product> [audience: ...] [features: a, b, c] [tone: ...] [variations: N] [format: NAME | max_chars: N]
/copy                     (the brief form)
/copy history [N] [mine] [search words]
/copy help
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.errors import RequestError
from bot.services.voices import ACTIONS as VOICE_ACTIONS
from bot.workflow.formats import Format, choose
from bot.workflow.types import MAX_VARIATIONS, MIN_VARIATIONS, CopyRequest

HISTORY_DEFAULT = 10
HISTORY_MAX = 30
_KEYS = {
    "audience": "audience",
    "for": "audience",
    "features": "features",
    "feature": "features",
    "tone": "tone",
    "variations": "variations",
    "format": "format",
    "max_chars": "max_chars",
}
_OPTION = re.compile(r"(?:^|(?<=[\s,;|]))(" + "|".join(_KEYS) + r")\s*:", re.IGNORECASE)
_SLACK_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def number(text: str) -> int | None:
    """`text` as a whole number written in ASCII digits, else None (`²` and `٣` are digits to str.isdigit)."""
    return int(text) if text.isascii() and text.isdigit() else None


def usage(emoji: tuple[str, ...], max_variations: int = MAX_VARIATIONS, formats: Iterable[str] = ()) -> str:
    """The `/copy help` text (Slack mrkdwn)."""
    reactions = " ".join(f":{e}:" for e in emoji)
    return (
        "*How to use /copy*\n"
        f"`/copy <product> [audience: ...] [features: a, b, c] [tone: ...] [variations: 1-{max_variations}] "
        "[format: NAME | max_chars: N]`\n"
        "  e.g. `/copy Eco water bottle audience: hikers features: BPA-free, keeps drinks cold 24h "
        "tone: playful variations: 3 format: google-ads`\n"
        f"  Formats (character limits checked for you): {', '.join(formats)}.\n"
        "  `/copy` alone opens a form for the brief.\n"
        "  I post the plan as a thread here, then each variation as a reply the moment it is written.\n"
        f"  React with {reactions} or press *Pick this one* to vote for your favourite (one per person); "
        "reply in the thread (`2 shorter`) or press *Another take* for a new version.\n"
        "`/copy history [N] [mine] [search words]`: this channel's last N runs (default 10, at most 30); "
        "`mine`: only yours; in a DM with me: all of yours.\n"
        "`/copy voice [workspace|channel] show|set <text>|ban <terms>|unban <term>|require <terms>|clear`: "
        "the brand voice every run is written in (`/copy voice` opens a form).\n"
        "`/copy help`: this message."
    )


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Brief:
    """`/copy` alone: the brief form (a modal)."""


@dataclass(frozen=True)
class History:
    limit: int = HISTORY_DEFAULT
    mine: bool = False
    search: str = ""


@dataclass(frozen=True)
class Copy:
    request: CopyRequest


@dataclass(frozen=True)
class VoiceCommand:
    """`/copy voice [workspace|channel] [show|set <text>|ban <terms>|unban <term>|require <terms>|clear]`;
    no action: the voice form."""

    channel: bool = False
    action: str = ""
    argument: str = ""


Command = Help | Brief | History | Copy | VoiceCommand


def unslack(text: str) -> str:
    """Slack's escaped command text -> what the user typed: `<url|label>` -> label, `<@U1|ann>` -> @ann."""

    def plain(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if label:
            return ("@" + label) if target.startswith("@") else ("#" + label) if target.startswith("#") else label
        return target

    return html.unescape(_SLACK_ENTITY.sub(plain, text))


def parse_command(
    text: str, *, max_variations: int = MAX_VARIATIONS, formats: Mapping[str, Format] | None = None
) -> Command:
    """Parse `/copy` text; raise RequestError with a hint when it cannot be used."""
    text = unslack(text).strip()
    first, _, rest = text.partition(" ")
    if not text:
        return Brief()
    if first.lower() in {"help", "-h", "--help", "?"} and not rest.strip():
        return Help()
    if first.lower() == "history":
        return _history(rest)
    if first.lower() == "voice":
        return _voice(rest)
    return Copy(_request(text, max_variations, formats or {}))


def _voice(text: str) -> VoiceCommand:
    scope, _, rest = text.strip().partition(" ")
    channel = scope.lower() == "channel"
    if scope.lower() not in ("workspace", "channel"):
        rest = text.strip()
    action, _, argument = rest.strip().partition(" ")
    if action and action.lower() not in VOICE_ACTIONS:
        raise RequestError(
            f"`voice {action}` is not a voice command.",
            hint="Use `/copy voice [workspace|channel] show|set <text>|ban <terms>|unban <term>|require <terms>"
            "|clear`.",
        )
    return VoiceCommand(channel, action.lower(), argument.strip())


def _history(text: str) -> History:
    limit, mine = HISTORY_DEFAULT, False
    words: list[str] = []
    for word in text.split():
        if (count := number(word)) is not None and limit == HISTORY_DEFAULT and not words:
            limit = max(1, min(HISTORY_MAX, count))
        elif word.lower() == "mine" and not mine:
            mine = True
        else:
            words.append(word)
    return History(limit=limit, mine=mine, search=" ".join(words))


def _request(text: str, max_variations: int, formats: Mapping[str, Format]) -> CopyRequest:
    parts = _OPTION.split(text)
    product = parts[0].strip(" \t\n,;|")
    options: dict[str, str] = {}
    for raw_key, value in zip(parts[1::2], parts[2::2], strict=True):
        key = _KEYS[raw_key.lower()]
        if key in options:
            raise RequestError(f"`{key}:` is given twice.", hint="Give each option once; see `/copy help`.")
        options[key] = value.strip(" \t\n,;|")
    count = max_variations
    if "variations" in options:
        raw = options["variations"]
        asked = number(raw)
        if asked is None or not MIN_VARIATIONS <= asked <= max_variations:
            raise RequestError(
                f"`variations: {raw}` is not a number from {MIN_VARIATIONS} to {max_variations}.",
                hint="e.g. `variations: 3`. See `/copy help`.",
            )
        count = asked
    limit = None
    if "max_chars" in options:
        limit = number(options["max_chars"])
        if limit is None:
            raise RequestError(f"`max_chars: {options['max_chars']}` is not a number.", hint="e.g. `max_chars: 280`.")
    features = tuple(f.strip() for f in re.split(r"[,;\n]", options.get("features", "")) if f.strip())
    if not product:
        raise RequestError("Say what to write about first.", hint="e.g. `/copy Eco water bottle audience: hikers`.")
    return CopyRequest(
        product=product,
        audience=options.get("audience", ""),
        features=features,
        tone=options.get("tone", ""),
        max_variations=count,
        format=choose(formats, options.get("format", ""), limit),
    )
