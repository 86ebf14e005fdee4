"""Slack load benchmark (not a test): N concurrent /copy over HTTP against the fakes.

    python bench/slack_load.py [--n 100] [--rate 200] [--tokens-per-event 4] [--ttft 0.3] [--worker-latency 0.5]
                               [--styles 3] [--database-url URL] [--profile FILE]

Starts the fake Slack Web API and the fake Anthropic API in this process, runs
the real `copybot serve` (HTTP mode, SQLite in a temporary directory) as a child
process pointed at them, waits for GET /healthz, then sends N signed /copy
commands at once (one channel each; after a warm-up `/copy help` and one
`/copy`, so one-time costs such as Bolt's auth.test and the SDKs' first use are
not counted, as in steady state) and waits until every thread parent shows
its final status. The orchestrator's plan streams at --rate tokens/s after
--ttft s, --tokens-per-event tokens (of ~4 characters) per SSE text_delta:
the real API sends a few tokens per delta, not one, and the SDK's cost is per
event, so one token per event would overstate the bot's CPU. Every worker
answers after --worker-latency s.

Prints: ack latency p50/p99 (client side); time to first variation posted, as
measured and as overhead over its floor (t_first_task + W, from the fake's send
times); completion time; the bot's CPU ms per run (the child's user+system CPU
during the load / N: waiting on the model costs no CPU) and its peak RSS. The
fakes run in this process, not the bot's, so their CPU is not counted as the
bot's; it is printed apart (they share the machine's cores with the bot).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: `python bench/slack_load.py`

from tests.support.anthropic_api import FakeAnthropic, Recorded, Reply, tag_text
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.support.serve import copybot_serve, serve_env
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import Sender

STYLES = ("technical", "lifestyle", "story-driven", "playful", "premium")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _first_task_closed(record: Recorded) -> float:
    text = ""
    for at, chunk in record.chunks:
        text += chunk
        if "</task>" in text:
            return at
    return float("nan")


async def bench(args: argparse.Namespace) -> None:
    styles = STYLES[: args.styles]
    slack = await FakeSlack().start()
    async with FakeAnthropic() as llm, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        plan = Reply(
            plan_reply(styles, one_line=True),
            latency_s=args.ttft,
            tokens_per_s=args.rate,
            tokens_per_event=args.tokens_per_event,
        )
        llm.on(ORCHESTRATOR, plan)
        llm.on(
            WORKER,
            lambda r: Reply(f"<response>{tag_text(r.prompt, 'style')} copy</response>", latency_s=args.worker_latency),
        )
        with tempfile.TemporaryDirectory() as tmp:
            env = serve_env(slack, llm.url, args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db")
            profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
            async with copybot_serve(env, log=Path(tmp) / "serve.log", python_args=profile) as served:
                await _load(args, session, served.url, slack, llm, served.process.pid, len(styles))
    await slack.aclose()


async def _load(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    url: str,
    slack: FakeSlack,
    llm: FakeAnthropic,
    pid: int,
    per_run: int,
) -> None:
    sender = Sender(session, url, slack)
    n = args.n
    await sender.command("help")  # warm-up: Bolt calls auth.test once, then caches it
    await sender.command("Warm-up product", channel_id="CWARM")  # and the SDKs' first-use costs
    await slack.wait_for(lambda: any("Done:" in m.text for m in slack.messages.values()), within=args.timeout)
    slack.calls.clear()
    llm.requests.clear()
    cpu_before = _cpu_seconds(pid)
    fakes_cpu_before = time.process_time()
    started = time.monotonic()
    answers = await asyncio.gather(*(sender.command(f"Product {i}", channel_id=f"C{i}") for i in range(n)))
    refused = [a for a in answers if a.status != 200]
    if refused:
        raise SystemExit(f"{len(refused)} commands were refused, e.g. HTTP {refused[0].status}")

    def finished() -> bool:
        return sum("Done:" in m.text for m in slack.messages.values() if not m.thread_ts) == n + 1

    await slack.wait_for(finished, within=args.timeout)
    completed = time.monotonic() - started
    cpu = _cpu_seconds(pid) - cpu_before
    fakes_cpu = time.process_time() - fakes_cpu_before
    rss = _peak_rss_mb(pid)

    acks = [a.seconds * 1000 for a in answers]
    first_post: dict[str, float] = {}
    for call in slack.calls_to("chat.postMessage"):
        if "thread_ts" in call.params:
            first_post.setdefault(str(call.params["channel"]), call.at)
    floors = {
        f"C{tag_text(r.prompt, 'product').split()[-1]}": _first_task_closed(r) + args.worker_latency
        for r in llm.requests_for(ORCHESTRATOR)
    }
    to_first = [(at - started) * 1000 for at in first_post.values()]
    worker_done: dict[str, float] = {}
    for r in llm.requests_for(WORKER):
        channel = f"C{tag_text(r.prompt, 'product').split()[-1]}"
        worker_done[channel] = min(worker_done.get(channel, float("inf")), r.finished or float("inf"))
    posting = [(first_post[c] - worker_done[c]) * 1000 for c in first_post if c in worker_done]
    overhead = [(first_post[c] - floors[c]) * 1000 for c in first_post if c in floors]
    posts = len(slack.calls_to("chat.postMessage"))
    print(
        f"copybot serve under load: {n} concurrent /copy, {per_run} variations each, "
        f"plan at {args.rate:g} tok/s ({args.tokens_per_event} per event) after {args.ttft:g} s, "
        f"workers {args.worker_latency:g} s"
    )
    print(
        f"  ack latency               p50 {_pct(acks, 0.5):7.1f} ms   p99 {_pct(acks, 0.99):7.1f} ms   "
        f"max {max(acks):7.1f} ms"
    )
    print(
        f"  first variation posted    p50 {_pct(to_first, 0.5):7.1f} ms   p99 {_pct(to_first, 0.99):7.1f} ms "
        "after the burst was sent"
    )
    print(
        f"    overhead over its floor p50 {_pct(overhead, 0.5):7.1f} ms   p99 {_pct(overhead, 0.99):7.1f} ms "
        "(floor: first </task> sent + W)"
    )
    print(
        f"    of which storing+posting p50 {_pct(posting, 0.5):7.1f} ms   p99 {_pct(posting, 0.99):7.1f} ms "
        "(first worker reply sent -> its Slack post)"
    )
    print(
        f"  all runs complete         {completed:7.2f} s   ({posts} chat.postMessage, "
        f"{len(slack.calls_to('chat.update'))} chat.update)"
    )
    print(f"  bot CPU                   {cpu * 1000 / n:7.1f} ms per run   ({cpu:.2f} s in total)")
    print(f"  bot peak RSS              {rss:7.1f} MB")
    print(f"  fakes' CPU (not the bot's) {fakes_cpu * 1000 / n:6.1f} ms per run")
    print(f"  mean ack                  {statistics.fmean(acks):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="concurrent /copy commands (default 100)")
    parser.add_argument("--styles", type=int, default=3, choices=range(1, 6), help="variations per run (default 3)")
    parser.add_argument("--rate", type=float, default=200.0, help="plan streaming rate, tokens/s (default 200)")
    parser.add_argument(
        "--tokens-per-event", type=int, default=4, help="plan tokens per SSE text_delta event (default 4)"
    )
    parser.add_argument("--ttft", type=float, default=0.3, help="orchestrator time to first token, s (default 0.3)")
    parser.add_argument("--worker-latency", type=float, default=0.5, help="each worker's latency W, s (default 0.5)")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary directory")
    parser.add_argument("--profile", default="", help="run the bot under cProfile, writing stats to this file")
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
