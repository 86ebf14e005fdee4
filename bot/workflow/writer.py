"""Writing one variation from its prompt: the call under the writers' gate, and the small-model guard.

An empty copy, or one identical to a copy already written in the run, is
written once more before the variation is marked failed. A writer never
raises (except on cancellation): a failure becomes a VariationFailed event,
so one bad variation never cancels the others.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Any

from bot.workflow.calls import CallError, failure_reason, timed_call
from bot.workflow.live import LiveText
from bot.workflow.llm.base import LLM, Prompt
from bot.workflow.plan import extract_response
from bot.workflow.types import CallRecorded, Emit, LLMCall, Subtask, Variation, VariationDone, VariationFailed

log = logging.getLogger(__name__)


def copy_key(text: str) -> str:
    """Two copies with the same key are duplicates (case and spacing aside)."""
    return " ".join(text.casefold().split())


@dataclass
class Writer:
    """Writes variations of one run with the worker model; `copies` holds every copy written so far."""

    llm: LLM
    model: str
    max_tokens: int
    timeout_s: float
    gate: AbstractAsyncContextManager[Any]
    emit: Emit
    live_interval_s: float | None = None  # stream each variation as VariationText (live text) when set
    copies: dict[str, int] = field(default_factory=dict)  # copy_key -> the position that wrote it

    async def write(self, subtask: Subtask, prompt: Prompt) -> bool:
        """Write `subtask` from `prompt`; True when it was written. Emits its calls and VariationDone/Failed."""
        live = None
        if self.live_interval_s is not None and self.llm.capabilities.streams:
            live = LiveText(subtask, self.emit, self.live_interval_s)
        for attempt in (1, 2):
            try:
                async with self.gate:
                    completion, call = await timed_call(
                        self.llm,
                        prompt,
                        self.model,
                        self.max_tokens,
                        self.timeout_s,
                        position=subtask.position,
                        on_text=live.attempt() if live else None,
                        on_cancel=self._record,
                    )
            except CallError as exc:
                return self._failed(subtask, str(exc), exc.call)
            except Exception as exc:  # one worker's bug must not cancel the others
                log.exception("worker %d crashed", subtask.position)
                return self._failed(subtask, failure_reason(exc, self.timeout_s), None)
            text = extract_response(completion.text)
            problem = self._unusable(text)
            if problem is None:
                break
            reason, error = problem
            if attempt == 2:
                return self._failed(subtask, reason, replace(call, error=error))
            self.emit(CallRecorded(replace(call, error=f"{error}; retried")))
        self.copies[copy_key(text)] = subtask.position
        self.emit(CallRecorded(call))
        self.emit(VariationDone(Variation(subtask, text, completion.truncated, call)))
        return True

    def _unusable(self, text: str) -> tuple[str, str] | None:
        """Why a copy cannot be kept (the reason shown, the error recorded), or None when it can."""
        if not text:
            return "The model returned no copy.", "empty reply"
        same = self.copies.get(copy_key(text))
        if same is not None:
            return f"The model repeated variation {same} word for word.", f"duplicate of variation {same}"
        return None

    def _record(self, call: LLMCall) -> None:
        self.emit(CallRecorded(call))

    def _failed(self, subtask: Subtask, reason: str, call: LLMCall | None) -> bool:
        if call is not None:
            self._record(call)
        self.emit(VariationFailed(subtask, reason, call))
        return False
