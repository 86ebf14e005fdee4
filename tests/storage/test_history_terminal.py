"""`copybot history` and `history show` render stored text safely in the terminal: control characters an older
copybot stored (or a server's error quotes) are shown as visible stand-ins, never printed raw; JSON stays valid."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import text

from bot.terminal import json_text, one_line, visible
from tests.storage.test_history_cli import _seed, run_cli
from tests.storage.test_recovery import behind_the_back

RAW = "Ctl \x1b]0;PWNED\x07 \x1b[31mred \x9b2J \u202eevil\x7f"
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\x7f")


def test_visible_shows_every_control_character_and_keeps_lines_when_asked() -> None:
    assert visible(RAW) == "Ctl ␛]0;PWNED␇ ␛[31mred <U+009B>2J <U+202E>evil␡"
    assert visible("a\nb\tc") == "a␊b␉c" and visible("a\nb\tc", lines=True) == "a\nb\tc"
    assert one_line("Error:\n  Traceback\r\n\x1b[1m boom") == "Error: Traceback ␛[1m boom"
    assert json.loads(json_text(json.dumps(RAW, ensure_ascii=False))) == RAW


@pytest.fixture(name="hostile")
def hostile_fixture(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """A run whose text an older copybot stored with its control characters (written here in raw SQL)."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    run_id = asyncio.run(_seed(sqlite_url))[0]
    for statement in (
        "UPDATE runs SET product = :raw, analysis = :raw, user_name = :raw, error = :raw",
        "UPDATE variations SET type = :raw, text = :raw, description = :raw, error = :raw",
        "UPDATE llm_calls SET model = :raw, error = :raw",
    ):
        asyncio.run(behind_the_back(sqlite_url, text(statement).bindparams(raw=RAW)))
    return run_id


@pytest.mark.parametrize(
    "argv", [("history",), ("history", "show", "ID"), ("history", "--json"), ("history", "show", "ID", "--json")]
)
def test_stored_control_characters_are_shown_never_obeyed(
    hostile: int, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, *(str(hostile) if a == "ID" else a for a in argv))
    assert code == 0, err
    assert [c for c in RAW_CONTROLS if c in out + err] == []
    if "--json" in argv:
        document = json.loads(out)  # valid, and the data itself intact
        assert RAW in [run["product"] for run in document.get("runs", [document])]
    else:
        assert "␛]0;PWNED␇" in out and "<U+202E>evil" in out
