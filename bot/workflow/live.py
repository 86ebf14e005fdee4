"""Live text: a variation's copy so far, while its worker streams it, as throttled VariationText events.

The preview never shows a raw `<response>` tag, not even half of one: a tag
still being written at the end of the text is held back until it closes, and
`extract_response` (the same rule as for the final copy) takes what is inside.
"""

from __future__ import annotations

import re
import time

from bot.workflow.llm.base import TextSink
from bot.workflow.plan import extract_response
from bot.workflow.types import Emit, Subtask, VariationText

_TAG_TAIL = re.compile(r"<\s*/?\s*([a-z]*)(\s[^<>]*)?\Z", re.IGNORECASE)


def preview(reply: str) -> str:
    """The copy in a partial worker reply: what extract_response keeps, without a half-written response tag."""
    start = reply.rfind("<")
    if start != -1 and (tail := _TAG_TAIL.match(reply, start)) is not None:
        name = tail.group(1).lower()
        if "response".startswith(name) and (tail.group(2) is None or name == "response"):
            reply = reply[:start]
    return extract_response(reply)


class LiveText:
    """Collects one variation's streamed reply and emits its preview at most once per `interval_s`."""

    def __init__(self, subtask: Subtask, emit: Emit, interval_s: float) -> None:
        self.subtask = subtask
        self.emit = emit
        self.interval_s = interval_s
        self._reply = ""
        self._shown = ""
        self._emitted_at = float("-inf")  # monotonic; shared by the attempts of one variation

    def attempt(self) -> TextSink:
        """The on_text sink for a new attempt: a retried worker writes its copy anew."""
        self._reply = ""
        return self._feed

    def _feed(self, chunk: str) -> None:
        self._reply += chunk
        now = time.monotonic()
        if now - self._emitted_at < self.interval_s:
            return
        text = preview(self._reply)
        if text and text != self._shown:
            self._emitted_at = now
            self._shown = text
            self.emit(VariationText(self.subtask, text))
