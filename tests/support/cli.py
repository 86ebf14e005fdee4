"""`copybot` as a real process (`python -m bot`) against the fake Anthropic API, storing in a SQLite file."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.anthropic_api import FakeAnthropic
from tests.support.plans import ORCHESTRATOR, WORKER


@dataclass
class Done:
    code: int
    out: str
    err: str


async def copybot(
    fake: FakeAnthropic, tmp_path: Path, *argv: str, timeout_s: float = 60, env: Mapping[str, str] | None = None
) -> Done:
    """Run `copybot *argv` in `tmp_path` (its database: tmp_path/copybot.db) and wait for it to exit; `env` adds
    to (or overrides) its environment."""
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": fake.url,
        "COPYBOT_ORCHESTRATOR_MODEL": ORCHESTRATOR,
        "COPYBOT_WORKER_MODEL": WORKER,
        "COPYBOT_LLM_MAX_RETRIES": "1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}",
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=timeout_s)
    assert process.returncode is not None
    return Done(process.returncode, out.decode(), err.decode())
