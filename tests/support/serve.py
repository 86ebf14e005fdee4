"""The real `copybot serve` in a child process, pointed at the fakes: for tests of restarts and for benchmarks.

env = serve_env(slack, llm.url, database_url, COPYBOT_SHUTDOWN_GRACE="1")
async with copybot_serve(env, log=tmp_path / "serve.log") as served:
    await Sender(session, served.url, slack).command("Eco water bottle")
# leaving the block sends SIGTERM and waits for the exit (served.process.returncode)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.support.plans import ORCHESTRATOR, WORKER
from tests.support.slack_api import FakeSlack
from tests.support.slack_requests import SIGNING_SECRET, free_port

ROOT = Path(__file__).resolve().parents[2]


def fakes_env(slack: FakeSlack, llm_url: str, database_url: str) -> dict[str, str]:
    """The settings that point copybot at the fake Slack and a fake Anthropic API."""
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": llm_url,
        "DATABASE_URL": database_url,
        "COPYBOT_ORCHESTRATOR_MODEL": ORCHESTRATOR,
        "COPYBOT_WORKER_MODEL": WORKER,
    }


def serve_env(slack: FakeSlack, llm_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `copybot serve` on the fakes: this one's, without proxies or other copybot settings."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith(("SLACK_", "COPYBOT_"))}
    return {**env, **fakes_env(slack, llm_url, database_url), **extra}


@dataclass
class Served:
    url: str
    process: asyncio.subprocess.Process
    log: Path

    def logged(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self, sig: signal.Signals = signal.SIGTERM, within: float = 30) -> int:
        """Send `sig` (SIGKILL: a crash) and wait for the exit; return the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), within)


@asynccontextmanager
async def copybot_serve(
    env: dict[str, str],
    *args: str,
    log: Path,
    within: float = 30,
    host: str = "127.0.0.1",
    python_args: Sequence[str] = (),
    socket: bool = False,
) -> AsyncIterator[Served]:
    """Start `copybot serve *args` (HTTP mode on a free port, or with `socket` Socket Mode with its metrics on a free
    COPYBOT_METRICS_PORT; its stderr into `log`), yield it once /healthz (Socket Mode: /metrics) answers at `host`
    (where it listens: HOST or --host, else every interface). `python_args` go to the interpreter before `-m bot`
    (e.g. `-m cProfile -o FILE`)."""
    port = free_port()
    listen = {"COPYBOT_METRICS_PORT" if socket else "PORT": str(port)}
    argv = ("serve", "--socket", *args) if socket else ("serve", *args)
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *python_args,
            "-m",
            "bot",
            *argv,
            env={**env, **listen},
            cwd=ROOT,
            stderr=stderr,
        )
    served = Served(f"http://{host}:{port}", process, log)
    try:
        await _healthy(served, within, "/metrics" if socket else "/healthz")
        yield served
    finally:
        await served.stop()


async def _healthy(served: Served, within: float, path: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(within * 20)):
            if served.process.returncode is not None:
                raise AssertionError(f"copybot serve exited with {served.process.returncode}:\n{served.logged()}")
            try:
                async with session.get(f"{served.url}{path}") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"copybot serve did not answer {path} within {within} s:\n{served.logged()}")
