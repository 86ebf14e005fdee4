"""Text for Slack: escaping untrusted text, splitting it within Slack's limits, shortening it.

Model output is untrusted: `escape` turns `&`, `<`, `>` into entities, so `<!channel>`, `<@U...>` or
`<http://x|y>` in it show as text and never ping or link.
"""

from __future__ import annotations

SECTION_LIMIT = 3_000
FALLBACK_CHARS = 3_000
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Escape Slack's control characters so the text is shown exactly as written."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split raw `text` into pieces whose *escaped* length is <= limit, preferring natural boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        end, size = 0, 0
        while end < len(rest) and size + len(_ENTITIES.get(rest[end], rest[end])) <= limit:
            size += len(_ENTITIES.get(rest[end], rest[end]))
            end += 1
        if end < len(rest):
            for sep in ("\n\n", "\n", ". ", " "):
                cut = rest.rfind(sep, 0, end)
                if cut > end // 2:
                    end = cut + len(sep)
                    break
        pieces.append(rest[:end].strip())
        rest = rest[end:].strip()
    return [p for p in pieces if p]


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shorten_fallback(mrkdwn: str) -> str:
    return mrkdwn if len(mrkdwn) <= FALLBACK_CHARS else mrkdwn[: FALLBACK_CHARS - 1].rsplit(" ", 1)[0] + "…"
