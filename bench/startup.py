"""Start-up and exit benchmark (not a test): the CLI's own overhead around the model calls.

    python bench/startup.py [--runs 10] [--checkout DIR ...]

Each command runs as a real process (`python -m bot`) against the fake Anthropic
API with no model latency (O = 0, W = 0: every reply is sent at once), storing in
a SQLite file already at the current schema:

  copybot --help
  copybot history                  (the runs the `run` rows stored)
  copybot run "..." --variations 3

`run` is split by the fake server's clock (the same monotonic clock as ours):
start = process start -> first request received, run = first request -> last
response sent, exit = last response sent -> process exit. The other commands
send no request: their whole wall time is printed. cpu is the process's own
CPU time (user + system), which the machine's load disturbs less than wall
time. Medians of --runs, after one warm-up of each (bytecode compiled and
cached, the database at the current schema), with Python's defaults as a user
has them (PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED are dropped if set).

`--checkout DIR` runs the copybot of DIR (e.g. an older commit unpacked with
`git archive`); given several times, their runs interleave, so before and
after are measured under the same load:

    git archive <base> | tar -x -C /tmp/base
    python bench/startup.py --checkout /tmp/base --checkout .
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: `python bench/startup.py`

from tests.support.anthropic_api import FakeAnthropic
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply, script_workers

ROOT = Path(__file__).resolve().parents[1]

STYLES = ("technical", "lifestyle", "playful")
COMMANDS = {
    "copybot --help": ("--help",),
    "copybot history": ("history",),
    "copybot run": ("run", "eco-friendly water bottle", "--variations", str(len(STYLES))),
}


AS_A_USER_RUNS_IT = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONPROFILEIMPORTTIME")


def child_env(checkout: Path, fake: FakeAnthropic, database: Path) -> dict[str, str]:
    """This environment without proxies, copybot settings, or Python settings a user would not have."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.lower().endswith("_proxy") or k.startswith("COPYBOT_") or k in AS_A_USER_RUNS_IT)
    }
    return {
        **env,
        "PYTHONPATH": str(checkout),
        "COPYBOT_LLM": "anthropic",
        "ANTHROPIC_API_KEY": "bench-key",
        "ANTHROPIC_BASE_URL": fake.url,
        "COPYBOT_ORCHESTRATOR_MODEL": ORCHESTRATOR,
        "COPYBOT_WORKER_MODEL": WORKER,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }


async def timed(fake: FakeAnthropic, argv: tuple[str, ...], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """One process: its wall and CPU time, and for a command that calls the model, start / run / exit."""
    fake.requests.clear()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    ended = time.monotonic()
    if process.returncode != 0:
        raise SystemExit(f"`copybot {' '.join(argv)}` exited {process.returncode}:\n{err.decode()}{out.decode()}")
    now = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child was reaped: its CPU time is counted
    figures = {"wall": ended - started, "cpu": now.ru_utime - used.ru_utime + now.ru_stime - used.ru_stime}
    if fake.requests:
        first = min(r.arrived for r in fake.requests)
        last = max(r.finished or ended for r in fake.requests)
        figures |= {"start": first - started, "run": last - first, "exit": ended - last}
    return figures


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.0f}" if values else f"{'-':>8}"


async def bench(runs: int, checkouts: list[Path]) -> None:
    async with FakeAnthropic() as fake:
        fake.on(ORCHESTRATOR, plan_reply(STYLES))
        script_workers(fake)
        with tempfile.TemporaryDirectory(prefix="copybot-startup-") as tmp:
            cwd = Path(tmp)
            envs = [child_env(checkout, fake, cwd / f"{number}.db") for number, checkout in enumerate(checkouts)]
            samples: dict[tuple[int, str], list[dict[str, float]]] = {}
            for round_ in range(runs + 1):  # round 0 warms up: bytecode compiled, the database at the current schema
                for number, env in enumerate(envs):  # interleaved: the machine's load falls on all alike
                    for name, argv in COMMANDS.items():
                        figures = await timed(fake, argv, env, cwd)
                        if round_:
                            samples.setdefault((number, name), []).append(figures)
    print(f"fake Anthropic API, O = 0, W = 0; median of {runs} runs, in ms")
    print(f"{'checkout':<10}{'command':<18}{'start':>8}{'run':>8}{'exit':>8}{'wall':>8}{'cpu':>8}")
    for (number, name), rows in samples.items():
        cells = [ms([row[key] for row in rows if key in row]) for key in ("start", "run", "exit", "wall", "cpu")]
        print(f"{chr(ord('A') + number):<10}{name:<18}{''.join(cells)}")
    for number, checkout in enumerate(checkouts):
        print(f"{chr(ord('A') + number)}: {checkout}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="processes per command (the median is printed)")
    parser.add_argument(
        "--checkout",
        type=Path,
        action="append",
        help="a copybot checkout to run (repeatable: their runs interleave; default: this one)",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    asyncio.run(bench(args.runs, [path.resolve() for path in args.checkout or [ROOT]]))


if __name__ == "__main__":
    main()
