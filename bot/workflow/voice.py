"""A brand voice (text, banned terms, required spellings), the check of copy against it, and a team's taste.

Banned terms are found case-insensitively as whole words or phrases, also inside hyphenated words (`cheap` in
`cheap-looking`, never in `cheaper`). A required spelling is caught when a term is written any other way: another
case, spacing or hyphenation (`e-bike`, not `E-Bike`, `ebike` or `e bike`), or without its ™ or ®.
Copy is never edited here: each violation is named, for a rewrite and, if it stays, for the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_VOICE_CHARS = 4000
MAX_TERMS = 50
MAX_TERM_CHARS = 60
_MARKS = "™®©"


@dataclass(frozen=True)
class Voice:
    """What a team's copy must sound like. `versions` are the stored versions it was made from."""

    text: str = ""
    banned: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    versions: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.text or self.banned or self.required)

    def then(self, other: Voice) -> Voice:
        """This voice with `other` added after it (a channel's voice after the workspace's: both apply)."""
        text = "\n\n".join(t for t in (self.text, other.text) if t)
        return Voice(
            text,
            _union(self.banned, other.banned),
            _union(self.required, other.required),
            self.versions + other.versions,
        )


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    seen = {t.casefold() for t in first}
    return first + tuple(t for t in second if t.casefold() not in seen)


def terms(text: str) -> tuple[str, ...]:
    """`cheap, best ever; synergy` (commas, semicolons or lines) -> the terms, trimmed, without repeats."""
    found: list[str] = []
    for term in re.split(r"[,;\n]", text):
        term = " ".join(term.split())
        if term and term.casefold() not in {t.casefold() for t in found}:
            found.append(term)
    return tuple(found)


def _boundary(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_]){pattern}(?![^\W_])", re.IGNORECASE)


def _banned(term: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in term.split()]
    return _boundary(r"[\s\-]+".join(words))


def _spelled(term: str) -> re.Pattern[str]:
    """Any spelling of `term`: its letters and digits in order, with or without spaces or hyphens between them."""
    key = [ch for ch in term if ch.isalnum()]
    return _boundary(r"[\s\-]?".join(re.escape(ch) for ch in key) + f"[{_MARKS}]?")


def violations(text: str, voice: Voice) -> tuple[str, ...]:
    """Each banned term used and each required term misspelled in `text`, worded for a rewrite and the reader."""
    found: list[str] = []
    for term in voice.banned:
        if match := _banned(term).search(text):
            found.append(f"banned term '{term}' used ('{match.group(0)}')")
    for term in voice.required:
        if not any(ch.isalnum() for ch in term):
            continue
        wrong = {m.group(0) for m in _spelled(term).finditer(text) if m.group(0) != term}
        found.extend(f"write '{term}', not '{spelling}'" for spelling in sorted(wrong))
    return tuple(found)


@dataclass(frozen=True)
class StyleWins:
    """A style a team picked: in how many runs it won, and with how many votes."""

    style: str
    runs: int
    votes: int


@dataclass(frozen=True)
class Taste:
    """What a team picked over its recent runs: the winning styles and up to two recent winning copies.
    `shown` are the (run id, position) of the favourites it was made from."""

    styles: tuple[StyleWins, ...] = ()
    examples: tuple[str, ...] = ()
    shown: tuple[tuple[int, int], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.styles


NO_VOICE = Voice()
NO_TASTE = Taste()


def counted(n: int, word: str) -> str:
    """`1 run`, `3 runs`."""
    return f"{n} {word}{'' if n == 1 else 's'}"
