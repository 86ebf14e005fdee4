"""One run: plan with the orchestrator, write every variation concurrently, stream events.

The orchestrator's reply is streamed when the provider can stream: each task
starts its worker the moment its `</task>` arrives, so workers overlap the rest
of the plan. A call that fails part-way is retried; tasks already started are
kept and never started twice (PlanBuilder outlives the attempts).

Workers run in one TaskGroup under a Semaphore, each under its own timeout.
A worker never raises: a failure becomes a VariationFailed event, so one bad
variation never cancels the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.errors import CopybotError, LLMError, PlanError
from bot.workflow.calls import CallError, elapsed_ms, failure_reason, timed_call
from bot.workflow.handle import WorkflowRun
from bot.workflow.live import LiveText
from bot.workflow.llm.base import LLM
from bot.workflow.plan import PlanBuilder, PlanScanner, RawTask, extract_response
from bot.workflow.prompting import orchestrator_prompt, protected_strings, worker_prompt
from bot.workflow.types import (
    MIN_STYLES,
    AnalysisReady,
    CallRecorded,
    CopyRequest,
    Emit,
    LLMCall,
    Plan,
    PlanReady,
    RunFinished,
    RunStatus,
    Subtask,
    Variation,
    VariationDone,
    VariationFailed,
    VariationStarted,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkflowConfig:
    orchestrator_model: str
    worker_model: str
    max_concurrency: int = 5
    orchestrator_timeout_s: float = 120.0
    worker_timeout_s: float = 90.0
    orchestrator_max_tokens: int = 2048
    worker_max_tokens: int = 1024
    orchestrator_attempts: int = 2
    orchestrator_retry_delay_s: float = 0.5  # times the attempt number; the SDK's own retries come first
    live_text: bool = False  # stream workers (when the provider can) and emit VariationText while they write
    live_text_interval_s: float = 1.0  # at most one VariationText per variation per interval


def _copy_key(text: str) -> str:
    """Two copies with the same key are duplicates (case and spacing aside)."""
    return " ".join(text.casefold().split())


class Workflow:
    """The orchestrator-workers workflow over one LLM provider."""

    def __init__(self, llm: LLM, config: WorkflowConfig) -> None:
        self.llm = llm
        self.config = config
        # A provider that answers a limited number of calls at once (a local model: one, for the whole process,
        # every run sharing it): calls queue here, outside their timeouts, so a timeout measures the model's
        # own work and never the queue.
        limit = llm.capabilities.concurrent_calls
        self.model_gate = asyncio.Semaphore(limit) if limit else None

    def run(self, request: CopyRequest) -> WorkflowRun:
        """A handle on one run of `request`: iterate it for events; the last is always RunFinished."""
        return WorkflowRun(lambda emit: _Run(self, request, emit).execute())


class _Run:
    """The state of one run while it executes."""

    def __init__(self, workflow: Workflow, request: CopyRequest, emit: Emit) -> None:
        self.llm = workflow.llm
        self.config = workflow.config
        self.request = request
        self.emit = emit
        self.builder = PlanBuilder(request.max_variations)
        self.plan_gate = workflow.model_gate or contextlib.nullcontext()
        self.semaphore = workflow.model_gate or asyncio.Semaphore(self.config.max_concurrency)
        self.analysis_sent = False
        self.copies: dict[str, int] = {}  # each written copy (_copy_key) -> its position
        self.succeeded = 0
        self.failed = 0

    async def execute(self) -> None:
        started = time.monotonic()
        error = ""
        async with asyncio.TaskGroup() as workers:
            try:
                plan = await self._plan(lambda subtask: self._start(workers, subtask))
            except CopybotError as exc:
                error = str(exc)
                if self.builder.subtasks:  # a stream broke after some tasks had started: they run on
                    self.emit(PlanReady(Plan(analysis="", subtasks=self.builder.subtasks)))
            else:
                self.emit(PlanReady(plan))
        status = RunStatus.DONE
        if self.succeeded == 0:
            status = RunStatus.FAILED
            error = error or "No variation could be written."
        elif self.failed or error:
            status = RunStatus.PARTIAL
            error = error or f"{self.failed} of {self.succeeded + self.failed} variations failed."
        self.emit(RunFinished(status, error, self.succeeded, self.failed, elapsed_ms(started)))

    def _analysis(self, analysis: str) -> None:
        if not self.analysis_sent:
            self.analysis_sent = True
            self.emit(AnalysisReady(analysis))

    def _start(self, workers: asyncio.TaskGroup, subtask: Subtask) -> None:
        self._analysis("")
        self.emit(VariationStarted(subtask))
        workers.create_task(self._write(subtask))

    async def _plan(self, start: Callable[[Subtask], None]) -> Plan:
        """Call the orchestrator (retrying a failed attempt) and start workers as tasks close."""
        prompt = orchestrator_prompt(self.request)
        attempts = max(1, self.config.orchestrator_attempts)
        for attempt in range(1, attempts + 1):
            scanner = PlanScanner(protected_strings(self.request))

            def take(found: list[RawTask], scanner: PlanScanner = scanner) -> None:
                if scanner.analysis is not None:
                    self._analysis(scanner.analysis)
                for raw in found:
                    if (subtask := self.builder.add(raw)) is not None:
                        start(subtask)

            def on_text(chunk: str, scanner: PlanScanner = scanner) -> None:
                take(scanner.feed(chunk))

            try:
                async with self.plan_gate:
                    completion, call = await timed_call(
                        self.llm,
                        prompt,
                        self.config.orchestrator_model,
                        self.config.orchestrator_max_tokens,
                        self.config.orchestrator_timeout_s,
                        on_text=on_text if self.llm.capabilities.streams else None,
                        on_cancel=self._record,
                    )
            except CallError as exc:
                self.emit(CallRecorded(exc.call))
                if attempt < attempts and exc.retryable:
                    log.warning("orchestrator attempt %d failed (%s); retrying", attempt, exc)
                    await asyncio.sleep(self.config.orchestrator_retry_delay_s * attempt)
                    continue
                raise LLMError(f"The orchestrator call failed: {exc}", hint="Try again in a minute.") from exc
            if scanner.received == 0:
                on_text(completion.text)
            take(scanner.finish())
            if 0 < len(self.builder.subtasks) < min(MIN_STYLES, self.request.max_variations):
                # small-model guard: one style is a failed plan; the retry can only add styles (PlanBuilder
                # drops repeats), and workers already started run on
                self.emit(CallRecorded(replace(call, error="The plan had only one distinct style.")))
                if attempt < attempts:
                    log.warning("orchestrator attempt %d planned one style; retrying", attempt)
                    continue
                raise PlanError(
                    "The orchestrator planned only one distinct style, twice.",
                    raw=completion.text,
                    hint="Try again, or ask for more variations.",
                )
            try:
                plan = self.builder.build(scanner.analysis or "", completion.text)
            except PlanError:
                self.emit(CallRecorded(replace(call, error="The reply held no usable task.")))
                raise
            self.emit(CallRecorded(call))
            self._analysis(plan.analysis)
            return plan
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _write(self, subtask: Subtask) -> None:
        """Write one variation; never raises (except on cancellation). An empty or duplicate copy is retried once."""
        live = LiveText(subtask, self.emit, self.config.live_text_interval_s) if self.config.live_text else None
        for attempt in (1, 2):
            try:
                async with self.semaphore:
                    completion, call = await timed_call(
                        self.llm,
                        worker_prompt(self.request, subtask),
                        self.config.worker_model,
                        self.config.worker_max_tokens,
                        self.config.worker_timeout_s,
                        position=subtask.position,
                        on_text=live.attempt() if live and self.llm.capabilities.streams else None,
                        on_cancel=self._record,
                    )
            except CallError as exc:
                self._failed(subtask, str(exc), exc.call)
                return
            except Exception as exc:  # one worker's bug must not cancel the others
                log.exception("worker %d crashed", subtask.position)
                self._failed(subtask, failure_reason(exc, self.config.worker_timeout_s), None)
                return
            text = extract_response(completion.text)
            problem = self._unusable(text)
            if problem is None:
                break
            reason, error = problem
            if attempt == 2:
                self._failed(subtask, reason, replace(call, error=error))
                return
            self.emit(CallRecorded(replace(call, error=f"{error}; retried")))
        self.copies[_copy_key(text)] = subtask.position
        self.emit(CallRecorded(call))
        self.succeeded += 1
        self.emit(VariationDone(Variation(subtask, text, completion.truncated, call)))

    def _unusable(self, text: str) -> tuple[str, str] | None:
        """Why a copy cannot be kept (the reason shown, the error recorded), or None when it can."""
        if not text:
            return "The model returned no copy.", "empty reply"
        same = self.copies.get(_copy_key(text))
        if same is not None:
            return f"The model repeated variation {same} word for word.", f"duplicate of variation {same}"
        return None

    def _record(self, call: LLMCall) -> None:
        self.emit(CallRecorded(call))

    def _failed(self, subtask: Subtask, reason: str, call: LLMCall | None) -> None:
        if call is not None:
            self._record(call)
        self.failed += 1
        self.emit(VariationFailed(subtask, reason, call))
