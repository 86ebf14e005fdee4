"""`copybot history`, `copybot history show ID` and `copybot db` through bot.cli.main, on a SQLite file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.services import Origin, RunSource
from bot.workflow import CopyRequest, Plan, RunFinished, Variation
from storage import DatabaseConfig, migrate, open_repository
from tests.storage.test_repository import SUBTASKS, call


async def _seed(database_url: str) -> list[int]:
    repository = await open_repository(DatabaseConfig.parse(database_url))
    try:
        ids = []
        for i, product in enumerate(["steel water bottle", "trail running shoe", "bamboo toothbrush"]):
            origin = Origin(
                RunSource.SLACK, team_id="T1", channel_id="C1", user_id=f"U{i}", user_name=["ana", "", "cy"][i]
            )
            run_id = await repository.start_run(CopyRequest(product, audience="hikers", tone="calm"), origin)
            await repository.record_plan(run_id, Plan(f"Analysis of {product}.", SUBTASKS))
            await repository.record_llm_call(run_id, call(None))
            await repository.record_llm_call(run_id, call(1))
            await repository.record_variation_done(
                run_id, Variation(SUBTASKS[0], "Hydrate boldly.\nEvery day.", False, call(1))
            )
            await repository.record_variation_failed(run_id, SUBTASKS[1], "The model did not answer within 90 s.", None)
            await repository.finish_run(run_id, RunFinished("partial"))
            ids.append(run_id)
        await repository.set_favourite(ids[0], 1, "U7", "star")
        await repository.set_favourite(ids[0], 1, "U8", "button")
        return ids
    finally:
        await repository.aclose()


@pytest.fixture(name="seeded")
def seeded_fixture(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return asyncio.run(_seed(sqlite_url))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_lists_runs_newest_first_with_their_favourite(
    seeded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "history")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "WHEN", "WHO", "PRODUCT", "VARIATIONS", "STATUS", "FAVOURITE"]
    assert [row.split()[0] for row in rows] == [str(i) for i in reversed(seeded)]
    assert "cy" in rows[0] and "U1" in rows[1] and "ana" in rows[2]  # no user name: the user id
    assert "steel water bottle" in rows[2] and "1/2" in rows[2] and "partial" in rows[2]
    assert rows[2].endswith("#1 benefit-led (2 votes)")
    assert not rows[0].endswith("votes)")


def test_history_search_limit_and_next_page(seeded: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "history", "--search", "SHOE")
    assert code == 0 and "trail running shoe" in out and "bottle" not in out and "toothbrush" not in out
    _, out, _ = run_cli(capsys, "history", "--limit", "1")
    assert "bamboo toothbrush" in out and f"More: copybot history --limit 1 --before {seeded[2]}" in out
    _, out, _ = run_cli(capsys, "history", "--limit", "1", "--before", str(seeded[2]))
    assert "trail running shoe" in out and "toothbrush" not in out
    _, out, _ = run_cli(capsys, "history", "--search", "steel bottle", "--limit", "1")
    assert "More" not in out  # one match: no next page
    _, out, _ = run_cli(capsys, "history", "--search", "o", "--limit", "2")
    assert out.splitlines()[-1] == f"More: copybot history --search o --limit 2 --before {seeded[1]}"
    _, out, _ = run_cli(capsys, "history", "--search", "t s", "--limit", "1")
    assert out.splitlines()[-1] == f"More: copybot history --search 't s' --limit 1 --before {seeded[2]}"
    _, out, _ = run_cli(capsys, "history", "--search", "kayak")
    assert out.strip() == "No runs match 'kayak'."
    code, out, err = run_cli(capsys, "history", "--limit", "0")
    assert code == 2 and out == "" and "--limit 0 is out of range. Use 1-200." in err


def test_history_json_is_one_document(seeded: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "history", "--json", "--limit", "2")
    assert code == 0
    document = json.loads(out)
    assert [run["id"] for run in document["runs"]] == [seeded[2], seeded[1]]
    assert document["next_before"] == seeded[1]
    assert document["runs"][0]["product"] == "bamboo toothbrush"
    assert document["runs"][0]["created_at"].endswith("+00:00")


def test_history_show_prints_one_run_in_full(seeded: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "history", "show", str(seeded[0]))
    assert code == 0
    assert out.startswith(f"Run {seeded[0]} · partial · slack · ana · ")
    for expected in (
        "Product:  steel water bottle",
        "Audience: hikers",
        "Analysis of steel water bottle.",
        "Variation 1 · benefit-led · done",
        "    Hydrate boldly.\n    Every day.",
        "Votes: 2 - U7 (star), U8 (button)",
        "Variation 2 · technical · failed",
        "Error: The model did not answer within 90 s.",
        "Model calls (2):",
        "Tokens:   2,000 in · 400 out · 60 cache read · 80 cache write · estimated cost $0.0041",
    ):
        assert expected in out
    calls = out.split("Model calls (2):\n")[1].splitlines()
    assert calls[0].split() == ["ROLE", "POS", "MODEL", "IN", "OUT", "CACHE", "R", "CACHE", "W", "MS", "STOP", "ERROR"]
    assert calls[1].split() == [
        "orchestrator",
        "-",
        "claude-haiku-4-5",
        "1,000",
        "200",
        "30",
        "40",
        "1,234",
        "end_turn",
    ]


def test_history_show_json_and_unknown_id(seeded: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "history", "show", str(seeded[0]), "--json")
    assert code == 0
    run = json.loads(out)
    assert [v["status"] for v in run["variations"]] == ["done", "failed"]
    assert [vote["user_id"] for vote in run["variations"][0]["votes"]] == ["U7", "U8"]
    assert [c["duration_ms"] for c in run["calls"]] == [1234, 1234]
    code, out, err = run_cli(capsys, "history", "show", "999")
    assert (code, out) == (2, "")
    assert "There is no run 999. `copybot history` lists the runs and their ids." in err


def test_db_upgrade_and_current(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    DatabaseConfig.parse(sqlite_url).path.touch()  # type: ignore[union-attr]  # an empty SQLite database
    code, out, _ = run_cli(capsys, "db", "current")
    assert code == 0 and "schema empty" in out and "run `copybot db upgrade`" in out
    code, out, _ = run_cli(capsys, "db", "upgrade")
    assert code == 0 and out.strip().endswith(f"schema {migrate.head()} (upgraded from empty).")
    _, out, _ = run_cli(capsys, "db", "upgrade")
    assert out.strip().endswith(f"schema {migrate.head()} (already up to date).")
    _, out, _ = run_cli(capsys, "db", "current")
    assert out.strip().endswith(f"schema {migrate.head()} (up to date).")
    _, out, _ = run_cli(capsys, "history")
    assert out.startswith("No runs yet.")


def test_a_bad_database_url_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://db/copybot")
    code, _, err = run_cli(capsys, "history")
    assert code == 2 and "copybot supports SQLite (aiosqlite) and PostgreSQL (asyncpg)" in err
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite://")
    code, _, err = run_cli(capsys, "db", "upgrade")
    assert code == 2 and "in-memory SQLite database, which would lose every run" in err
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:////no/such/directory/copybot.db")
    code, _, err = run_cli(capsys, "history")
    assert code == 2 and "Cannot reach the SQLite database /no/such/directory/copybot.db" in err
    assert "the directory /no/such/directory does not exist" in err
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://copybot:s3cret@127.0.0.1:1/runs")
    code, _, err = run_cli(capsys, "history")
    assert code == 2 and "Cannot reach PostgreSQL at 127.0.0.1:1/runs" in err and "needs migration" not in err
    assert "s3cret" not in err and "file's directory" not in err and "PostgreSQL server is running" in err


@pytest.mark.parametrize(
    "url", ["postgresql+asyncpg//user:s3cret@db/copybot", "postgresql+asyncpg://user:s3cret@db:notaport/copybot"]
)
def test_a_malformed_database_url_is_a_clear_error_that_never_shows_the_password(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["history"]) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL is not a valid database URL" in err
    assert "s3cret" not in err


@pytest.mark.parametrize(
    "argv",
    [("history",), ("history", "--json"), ("history", "show", "1"), ("stats",), ("voice", "show"), ("db", "current")],
)
def test_commands_that_only_read_create_no_database(
    argv: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the default: copybot.db in the working directory
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, "")
    assert f"There is no database at {tmp_path / 'copybot.db'}: nothing has been stored there yet." in err
    assert "`copybot run`, `copybot serve` and `copybot db upgrade` create it" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [("db", "upgrade"), ("voice", "set", "Warm and plain.")])
def test_commands_that_write_create_the_database(
    argv: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert run_cli(capsys, *argv)[0] == 0
    assert (tmp_path / "copybot.db").is_file()
    code, out, _ = run_cli(capsys, "history")
    assert code == 0 and out.startswith("No runs yet.")
