"""One model call under a timeout, recorded as an LLMCall whatever happens."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from bot.errors import CopybotError, LLMError, describe
from bot.workflow.llm.base import LLM, Completion, Prompt, TextSink, estimate_cost
from bot.workflow.types import LLMCall, Usage, printable

log = logging.getLogger(__name__)
INTERRUPTED_CALL = "interrupted: the run was stopped while the model was answering"


def elapsed_ms(since: float) -> int:
    """Milliseconds since the monotonic time `since`."""
    return round((time.monotonic() - since) * 1000)


def failure_reason(error: BaseException, timeout_s: float) -> str:
    """What a failed call tells the user."""
    if isinstance(error, TimeoutError):
        return f"The model did not answer within {timeout_s:g} s."
    return describe(error)


class CallError(Exception):
    """A model call failed; carries its recorded LLMCall."""

    def __init__(self, call: LLMCall, cause: BaseException, timeout_s: float) -> None:
        super().__init__(failure_reason(cause, timeout_s))
        self.call = call
        self.cause = cause

    @property
    def retryable(self) -> bool:
        return isinstance(self.cause, TimeoutError) or (isinstance(self.cause, LLMError) and self.cause.retryable)


async def timed_call(
    llm: LLM,
    prompt: Prompt,
    model: str,
    max_tokens: int,
    timeout_s: float,
    *,
    position: int | None = None,
    on_text: TextSink | None = None,
    on_cancel: Callable[[LLMCall], None] | None = None,
) -> tuple[Completion, LLMCall]:
    """Call `llm` under `timeout_s`; the LLMCall is built whatever happens (CallError on failure).

    The reply, streamed or whole, comes back without control characters (`printable`): model output is untrusted.
    A call cancelled in flight (the run was stopped) is handed to `on_cancel` before the cancellation goes on:
    it was sent, and may cost, so it is recorded too.
    """
    started = time.monotonic()

    def record(completion: Completion | None, error: str) -> LLMCall:
        answered_by = completion.model if completion else llm.describe(model)
        usage = completion.usage if completion else Usage()
        return LLMCall(
            role=prompt.role,
            prompt_name=prompt.name,
            prompt_sha256=prompt.sha256,
            provider=llm.provider,
            model=answered_by,
            usage=usage,
            duration_ms=elapsed_ms(started),
            stop_reason=completion.stop_reason if completion else "",
            request_id=completion.request_id if completion else "",
            error=error,
            position=position,
            cost_usd=estimate_cost(llm, answered_by, usage),
        )

    def text(chunk: str) -> None:
        if on_text is not None and (clean := printable(chunk)):
            on_text(clean)

    try:
        async with asyncio.timeout(timeout_s):
            completion = await llm.complete(
                prompt, model=model, max_tokens=max_tokens, on_text=text if on_text is not None else None
            )
    except asyncio.CancelledError:
        if on_cancel is not None:
            on_cancel(record(None, INTERRUPTED_CALL))
        raise
    except Exception as exc:
        if not isinstance(exc, CopybotError | TimeoutError):
            log.error("a %s call to %s failed unexpectedly", prompt.role, llm.provider, exc_info=exc)
        raise CallError(record(None, failure_reason(exc, timeout_s)), exc, timeout_s) from exc
    completion = replace(completion, text=printable(completion.text))
    return completion, record(completion, "")
