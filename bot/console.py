"""The terminal sink: shows a run's phases as events arrive.

On a terminal a live status line (on stderr) shows which variations are ready;
piped, it prints plain lines. With `json_mode` nothing but the final JSON
document reaches stdout: the phases go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.terminal import json_text, visible
from bot.workflow.formats import FieldText
from bot.workflow.types import (
    AnalysisReady,
    CallRecorded,
    CopyRequest,
    Event,
    LLMCall,
    PlanReady,
    RunFinished,
    RunStatus,
    Subtask,
    VariationDone,
    VariationFailed,
    VariationStarted,
    VariationStatus,
)
from bot.workflow.voice import counted

RULE = "=" * 80
FAILED = (RunStatus.FAILED, RunStatus.INTERRUPTED)
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def fields_text(fields: Sequence[FieldText]) -> str:
    """A format's fields for the terminal: each labelled with its count, ⚠ when over its limit."""
    return "\n\n".join(
        f"{f.label.capitalize()} · {f.chars}/{f.limit}{' ⚠ over the limit' if f.over else ''}\n{f.text}" for f in fields
    )


@dataclass
class _Outcome:
    subtask: Subtask
    status: VariationStatus = VariationStatus.WRITING
    text: str = ""
    error: str = ""
    truncated: bool = False
    call: LLMCall | None = None
    fields: tuple[FieldText, ...] = ()
    over_limit: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()


@dataclass
class ConsoleView:
    """A RunSink for `copybot run`."""

    request: CopyRequest
    provider: str
    json_mode: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    live: bool | None = None
    run_id: int | None = None
    analysis: str = ""
    outcomes: dict[int, _Outcome] = field(default_factory=dict)
    calls: list[LLMCall] = field(default_factory=list)
    finished: RunFinished | None = None
    _started: float = field(default_factory=time.monotonic)
    _ticker: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        if self.live is None:
            self.live = self.err.isatty()

    @property
    def text(self) -> TextIO:
        """Where the phases go: stdout, or stderr when stdout is reserved for JSON."""
        return self.err if self.json_mode else self.out

    async def handle(self, run_id: int, event: Event) -> None:
        self.run_id = run_id
        if isinstance(event, AnalysisReady):
            self.analysis = event.analysis
            self._section("ORCHESTRATOR ANALYSIS")
            self._print(f"\n{event.analysis or '(the orchestrator gave no analysis)'}\n")
            self._section("GENERATING CONTENT")
            self._start_ticker()
        elif isinstance(event, VariationStarted):
            self.outcomes[event.subtask.position] = _Outcome(event.subtask)
            self._print(f"→ {event.subtask.position}. {event.subtask.type.upper()}: {event.subtask.description}")
        elif isinstance(event, VariationDone):
            v = event.variation
            self.outcomes[v.subtask.position] = _Outcome(
                v.subtask, v.status, v.text, "", v.truncated, v.call, v.fields, v.over_limit, v.violations
            )
            note = " (cut off at the token limit)" if v.truncated else ""
            if v.over_limit:
                note += f" ⚠ still over the format's limits: {'; '.join(v.over_limit)}"
            if v.violations:
                note += f" ⚠ against the brand voice: {'; '.join(v.violations)}"
            self._print(f"✓ {v.subtask.position}. {v.subtask.type} ready{self._cost(v.call)}{note}")
        elif isinstance(event, VariationFailed):
            self.outcomes[event.subtask.position] = _Outcome(event.subtask, VariationStatus.FAILED, error=event.error)
            self._print(f"✗ {event.subtask.position}. {event.subtask.type} failed: {event.error}")
        elif isinstance(event, CallRecorded):
            self.calls.append(event.call)
        elif isinstance(event, PlanReady):
            self.analysis = event.plan.analysis or self.analysis
            planned = len(event.plan.subtasks)
            self._print(f"  planned {planned} approach{'' if planned == 1 else 'es'}")
        elif isinstance(event, RunFinished):
            await self._stop_ticker()
            self.finished = event
            self._results()

    def _results(self) -> None:
        written = (VariationStatus.DONE, VariationStatus.OVER_LIMIT)
        done = [o for _, o in sorted(self.outcomes.items()) if o.status in written]
        if done:
            self._section("RESULTS")
        for outcome in done:
            self._print(f"\n{'-' * 80}\nApproach {outcome.subtask.position}: {outcome.subtask.type.upper()}")
            self._print(f"{'-' * 80}\n\n{fields_text(outcome.fields) if outcome.fields else outcome.text}\n")
        finished = self.finished
        assert finished is not None
        total = len(self.outcomes)
        tally = f"{finished.succeeded} of {counted(total, 'variation')} written" if total else "nothing written"
        line = f"Run {self.run_id}: {finished.status} — {tally} in {finished.wall_ms / 1000:.1f} s, {self._tokens()}."
        if finished.error and finished.status not in FAILED:  # a failed run's reason: one line on stderr (run.py)
            line += f" {finished.error}"
        print(visible(line), file=self.err if self.json_mode else self.out, flush=True)
        if self.json_mode:
            self.out.write(json_text(json.dumps(self.document(), ensure_ascii=False, indent=2)))
            self.out.write("\n")
            self.out.flush()

    def document(self) -> dict[str, Any]:
        """The whole result as one JSON-ready dict (`--json`)."""
        finished = self.finished
        return {
            "run_id": self.run_id,
            "status": finished.status if finished else RunStatus.FAILED,
            "error": finished.error if finished else "",
            "provider": self.provider,
            "request": {
                "product": self.request.product,
                "audience": self.request.audience,
                "features": list(self.request.features),
                "tone": self.request.tone,
                "max_variations": self.request.max_variations,
                "format": self.request.format.name if self.request.format else None,
            },
            "analysis": self.analysis,
            "variations": [self._variation(o) for _, o in sorted(self.outcomes.items())],
            "calls": [self._call(c) for c in self.calls],
            "wall_ms": finished.wall_ms if finished else None,
        }

    def _variation(self, o: _Outcome) -> dict[str, Any]:
        shown = {
            "position": o.subtask.position,
            "type": o.subtask.type,
            "description": o.subtask.description,
            "status": o.status,
            "text": o.text,
            "error": o.error,
            "truncated": o.truncated,
            "violations": list(o.violations),
        }
        if self.request.format:
            fields = [
                {k: v for k, v in f.to_dict().items() if k in ("name", "text", "chars", "limit")} for f in o.fields
            ]
            shown |= {"format": self.request.format.name, "fields": fields, "over_limit": list(o.over_limit)}
        return shown

    @staticmethod
    def _call(c: LLMCall) -> dict[str, Any]:
        return {
            "role": c.role,
            "position": c.position,
            "provider": c.provider,
            "model": c.model,
            "input_tokens": c.usage.input_tokens if c.usage.reported else None,
            "output_tokens": c.usage.output_tokens if c.usage.reported else None,
            "duration_ms": c.duration_ms,
            "stop_reason": c.stop_reason,
            "error": c.error,
        }

    def _tokens(self) -> str:
        """The run's tokens: unknown when no call's usage was reported, a lower bound when some were not."""
        tokens = sum(c.usage.input_tokens + c.usage.output_tokens for c in self.calls)
        if all(c.usage.reported for c in self.calls):
            return f"{tokens:,} tokens"
        if not any(c.usage.reported for c in self.calls):
            return "tokens unknown (the model server did not report them)"
        return f"at least {tokens:,} tokens (the model server did not report them all)"

    @staticmethod
    def _cost(call: LLMCall) -> str:
        tokens = f"{call.usage.output_tokens} tokens" if call.usage.reported else "tokens unknown"
        return f" ({call.duration_ms / 1000:.1f} s, {tokens})"

    def _section(self, title: str) -> None:
        self._print(f"\n{RULE}\n{title}\n{RULE}")

    def _print(self, line: str) -> None:
        if self.live:
            self.err.write("\r\033[K")
        print(visible(line, lines=True), file=self.text, flush=True)
        self._draw_status()

    def _start_ticker(self) -> None:
        if self.live and self._ticker is None:
            self._ticker = asyncio.create_task(self._tick())

    async def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
            self.err.write("\r\033[K")
            self.err.flush()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            self._draw_status()

    def _draw_status(self) -> None:
        if not self.live or self._ticker is None:
            return
        ready = sum(o.status is not VariationStatus.WRITING for o in self.outcomes.values())
        frame = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        marks = " ".join(
            f"{o.subtask.type}{ {'done': ' ✓', 'failed': ' ✗'}.get(o.status, ' …') }"
            for _, o in sorted(self.outcomes.items())
        )
        elapsed = time.monotonic() - self._started
        self.err.write(f"\r\033[K{frame} {ready}/{len(self.outcomes)} ready  {visible(marks)}  {elapsed:.1f} s")
        self.err.flush()
