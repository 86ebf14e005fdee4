"""The command line outside a run: help, start-up imports, and errors before any model call."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import main

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


@pytest.mark.parametrize("argv", [("--help",), ("run", "--help"), ("history", "--help")])
def test_help_imports_no_sdk(argv: tuple[str, ...]) -> None:
    loaded = _modules_loaded_by(*argv)
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "serve", "history", "db"):
        assert command in out


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
