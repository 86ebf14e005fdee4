"""`copybot voice`, `copybot run --team/--channel/--no-taste` and `copybot stats`, as real processes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.anthropic_api import FakeAnthropic, tag_text
from tests.support.cli import copybot
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        server.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
        server.on(WORKER, lambda r: f"<response>Copy in the {tag_text(r.prompt, 'style')} style.</response>")
        yield server


async def test_a_voice_set_from_the_terminal_is_used_by_runs_of_its_scope_only(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    voice_file = tmp_path / "voice.md"
    voice_file.write_text("Warm, plain-spoken.\nNever hype.")
    assert (await copybot(fake, tmp_path, "voice", "set", "--team", "T1", "--file", str(voice_file))).code == 0
    assert (await copybot(fake, tmp_path, "voice", "ban", "cheap, best ever", "--team", "T1")).code == 0
    shown = await copybot(fake, tmp_path, "voice", "show", "--team", "T1")
    assert "Warm, plain-spoken.\nNever hype." in shown.out and "Banned: cheap, best ever" in shown.out

    done = await copybot(fake, tmp_path, "run", "bottle", "--team", "T1", "--no-taste", "--json")
    assert done.code == 0, done.err
    assert "<banned_terms>cheap, best ever</banned_terms>" in fake.requests_for(ORCHESTRATOR)[-1].prompt
    assert "Never hype." in fake.requests_for(WORKER)[-1].prompt
    done = await copybot(fake, tmp_path, "run", "bottle")  # the CLI's own scope: no voice there
    assert done.code == 0 and "brand_voice" not in fake.requests_for(ORCHESTRATOR)[-1].prompt


async def test_bad_voice_commands_exit_2_with_a_reason(fake: FakeAnthropic, tmp_path: Path) -> None:
    for argv, says in (
        (["voice", "ban"], "Give the terms to ban"),
        (["voice", "show", "--file", "x.md"], "--file goes with `set`"),
        (["voice", "set", "--file", str(tmp_path / "missing.md")], "cannot be read"),
        (["voice", "unban", "cheap"], "is not banned"),
    ):
        done = await copybot(fake, tmp_path, *argv)
        assert done.code == 2 and says in done.err, (argv, done.err)


async def test_stats_shows_this_months_usage(fake: FakeAnthropic, tmp_path: Path) -> None:
    assert (await copybot(fake, tmp_path, "run", "bottle")).code == 0
    done = await copybot(fake, tmp_path, "stats", "--json")
    assert done.code == 0, done.err
    stats = json.loads(done.out)
    assert (stats["runs"], stats["variations"], stats["styles"]) == (1, 2, [])
    assert stats["input_tokens"] > 0 and stats["cost_usd"] is None  # the fake models have no price
    text = await copybot(fake, tmp_path, "stats", "--team", "T9")
    assert "Workspace T9" in text.out and "0 runs" in text.out and "No favourites yet." in text.out
