"""One run: plan with the orchestrator, write every variation concurrently, stream events.

A revision (a refinement or another take of a written variation) is one
writer call with its own prompt, under the same guard and gate.

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
from bot.workflow.calls import CallError, elapsed_ms, timed_call
from bot.workflow.handle import WorkflowRun
from bot.workflow.llm.base import LLM
from bot.workflow.plan import PlanBuilder, PlanScanner, RawTask
from bot.workflow.prompting import orchestrator_prompt, protected_strings, revision_prompt, worker_prompt
from bot.workflow.types import (
    MIN_STYLES,
    AnalysisReady,
    CallRecorded,
    CopyRequest,
    Emit,
    LLMCall,
    Plan,
    PlanReady,
    Revision,
    RunFinished,
    RunStatus,
    Subtask,
    VariationStarted,
    VariationStatus,
)
from bot.workflow.writer import Writer, copy_key

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

    def revise(self, revision: Revision) -> WorkflowRun:
        """A handle on writing one new version of a variation (a refinement or another take): its events are
        VariationStarted, its calls, then VariationDone or VariationFailed."""
        return WorkflowRun(lambda emit: _revise(self, revision, emit))

    def writer(self, request: CopyRequest, emit: Emit) -> Writer:
        """A writer of variations for one run: worker model, timeouts, the concurrency gate, the request's checks."""
        config = self.config
        return Writer(
            llm=self.llm,
            request=request,
            model=config.worker_model,
            max_tokens=config.worker_max_tokens,
            timeout_s=config.worker_timeout_s,
            gate=self.model_gate or asyncio.Semaphore(config.max_concurrency),
            emit=emit,
            live_interval_s=config.live_text_interval_s if config.live_text else None,
        )


def _shortfall(total: int, failed: int, over: int) -> str:
    """Why a run is partial: `1 of 3 variations failed.`, `1 of 3 variations is still over its format's limits.`"""
    parts = []
    if failed:
        parts.append(f"{failed} of {total} variation{'s' if total != 1 else ''} failed.")
    if over:
        verb = "is" if over == 1 else "are"
        parts.append(f"{over} of {total} variation{'s' if total != 1 else ''} {verb} still over the format's limits.")
    return " ".join(parts)


async def _revise(workflow: Workflow, revision: Revision, emit: Emit) -> None:
    writer = workflow.writer(revision.request, emit)
    writer.copies.update((copy_key(text), position) for position, text in revision.earlier)
    emit(VariationStarted(revision.subtask))
    await writer.write(revision.subtask, revision_prompt(revision, small=writer.small))


class _Run:
    """The state of one run while it executes."""

    def __init__(self, workflow: Workflow, request: CopyRequest, emit: Emit) -> None:
        self.llm = workflow.llm
        self.config = workflow.config
        self.request = request
        self.emit = emit
        self.builder = PlanBuilder(request.max_variations)
        self.plan_gate = workflow.model_gate or contextlib.nullcontext()
        self.writer = workflow.writer(request, emit)
        self.analysis_sent = False
        self.outcomes: list[VariationStatus] = []  # how each variation ended

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
        done, over, failed = (
            self.outcomes.count(s) for s in (VariationStatus.DONE, VariationStatus.OVER_LIMIT, VariationStatus.FAILED)
        )
        status = RunStatus.DONE
        if done + over == 0:
            status = RunStatus.FAILED
            error = error or "No variation could be written."
        elif failed or over or error:
            status = RunStatus.PARTIAL
            error = error or _shortfall(len(self.outcomes), failed, over)
        self.emit(RunFinished(status, error, done, failed, elapsed_ms(started), over))

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
        prompt = orchestrator_prompt(self.request, small=not self.llm.capabilities.follows_instructions)
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
                passing = "Try again in a minute." if exc.retryable else ""  # else the cause says what to fix
                raise LLMError(f"The orchestrator call failed: {exc}", hint=passing) from exc
            if scanner.received == 0:
                on_text(completion.text)
            take(scanner.finish())
            if (problem := self._plan_problem(completion.text)) is not None:
                # the call is stored with its raw reply, for `copybot history show`; the retry can only add
                # tasks (PlanBuilder drops repeated styles), and workers already started run on
                self.emit(CallRecorded(replace(call, error=problem.message, reply=completion.text)))
                if attempt < attempts:
                    log.warning("orchestrator attempt %d: %s Retrying.", attempt, problem.message)
                    continue
                raise problem
            plan = self.builder.build(scanner.analysis or "", completion.text)
            self.emit(CallRecorded(call))
            self._analysis(plan.analysis)
            return plan
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _plan_problem(self, reply: str) -> PlanError | None:
        """Why the tasks read so far are no usable plan: none at all, or one style (the small-model guard)."""
        if not self.builder.subtasks:
            hint = "Try again; if it keeps happening, rephrase the request."
            return PlanError("The orchestrator's reply held no usable task.", raw=reply, hint=hint)
        if len(self.builder.subtasks) < min(MIN_STYLES, self.request.max_variations):
            hint = "Try again, or ask for more variations."
            return PlanError("The orchestrator planned only one distinct style.", raw=reply, hint=hint)
        return None

    async def _write(self, subtask: Subtask) -> None:
        prompt = worker_prompt(self.request, subtask, small=self.writer.small)
        self.outcomes.append(await self.writer.write(subtask, prompt))

    def _record(self, call: LLMCall) -> None:
        self.emit(CallRecorded(call))
