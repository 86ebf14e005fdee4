"""The terminal sink: phases in order, a live status line only on a terminal, JSON alone on stdout."""

from __future__ import annotations

import asyncio
import io
import json

from bot.console import ConsoleView
from bot.workflow.types import (
    AnalysisReady,
    CallRecorded,
    CopyRequest,
    Event,
    LLMCall,
    Plan,
    PlanReady,
    RunFinished,
    Subtask,
    Usage,
    Variation,
    VariationDone,
    VariationFailed,
    VariationStarted,
)

REQUEST = CopyRequest("solar lantern", features=("waterproof",))
TECH = Subtask(1, "technical", "Specs first.")
STORY = Subtask(2, "story", "A night in the woods.")
CALL = LLMCall("worker", "worker", "0" * 64, "anthropic", "m", Usage(10, 20), 1500, "end_turn", position=1)


def events() -> list[Event]:
    return [
        AnalysisReady("Two readers."),
        VariationStarted(TECH),
        VariationStarted(STORY),
        PlanReady(Plan("Two readers.", (TECH, STORY))),
        CallRecorded(CALL),
        VariationDone(Variation(TECH, "Lumens: 300.", truncated=True, call=CALL)),
        VariationFailed(STORY, "The model did not answer within 90 s."),
        RunFinished("partial", "1 of 2 variations failed.", 1, 1, 2100),
    ]


async def show(view: ConsoleView, pause: float = 0.0) -> None:
    for event in events():
        await view.handle(7, event)
        await asyncio.sleep(pause)


async def test_plain_output_shows_every_phase_in_order() -> None:
    out, err = io.StringIO(), io.StringIO()
    await show(ConsoleView(REQUEST, "anthropic", out=out, err=err, live=False))
    text = out.getvalue()
    order = ["ORCHESTRATOR ANALYSIS", "Two readers.", "→ 1. TECHNICAL: Specs first.", "→ 2. STORY", "✓ 1. technical"]
    order += ["✗ 2. story failed: The model did not answer within 90 s.", "RESULTS", "Lumens: 300."]
    assert [text.index(p) for p in order] == sorted(text.index(p) for p in order)
    assert "cut off at the token limit" in text
    assert "Run 7: partial — 1 of 2 variations written in 2.1 s, 30 tokens. 1 of 2 variations failed." in text
    assert "\r" not in text + err.getvalue()  # no terminal control codes when not live


async def test_live_mode_draws_a_status_line_on_stderr_only() -> None:
    out, err = io.StringIO(), io.StringIO()
    await show(ConsoleView(REQUEST, "anthropic", out=out, err=err, live=True), pause=0.12)
    assert "\r\033[K" in err.getvalue() and "ready" in err.getvalue()
    assert "\033" not in out.getvalue()
    assert err.getvalue().endswith("\r\033[K")  # the status line is cleared when the run ends


async def test_json_mode_keeps_stdout_for_one_document() -> None:
    out, err = io.StringIO(), io.StringIO()
    await show(ConsoleView(REQUEST, "anthropic", json_mode=True, out=out, err=err, live=False))
    document = json.loads(out.getvalue())
    assert document["run_id"] == 7
    assert document["status"] == "partial"
    assert document["analysis"] == "Two readers."
    assert document["request"]["features"] == ["waterproof"]
    assert [(v["type"], v["status"], v["truncated"]) for v in document["variations"]] == [
        ("technical", "done", True),
        ("story", "failed", False),
    ]
    assert document["calls"][0]["output_tokens"] == 20
    assert "ORCHESTRATOR ANALYSIS" in err.getvalue()


async def test_one_variation_reads_in_the_singular() -> None:
    out = io.StringIO()
    view = ConsoleView(REQUEST, "anthropic", out=out, err=io.StringIO(), live=False)
    for event in (
        AnalysisReady("One reader."),
        VariationStarted(TECH),
        PlanReady(Plan("One reader.", (TECH,))),
        CallRecorded(CALL),
        VariationDone(Variation(TECH, "Lumens: 300.", truncated=False, call=CALL)),
        RunFinished("done", "", 1, 0, 900),
    ):
        await view.handle(3, event)
    text = out.getvalue()
    assert "planned 1 approach\n" in text
    assert "Run 3: done — 1 of 1 variation written in 0.9 s, 30 tokens." in text


async def test_a_failed_runs_summary_leaves_its_reason_to_the_one_line_on_stderr() -> None:
    out = io.StringIO()
    view = ConsoleView(REQUEST, "anthropic", out=out, err=io.StringIO(), live=False)
    await view.handle(4, RunFinished("failed", "The orchestrator call failed: overloaded.", 0, 0, 1200))
    assert out.getvalue().strip() == "Run 4: failed — nothing written in 1.2 s, 0 tokens."
