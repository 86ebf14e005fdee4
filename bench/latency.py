"""Latency benchmark (not a test): what pipelined dispatch buys over the seed's loop and plan-then-parallel.

    python bench/latency.py [--tasks 4] [--rate 50] [--ttft 0.3] [--worker-latency 1.5,1.2,1.0,0.8] [--repeat 3]

A fake Anthropic API (tests/fakes/anthropic_api.py) writes the orchestrator's
plan at --rate tokens/s after --ttft seconds, streamed or whole, and answers
worker i after W_i seconds. Each mode drives the real AnthropicLLM over HTTP:

  (a) sequential   the seed's loop: the whole plan, then one worker after another
  (b) parallel     the Workflow on a provider that cannot stream: the whole plan, then all workers at once
  (c) pipelined    the Workflow as is: worker i starts when task i closes in the stream

Printed next to them: the lower bound max_i(t_i + W_i) (t_i: when task i closed in
the stream, from the fake's send times), the critical path O + max W and the
sequential O + sum W (O: the plan's own time), and each wall time as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: `python bench/latency.py`

from bot.workflow import CopyRequest, RunFinished, Workflow, WorkflowConfig
from bot.workflow.llm.anthropic import AnthropicLLM
from bot.workflow.llm.base import LLM
from bot.workflow.plan import parse_plan
from bot.workflow.prompting import orchestrator_prompt, protected_strings, worker_prompt
from tests.support.anthropic_api import FakeAnthropic, Recorded, Reply, tokens
from tests.support.plans import ORCHESTRATOR, WORKER, copy_for, plan_reply, style_of, task_close_times
from tests.support.scripted import NonStreaming

STYLES = ("technical", "lifestyle", "story-driven", "playful", "premium")
ANALYSIS = (
    "The product is a reusable bottle for people who spend their weekends outdoors. Readers care about weight, "
    "how long drinks stay cold and whether the bottle will survive being dropped on rock. Each variation below "
    "speaks to one of those readers, in the voice that reader trusts, and ends with a clear reason to buy now."
)


DESCRIPTION = (
    "Write the {type} version: open with the single benefit this reader cares about most, support it with two "
    "concrete details, and close with a short call to action."
)


def plan_text(styles: tuple[str, ...]) -> str:
    return plan_reply(styles, ANALYSIS, description=DESCRIPTION)


async def sequential(llm: LLM, config: WorkflowConfig, request: CopyRequest) -> None:
    """The seed's loop: plan, then each worker in turn."""
    reply = await llm.complete(
        orchestrator_prompt(request), model=config.orchestrator_model, max_tokens=config.orchestrator_max_tokens
    )
    plan = parse_plan(reply.text, request.max_variations, protected_strings(request))
    for subtask in plan.subtasks:
        await llm.complete(
            worker_prompt(request, subtask), model=config.worker_model, max_tokens=config.worker_max_tokens
        )


async def workflow_run(workflow: Workflow, request: CopyRequest) -> None:
    async for event in workflow.run(request):
        if isinstance(event, RunFinished) and event.status != "done":
            raise SystemExit(f"benchmark run did not finish cleanly: {event}")


async def timed(fake: FakeAnthropic, run: Callable[[], Awaitable[None]]) -> tuple[float, float, Recorded]:
    """(start, wall seconds, the orchestrator request) of one run."""
    fake.requests.clear()
    start = time.monotonic()
    await run()
    wall = time.monotonic() - start
    return start, wall, fake.requests_for(ORCHESTRATOR)[0]


async def bench(args: argparse.Namespace) -> None:
    styles = STYLES[: args.tasks]
    latencies = dict(zip(styles, args.worker_latency, strict=True))
    text = plan_text(styles)
    request = CopyRequest(product="eco-friendly water bottle", audience="hikers", max_variations=args.tasks)
    config = WorkflowConfig(orchestrator_model=ORCHESTRATOR, worker_model=WORKER, max_concurrency=args.tasks)

    async with FakeAnthropic() as fake:
        fake.on(ORCHESTRATOR, Reply(text=text, latency_s=args.ttft, tokens_per_s=args.rate))
        fake.on(WORKER, lambda sent: Reply(text=copy_for(sent), latency_s=latencies[style_of(sent)]))
        llm = AnthropicLLM(api_key="bench", base_url=fake.url, max_retries=0, timeout_s=120)
        modes: dict[str, Callable[[], Awaitable[None]]] = {
            "(a) sequential (seed)": lambda: sequential(llm, config, request),
            "(b) plan-then-parallel": lambda: workflow_run(Workflow(NonStreaming(llm), config), request),
            "(c) pipelined": lambda: workflow_run(Workflow(llm, config), request),
        }
        try:
            await timed(fake, modes["(c) pipelined"])  # warm-up: connections, imports, prompt templates
            walls: dict[str, list[float]] = {name: [] for name in modes}
            plan_s, bounds = [], []
            for _ in range(args.repeat):
                for name, run in modes.items():
                    start, wall, plan_request = await timed(fake, run)
                    walls[name].append(wall)
                    if name == "(c) pipelined":
                        assert plan_request.finished is not None
                        plan_s.append(plan_request.finished - start)
                        closes = [t - start for t in task_close_times(plan_request)]
                        bounds.append(max(t + latencies[s] for t, s in zip(closes, styles, strict=True)))
        finally:
            await llm.aclose()

    o = statistics.median(plan_s)
    bound = statistics.median(bounds)
    critical = o + max(latencies.values())
    serial = o + sum(latencies.values())
    print(
        f"plan: {len(tokens(text))} tokens at {args.rate:g} tokens/s after {args.ttft:g} s, {args.tasks} tasks; "
        f"W_i = {', '.join(f'{w:g}' for w in args.worker_latency)} s; median of {args.repeat} runs"
    )
    print(f"O (plan streamed, measured)            {o:6.2f} s")
    print(f"lower bound max_i(t_i + W_i)            {bound:6.2f} s")
    print(f"critical path O + max W                 {critical:6.2f} s")
    print(f"sequential O + sum W                    {serial:6.2f} s")
    print()
    print(f"{'mode':<26}{'wall s':>8}{'/ bound':>10}{'/ (O+maxW)':>12}{'/ (O+sumW)':>12}")
    for name, values in walls.items():
        wall = statistics.median(values)
        print(f"{name:<26}{wall:8.2f}{wall / bound:10.3f}{wall / critical:12.3f}{wall / serial:12.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=4, choices=range(1, 6), help="tasks in the plan (1-5)")
    parser.add_argument("--rate", type=float, default=50.0, help="orchestrator tokens per second")
    parser.add_argument("--ttft", type=float, default=0.3, help="seconds before the plan's first token")
    parser.add_argument(
        "--worker-latency",
        type=lambda text: [float(w) for w in text.split(",")],
        default=[1.5, 1.2, 1.0, 0.8, 0.6],
        help="seconds per worker, comma-separated (first --tasks values are used)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (the median is printed)")
    args = parser.parse_args()
    if len(args.worker_latency) < args.tasks:
        parser.error(f"--worker-latency needs {args.tasks} values")
    args.worker_latency = args.worker_latency[: args.tasks]
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
