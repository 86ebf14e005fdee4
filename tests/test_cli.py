"""The command line outside a run: help, start-up imports, and errors before any model call."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import COMMANDS, build_parser, main
from tests.support.anthropic_api import FakeAnthropic
from tests.support.cli import copybot

README = Path(__file__).resolve().parents[1] / "README.md"

HEAVY = ("anthropic", "sqlalchemy", "slack_sdk", "slack_bolt", "aiohttp", "alembic", "llama_cpp")


def _modules_loaded_by(*argv: str) -> set[str]:
    code = (
        "import sys, json\n"
        "from bot.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("argv", [("--help",), ("run", "--help"), ("history", "--help"), ("slack-preview", "--help")])
def test_help_imports_no_sdk(argv: tuple[str, ...]) -> None:
    loaded = _modules_loaded_by(*argv)
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    listed = out.split("COMMAND", 1)[1]
    for command in COMMANDS:
        assert re.search(rf"^    {command}\s", listed, re.MULTILINE)
    assert "db upgrade" in listed and "db current" in listed


def _argparse_commands() -> dict[str, set[str]]:
    """Every command and the words it takes as its first positional choices (`db upgrade|current`, `history show`)."""
    commands: dict[str, set[str]] = {}
    for name in COMMANDS:
        sub = next(a for a in build_parser([name])._actions if isinstance(a, argparse._SubParsersAction))
        command = sub.choices[name]
        commands[name] = {
            str(choice) for a in command._actions if not a.option_strings and a.choices for choice in a.choices
        }
    return commands


def _readme_commands() -> dict[str, set[str]]:
    """The same, from the rows of README.md's command table (`| `copybot voice show\\|set` | ... |`)."""
    commands: dict[str, set[str]] = {}
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `copybot ")]
    for row in rows:
        cell = re.split(r"(?<!\\)\|", row)[1]
        for name, words in re.findall(r"`copybot ([a-z][a-z-]*)(?: ([a-z\\|]+))?", cell):
            commands.setdefault(name, set()).update(w for w in words.replace("\\", "").split("|") if w)
    return commands


def test_the_readme_lists_every_command_and_no_other() -> None:
    readme = _readme_commands()
    assert readme == _argparse_commands()
    assert readme["db"] == {"upgrade", "current"}  # the parsing above found the sub-commands


@pytest.mark.parametrize(
    ("verbosity", "shown", "hidden"),
    [
        ((), [], ["DEBUG", "INFO"]),
        (("-v",), ["DEBUG bot.app: opening the SQLite database"], ["DEBUG aiosqlite"]),
        (("-vv",), ["DEBUG bot.app: opening the SQLite database", "DEBUG aiosqlite"], []),
    ],
)
async def test_verbose_shows_copybots_debug_lines_and_very_verbose_the_libraries_too(
    verbosity: tuple[str, ...], shown: list[str], hidden: list[str], tmp_path: Path
) -> None:
    async with FakeAnthropic() as fake:
        assert (await copybot(fake, tmp_path, "db", "upgrade")).code == 0
        done = await copybot(fake, tmp_path, *verbosity, "history")
    assert done.code == 0 and done.out.startswith("No runs yet.")
    for line in shown:
        assert line in done.err
    for line in hidden:
        assert line not in done.err


def test_no_command_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: copybot" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "   "], "The product is empty."),
        (["run", "x" * 1001], "the limit is 1,000"),
        (["run", "bottle", "--variations", "9"], "copybot writes 1-5"),
        (["run", "bottle", "--variations", "0"], "copybot writes 1-5"),
    ],
)
def test_invalid_requests_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("COPYBOT_LLM", "anthropic")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_missing_key_names_the_variable(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYBOT_LLM", "anthropic")
    assert main(["run", "eco-friendly water bottle"]) == 2
    err = capsys.readouterr().err
    assert "ANTHROPIC_API_KEY is not set" in err
    assert "COPYBOT_LLM=local" in err
