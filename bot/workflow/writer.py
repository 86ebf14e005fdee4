"""Writing one variation from its prompt: the call under the writers' gate, the best of a small model's
candidates, the small-model guard, and the checks in code of a format's fields and of the brand voice's terms.

A provider that asks for several candidates per variation (a small local
model: `Capabilities.candidates`) gets that many calls; the one that
bot/workflow/quality.py scores best, against the copies already written in
the run, is kept, and the others are recorded as unused calls.

An empty copy, or one identical to a copy already written in the run, is
written once more before the variation is marked failed. With a format, each
field is checked (missing, extra, empty, over its limit), and the copy is
checked against the brand voice (banned terms, required spellings); a reply
with problems gets up to MAX_REWRITES targeted rewrite calls naming every
problem at once, and what is still wrong then is kept on the variation
(status over_limit; violations shown), never silently cut or edited. A
writer never raises (except on cancellation): a failure becomes a
VariationFailed event, so one bad variation never cancels the others.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import Any

from bot.workflow.calls import CallError, failure_reason, timed_call
from bot.workflow.formats import FieldText, read_fields
from bot.workflow.live import LiveText
from bot.workflow.llm.base import LLM, Completion, Prompt
from bot.workflow.plan import extract_response
from bot.workflow.prompting import rewrite_prompt
from bot.workflow.quality import judge, score
from bot.workflow.types import (
    CallRecorded,
    CopyRequest,
    Emit,
    LLMCall,
    Subtask,
    Variation,
    VariationDone,
    VariationFailed,
    VariationStatus,
)
from bot.workflow.voice import violations

log = logging.getLogger(__name__)
MAX_REWRITES = 2


def copy_key(text: str) -> str:
    """Two copies with the same key are duplicates (case and spacing aside)."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class _Checked:
    """A reply's copy as a reader sees it (a format's fields without their tags), and what is wrong with it."""

    text: str
    fields: tuple[FieldText, ...]
    over_limit: tuple[str, ...]
    violations: tuple[str, ...]

    @property
    def problems(self) -> tuple[str, ...]:
        return self.over_limit + self.violations


@dataclass(frozen=True)
class _Reply:
    completion: Completion
    call: LLMCall
    copy: str  # inside <response>


@dataclass
class Writer:
    """Writes variations of one run with the worker model; `copies` holds every copy written so far."""

    llm: LLM
    request: CopyRequest
    model: str
    max_tokens: int
    timeout_s: float
    gate: AbstractAsyncContextManager[Any]
    emit: Emit
    live_interval_s: float | None = None  # stream each variation as VariationText (live text) when set
    copies: dict[str, int] = field(default_factory=dict)  # copy_key -> the position that wrote it

    @property
    def small(self) -> bool:
        """The model cannot follow instructions: it gets the small prompts."""
        return not self.llm.capabilities.follows_instructions

    async def write(self, subtask: Subtask, prompt: Prompt) -> VariationStatus:
        """Write `subtask` from `prompt`; how it ended (done, over_limit, failed). Emits its calls and
        VariationDone or VariationFailed."""
        live = None
        if self.live_interval_s is not None and self.llm.capabilities.streams:
            live = LiveText(subtask, self.emit, self.live_interval_s)
        reply: _Reply | None = None
        for attempt in (1, 2):
            try:
                reply = await self._best(subtask, prompt, live)
            except CallError as exc:
                return self._failed(subtask, str(exc), exc.call)
            except Exception as exc:  # one worker's bug must not cancel the others
                log.exception("worker %d crashed", subtask.position)
                return self._failed(subtask, failure_reason(exc, self.timeout_s), None)
            problem = self._unusable(self._checked(reply.copy).text)
            if problem is None:
                break
            reason, error = problem
            if attempt == 2:
                return self._failed(subtask, reason, replace(reply.call, error=error))
            self.emit(CallRecorded(replace(reply.call, error=f"{error}; retried")))
        assert reply is not None
        reply, checked = await self._check(subtask, reply)
        self.copies[copy_key(checked.text)] = subtask.position
        self.emit(CallRecorded(reply.call))
        variation = Variation(
            subtask,
            checked.text,
            reply.completion.truncated,
            reply.call,
            checked.fields,
            checked.over_limit,
            checked.violations,
        )
        self.emit(VariationDone(variation))
        return variation.status

    async def _check(self, subtask: Subtask, reply: _Reply) -> tuple[_Reply, _Checked]:
        """Check `reply` against the format and the brand voice; while anything is wrong, one rewrite call naming
        every problem (at most MAX_REWRITES)."""
        checked = self._checked(reply.copy)
        for _ in range(MAX_REWRITES):
            if not checked.problems:
                break
            prompt = rewrite_prompt(self.request, subtask, reply.copy, checked.problems, small=self.small)
            try:
                rewritten = await self._call(subtask, prompt, None)
            except CallError as exc:  # keep the copy we have, problems and all
                self.emit(CallRecorded(exc.call))
                break
            self.emit(CallRecorded(replace(reply.call, error=f"{'; '.join(checked.problems)}; rewritten")))
            reply = rewritten
            checked = self._checked(reply.copy)
        return reply, checked

    def _checked(self, copy: str) -> _Checked:
        fmt = self.request.format
        fields, over = read_fields(copy, fmt) if fmt else ((), ())
        text = "\n\n".join(f.text for f in fields) if fmt else copy
        return _Checked(text, fields, over, violations(text, self.request.voice))

    async def _best(self, subtask: Subtask, prompt: Prompt, live: LiveText | None) -> _Reply:
        """The provider's number of candidates for `prompt`, the best kept; a failed candidate is recorded and
        skipped while another succeeds."""
        count = max(1, self.llm.capabilities.candidates)
        if count == 1:
            return await self._call(subtask, prompt, live)
        replies: list[_Reply] = []
        failures: list[CallError] = []
        for _ in range(count):
            try:
                replies.append(await self._call(subtask, prompt, live))
            except CallError as exc:
                failures.append(exc)
        last = None if replies else failures.pop()  # the caller records the last failure with the variation's
        for failed in failures:
            self._record(failed.call)
        if last is not None:
            raise last
        earlier = list(self.copies)
        ranked = sorted(replies, key=lambda r: self._score(r.copy, earlier), reverse=True)
        for number, other in enumerate(ranked[1:], 2):
            self._record(replace(other.call, error=f"candidate ranked {number} of {len(ranked)}; not kept"))
        return ranked[0]

    def _score(self, copy: str, earlier: list[str]) -> tuple[int, tuple[int, int, float, int]]:
        """Fewest format and brand-voice problems first, then the quality score."""
        checked = self._checked(copy)
        verdict = judge(checked.text, self.request.product, self.request.features)
        return -len(checked.problems), score(verdict, checked.text, earlier)

    async def _call(self, subtask: Subtask, prompt: Prompt, live: LiveText | None) -> _Reply:
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
        return _Reply(completion, call, extract_response(completion.text))

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

    def _failed(self, subtask: Subtask, reason: str, call: LLMCall | None) -> VariationStatus:
        if call is not None:
            self._record(call)
        self.emit(VariationFailed(subtask, reason, call))
        return VariationStatus.FAILED
