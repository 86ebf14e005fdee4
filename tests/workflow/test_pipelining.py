"""Pipelining over real HTTP: workers start as their </task> arrives in the streamed plan; broken streams."""

from __future__ import annotations

from bot.workflow import (
    CallRecorded,
    PlanReady,
    RunFinished,
    VariationDone,
    VariationStarted,
)
from tests.support.anthropic_api import FakeAnthropic, Reply, tokens
from tests.support.events import assert_event_order, collect, finished, of
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply, script_workers, style_of, task_close_times
from tests.workflow.conftest import MakeWorkflow
from tests.workflow.test_workflow_http import REQUEST


async def test_workers_start_while_the_plan_is_still_streaming(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, Reply(text=plan_reply(["a", "b", "c"]), tokens_per_s=200))
    script_workers(fake, latency_s=0.05)
    events = await collect(make_workflow(), REQUEST)

    assert_event_order(events)
    [plan_request] = fake.requests_for(ORCHESTRATOR)
    assert plan_request.finished is not None
    closes = task_close_times(plan_request)
    workers = sorted(fake.requests_for(WORKER), key=lambda r: r.arrived)
    assert workers[0].arrived < plan_request.finished - 0.1  # the stream still had a good way to go
    assert workers[0].finished is not None and workers[0].finished < plan_request.finished
    for close, worker in zip(closes, workers, strict=True):
        assert 0 <= worker.arrived - close < 0.15, "a worker waited for more than its own </task>"
    first_done = next(i for i, e in enumerate(events) if isinstance(e, VariationDone))
    assert first_done < next(i for i, e in enumerate(events) if isinstance(e, PlanReady))


async def test_without_streaming_workers_start_after_the_whole_plan(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, Reply(text=plan_reply(["a", "b"]), latency_s=0.2))
    script_workers(fake)
    events = await collect(make_workflow(stream=False), REQUEST)

    [plan_request] = fake.requests_for(ORCHESTRATOR)
    assert not plan_request.stream and plan_request.finished is not None
    assert all(r.arrived >= plan_request.finished for r in fake.requests_for(WORKER))
    assert finished(events).succeeded == 2
    assert_event_order(events)


async def test_an_error_mid_stream_retries_the_plan_without_restarting_workers(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    reply = plan_reply(["a", "b", "c"])
    after_first_task = len(tokens(reply[: reply.index("</task>") + len("</task>")])) + 2
    fake.on(ORCHESTRATOR, Reply(text=reply, stream_error_after=after_first_task), reply)
    script_workers(fake)
    events = await collect(make_workflow(max_retries=3), REQUEST)

    assert_event_order(events)
    assert len(fake.requests_for(ORCHESTRATOR)) == 2  # the SDK does not retry inside a stream; the workflow does
    assert sorted(style_of(r) for r in fake.requests_for(WORKER)) == ["a", "b", "c"]
    first_worker = min(r.arrived for r in fake.requests_for(WORKER))
    assert first_worker < fake.requests_for(ORCHESTRATOR)[1].arrived  # "a" began during the broken stream
    assert [e.subtask.type for e in of(events, VariationStarted)] == ["a", "b", "c"]
    orchestrator_calls = [e.call for e in of(events, CallRecorded) if e.call.role == "orchestrator"]
    assert len(orchestrator_calls) == 2
    assert "overloaded_error" in orchestrator_calls[0].error and not orchestrator_calls[1].error
    assert finished(events) == RunFinished("done", "", 3, 0, finished(events).wall_ms)


async def test_a_broken_stream_with_no_attempts_left_keeps_the_started_workers(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    reply = plan_reply(["a", "b", "c"])
    after_first_task = len(tokens(reply[: reply.index("</task>") + len("</task>")])) + 2
    fake.on(ORCHESTRATOR, Reply(text=reply, stream_error_after=after_first_task))
    script_workers(fake)
    events = await collect(make_workflow(orchestrator_attempts=1), REQUEST)

    assert_event_order(events)
    end = finished(events)
    assert (end.status, end.succeeded) == ("partial", 1)
    assert "orchestrator call failed" in end.error
    assert [s.type for s in of(events, PlanReady)[0].plan.subtasks] == ["a"]
