"""`copybot run --format / --max-chars` end to end: fields with counts in --json, over_limit exits 1, bad requests 2."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.anthropic_api import FakeAnthropic, Recorded, tag_text
from tests.support.cli import copybot
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply


def ads(request: Recorded) -> str:
    """Google Ads fields in the style asked for; `lifestyle` always writes a 35-character headline."""
    style = tag_text(request.prompt, "style")
    first = "A bottle that goes wherever you go" if style == "lifestyle" else f"{style.title()} bottle"
    return (
        f"<response><headline>{first}</headline><headline>Cold 24 hours</headline><headline>No plastic</headline>"
        f"<description>{style}: steel that keeps water cold.</description>"
        "<description>Lifetime warranty included.</description></response>"
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        server.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
        server.on(WORKER, ads)
        yield server


async def test_google_ads_fields_come_with_counts_and_a_field_still_too_long_exits_1(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    done = await copybot(fake, tmp_path, "run", "eco-friendly water bottle", "--format", "google-ads", "--json")
    assert done.code == 1, done.err
    document = json.loads(done.out)
    assert document["request"]["format"] == "google-ads"
    by_type = {v["type"]: v for v in document["variations"]}
    technical, lifestyle = by_type["technical"], by_type["lifestyle"]
    assert technical["status"] == "done" and technical["format"] == "google-ads"
    assert [(f["name"], f["chars"], f["limit"]) for f in technical["fields"]] == [
        ("headline", 16, 30),
        ("headline", 13, 30),
        ("headline", 10, 30),
        ("description", 39, 90),
        ("description", 27, 90),
    ]
    assert technical["text"].startswith("Technical bottle\n\nCold 24 hours")
    assert lifestyle["status"] == "over_limit"
    assert lifestyle["over_limit"] == ["headline 1: 34 characters, limit 30"]
    assert len([r for r in fake.requests_for(WORKER) if "<problems>" in r.prompt]) == 2  # two rewrites, then shown
    shown = await copybot(fake, tmp_path, "history", "show", str(document["run_id"]))
    assert "Format:   google-ads" in shown.out and "Headline 1 · 34/30 ⚠ over the limit" in shown.out


async def test_max_chars_and_the_terminal_shows_each_field_with_its_count(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.on(WORKER, lambda r: f"<response><text>{tag_text(r.prompt, 'style')} bottle: cold all day.</text></response>")
    done = await copybot(fake, tmp_path, "run", "eco-friendly water bottle", "--max-chars", "40")
    assert done.code == 0, done.err
    assert "Text · 31/40\ntechnical bottle: cold all day." in done.out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--format", "banner"], "There is no format 'banner'"),
        (["--max-chars", "0"], "max_chars 0 is out of range"),
        (["--format", "tweet", "--max-chars", "100"], "not both"),
    ],
)
async def test_bad_formats_exit_2_before_any_model_call(
    fake: FakeAnthropic, tmp_path: Path, argv: list[str], says: str
) -> None:
    done = await copybot(fake, tmp_path, "run", "bottle", *argv)
    assert done.code == 2 and says in done.err, done.err
    assert fake.requests == []


async def test_a_bad_custom_formats_file_stops_the_run_naming_the_file_and_entry(
    fake: FakeAnthropic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "formats.toml"
    path.write_text('[banner]\ndescription = "A banner"\nfields = [{ name = "headline", limit = 9999 }]\n')
    monkeypatch.setenv("COPYBOT_FORMATS_FILE", str(path))
    done = await copybot(fake, tmp_path, "run", "bottle", "--format", "tweet")
    assert done.code == 2 and str(path) in done.err and "format 'banner'" in done.err
    assert fake.requests == []
