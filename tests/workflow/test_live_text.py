"""Live text in the core: throttled VariationText events from streamed workers, over the real SDK and HTTP."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest

from bot.app import workflow_config
from bot.config import Settings
from bot.workflow import (
    CopyRequest,
    Event,
    VariationDone,
    VariationStarted,
    VariationText,
    Workflow,
)
from bot.workflow.live import preview
from tests.support.anthropic_api import FakeAnthropic, Recorded, Reply, tokens
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply, style_of
from tests.workflow.conftest import MakeWorkflow

REQUEST = CopyRequest(product="eco-friendly water bottle", max_variations=2)
SLOW_COPY = "Light as air & tough as <b>nails</b>: the bottle that keeps up with every trail you take. " * 2
INTERVAL_S = 0.3


def slow_worker(record: Recorded) -> Reply:
    """ "slow" streams its copy over about 1.5 s; "fast" answers at once."""
    if style_of(record) == "slow":
        text = f"<response>\n{SLOW_COPY}\n</response>"
        return Reply(text, tokens_per_s=len(tokens(text)) / 1.5)
    return Reply("<response>Fast copy.</response>")


async def timed(workflow: Workflow) -> list[tuple[float, Event]]:
    return [(time.monotonic(), event) async for event in workflow.run(REQUEST)]


async def test_live_text_arrives_throttled_growing_and_before_the_final_copy(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["slow", "fast"]))
    fake.on(WORKER, slow_worker)
    events = await timed(make_workflow(live_text=True, live_text_interval_s=INTERVAL_S))

    assert all(r.stream for r in fake.requests_for(WORKER))
    texts = [(at, e) for at, e in events if isinstance(e, VariationText) and e.subtask.type == "slow"]
    assert len(texts) >= 3  # about 1.5 s of streaming at one text per 0.3 s
    assert len(texts) <= 1.5 / INTERVAL_S + 2
    gaps = [b[0] - a[0] for a, b in pairwise(texts)]
    assert min(gaps) >= INTERVAL_S * 0.6  # measured when consumed, not when emitted
    shown = [e.text for _, e in texts]
    (done,) = [e.variation for _, e in events if isinstance(e, VariationDone) and e.variation.subtask.type == "slow"]
    assert done.text == SLOW_COPY.strip()
    for before, after in zip(shown, [*shown[1:], done.text], strict=True):
        assert before and after.startswith(before) and len(after) > len(before)
    assert all("<response" not in t and "</resp" not in t and not t.endswith("<") for t in shown)

    order = [e for _, e in events]
    started = next(i for i, e in enumerate(order) if isinstance(e, VariationStarted) and e.subtask.type == "slow")
    finished = next(
        i for i, e in enumerate(order) if isinstance(e, VariationDone) and e.variation.subtask.type == "slow"
    )
    live = [i for i, e in enumerate(order) if isinstance(e, VariationText) and e.subtask.type == "slow"]
    assert started < min(live) and max(live) < finished


async def test_without_live_text_workers_are_not_streamed_and_no_text_event_comes(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["slow", "fast"]))
    fake.on(WORKER, slow_worker)
    events = await timed(make_workflow())

    assert not any(isinstance(e, VariationText) for _, e in events)
    assert len([e for _, e in events if isinstance(e, VariationDone)]) == 2
    assert all(r.stream for r in fake.requests_for(ORCHESTRATOR))  # the plan still streams
    assert not any(r.stream for r in fake.requests_for(WORKER))


async def test_live_text_needs_a_provider_that_streams(fake: FakeAnthropic, make_workflow: MakeWorkflow) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["slow", "fast"]))
    fake.on(WORKER, slow_worker)
    events = await timed(make_workflow(stream=False, live_text=True, live_text_interval_s=INTERVAL_S))

    assert not any(isinstance(e, VariationText) for _, e in events)
    assert not any(r.stream for r in fake.requests)


def test_the_setting_switches_live_text_on() -> None:
    assert workflow_config(Settings.from_env({"COPYBOT_LIVE_TEXT": "on"}), ("o", "w")).live_text
    assert not workflow_config(Settings.from_env({}), ("o", "w")).live_text


@pytest.mark.parametrize(
    "reply",
    [
        "<response>\nHello & <b>welcome</b>, a < b.\n</response>",
        '<RESPONSE id="1">Shout</RESPONSE >',
        "<response>Tagged only at the start",
    ],
)
def test_a_preview_never_shows_a_response_tag_even_half_written(reply: str) -> None:
    final = preview(reply)
    for end in range(len(reply) + 1):
        shown = preview(reply[:end])
        assert "response" not in shown.lower()
        assert final.startswith(shown), (reply[:end], shown)
