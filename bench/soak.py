"""Soak benchmark (not a test): N /copy commands in batches against the real `copybot serve`, looking for leaks.

    python bench/soak.py [--n 300] [--batch 30] [--styles 3] [--worker-latency 0.2] [--database-url URL]

Starts the fake Slack Web API and the fake Anthropic API in this process and the real `copybot serve` (HTTP
mode; SQLite in a temporary directory unless --database-url) as a child process pointed at them. Each batch
sends --batch signed /copy commands at once (one channel each), one `/copy history`, one replayed /copy and
one unsigned request, waits until every thread shows its final status, then votes once (a reaction) on a
variation of each run. After every batch it samples the bot's RSS and open file descriptors.

Prints: RSS and open files after the first and the last batch (growth per 100 commands), wall time, runs,
variations and votes stored against those expected, threads complete in Slack, refused requests answered as
expected, ERROR lines and tracebacks in the bot's log, and whether any secret appeared in the log or in Slack.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: `python bench/soak.py`

from storage import DatabaseConfig, open_repository
from tests.support.anthropic_api import FakeAnthropic, Recorded, Reply, tag_text
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.support.serve import Served, copybot_serve, serve_env
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import SIGNING_SECRET, Sender

STYLES = ("technical", "lifestyle", "story-driven", "playful", "premium")


def _sample(pid: int) -> tuple[float, int]:
    """(RSS in MB, open file descriptors) of process `pid`."""
    rss = next(
        int(line.split()[1]) / 1024
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def _finished_threads(slack: FakeSlack) -> int:
    return sum(1 for m in slack.messages.values() if not m.thread_ts and "Done:" in m.text)


async def _batch(sender: Sender, slack: FakeSlack, first: int, size: int, within: float) -> list[int]:
    """One batch; return the HTTP statuses of the requests that must be refused or answered without a run."""
    before = _finished_threads(slack)
    commands = [sender.command(f"Product {i}", channel_id=f"C{i}") for i in range(first, first + size)]
    answers = await asyncio.gather(*commands)
    if refused := [a.status for a in answers if a.status != 200]:
        raise SystemExit(f"{len(refused)} /copy were refused: HTTP {refused[0]}")
    replay = sender.command_body(f"Product {first}", channel_id=f"C{first}")  # a new trigger_id...
    checks = [await sender.post(replay, "application/x-www-form-urlencoded") for _ in range(2)]  # ...sent twice
    checks.append(await sender.command("history", channel_id=f"C{first}"))
    checks.append(await sender.post(b'{"type": "event_callback"', "application/json", signature="v0=00"))
    await slack.wait_for(lambda: _finished_threads(slack) >= before + size + 1, within=within)
    return [a.status for a in checks]


async def _vote_on_every_run(sender: Sender, slack: FakeSlack, channels: list[str]) -> None:
    for channel in channels:
        parents = [m for m in slack.messages.values() if m.channel == channel and not m.thread_ts]
        replies = slack.thread(channel, parents[0].ts)
        event = {
            "type": "reaction_added",
            "user": "UVOTER",
            "reaction": "star",
            "item": {"type": "message", "channel": channel, "ts": replies[0].ts},
        }
        await sender.event(event, event_id=f"EvSoak{channel}")


async def _stored(database_url: str) -> tuple[int, int, int, int]:
    """(runs done, runs, variations done, votes) in the database."""
    repository = await open_repository(DatabaseConfig.parse(database_url), upgrade=False)
    try:
        runs, before = [], None
        while True:
            page = await repository.recent_runs(None, limit=200, before=before)
            runs.extend(page.runs)
            if page.next_before is None:
                break
            before = page.next_before
    finally:
        await repository.aclose()
    done = sum(r.status == "done" for r in runs)
    return done, len(runs), sum(r.done_count for r in runs), sum(r.favourite_votes for r in runs)


async def soak(args: argparse.Namespace) -> None:
    styles = STYLES[: args.styles]
    slack = await FakeSlack().start()
    async with FakeAnthropic() as llm, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        llm.on(ORCHESTRATOR, plan_reply(styles, one_line=True))

        def worker(record: Recorded) -> Reply:
            return Reply(f"<response>{tag_text(record.prompt, 'style')} copy</response>", latency_s=args.worker_latency)

        llm.on(WORKER, worker)
        with tempfile.TemporaryDirectory() as tmp:
            database_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/soak.db"
            env = serve_env(slack, llm.url, database_url)
            async with copybot_serve(env, log=Path(tmp) / "serve.log") as served:
                figures = await _load(args, session, served, slack, len(styles))
                log = served.logged()
            stored = await _stored(database_url)
    await slack.aclose()
    _report(args, figures, stored, log, slack, len(styles))


async def _load(
    args: argparse.Namespace, session: aiohttp.ClientSession, served: Served, slack: FakeSlack, per_run: int
) -> dict[str, object]:
    sender = Sender(session, served.url, slack)
    samples: list[tuple[float, int]] = []
    statuses: list[int] = []
    started = time.monotonic()
    for first in range(0, args.n, args.batch):
        size = min(args.batch, args.n - first)
        statuses += await _batch(sender, slack, first, size, args.timeout)
        await _vote_on_every_run(sender, slack, [f"C{i}" for i in range(first, first + size)])
        samples.append(_sample(served.process.pid))
    return {"samples": samples, "statuses": statuses, "wall": time.monotonic() - started}


def _report(
    args: argparse.Namespace,
    figures: dict[str, object],
    stored: tuple[int, int, int, int],
    log: str,
    slack: FakeSlack,
    per_run: int,
) -> None:
    samples = figures["samples"]
    statuses = figures["statuses"]
    assert isinstance(samples, list) and isinstance(statuses, list)
    batches = len(samples)
    expected_runs = args.n + batches  # each batch's replayed /copy runs once
    done, runs, variations, votes = stored
    (rss_first, fds_first), (rss_last, fds_last) = samples[0], samples[-1]
    per_100 = (rss_last - rss_first) / max(1, args.n - args.batch) * 100
    secrets = ("xoxb-test-token", SIGNING_SECRET, "sk-ant-test")
    sent = " ".join(str(call.params) for call in slack.calls)
    leaked = [s for s in secrets if s in log or s in sent]
    refused = statuses[3::4]
    print(f"soak: {args.n} /copy in {batches} batches of {args.batch}, {per_run} variations each")
    print(f"  wall time                  {figures['wall']:.1f} s")
    print(f"  bot RSS                    {rss_first:.1f} MB after batch 1, {rss_last:.1f} MB after batch {batches}")
    print(f"                             ({per_100:+.2f} MB per 100 commands)")
    print(f"  bot open files             {fds_first} after batch 1, {fds_last} after batch {batches}")
    print(f"  runs stored (done / all)   {done} / {runs} of {expected_runs} expected (a replay per batch runs once)")
    print(f"  variations written         {variations} of {expected_runs * per_run} expected")
    print(f"  votes stored               {votes} of {args.n} expected")
    print(f"  threads complete in Slack  {_finished_threads(slack)} of {expected_runs}")
    print(f"  refused unsigned requests  {sum(s == 401 for s in refused)} of {len(refused)} answered 401")
    print(f"  ERROR lines / tracebacks   {log.count(' ERROR ')} / {log.count('Traceback')}")
    print(f"  secrets in log or Slack    {'none' if not leaked else ', '.join(leaked)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="/copy commands in all (default 300)")
    parser.add_argument("--batch", type=int, default=30, help="commands sent at once (default 30)")
    parser.add_argument("--styles", type=int, default=3, choices=range(1, 6), help="variations per run (default 3)")
    parser.add_argument("--worker-latency", type=float, default=0.2, help="each worker's latency, s (default 0.2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up on a batch after this many seconds")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary directory")
    asyncio.run(soak(parser.parse_args()))


if __name__ == "__main__":
    main()
