"""`copybot refine` and `copybot another` end to end: real processes, the real SDK, the fake Anthropic API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.anthropic_api import FakeAnthropic, Recorded, tag_text
from tests.support.cli import copybot
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply

STYLES = ["technical", "lifestyle", "benefit-led"]


def worker(request: Recorded) -> str:
    """Originals name their style; a refinement follows its instruction; another take says it is one."""
    style = tag_text(request.prompt, "style")
    if instruction := tag_text(request.prompt, "reviewer_request"):
        return f"<response>{style}, {instruction}: {tag_text(request.prompt, 'copy').strip()}</response>"
    if "<earlier_versions>" in request.prompt:
        return f"<response>Another {style} take.</response>"
    return f"<response>Copy in the {style} style.</response>"


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        server.on(ORCHESTRATOR, plan_reply(STYLES))
        server.on(WORKER, worker)
        yield server


async def first_run(fake: FakeAnthropic, tmp_path: Path) -> int:
    done = await copybot(fake, tmp_path, "run", "eco-friendly water bottle", "--json")
    assert done.code == 0, done.err
    return int(json.loads(done.out)["run_id"])


async def test_refine_writes_a_new_version_under_the_next_number(fake: FakeAnthropic, tmp_path: Path) -> None:
    run_id = await first_run(fake, tmp_path)
    done = await copybot(fake, tmp_path, "refine", str(run_id), "2", "shorter", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out) == {
        "run_id": run_id,
        "variation": {
            "position": 4,
            "type": "lifestyle",
            "text": "lifestyle, shorter: Copy in the lifestyle style.",
            "parent_position": 2,
            "instruction": "shorter",
            "kind": "refine",
            "status": "done",
            "error": "",
        },
    }
    shown = await copybot(fake, tmp_path, "history", "show", str(run_id))
    assert '4 <- 2 "shorter"' in shown.out and "Variation 4 · lifestyle · done" in shown.out
    listed = await copybot(fake, tmp_path, "history")
    assert "3/3" in listed.out  # the list counts the planned variations only


async def test_another_writes_the_style_anew_and_prints_text(fake: FakeAnthropic, tmp_path: Path) -> None:
    run_id = await first_run(fake, tmp_path)
    done = await copybot(fake, tmp_path, "another", str(run_id), "3")
    assert done.code == 0, done.err
    assert "variation 4 · benefit-led (from 3) · done" in done.out and "Another benefit-led take." in done.out
    (request,) = [r for r in fake.requests_for(WORKER) if "<earlier_versions>" in r.prompt]
    assert "Copy in the benefit-led style." in tag_text(request.prompt, "earlier_versions")


async def test_without_a_number_and_no_favourite_it_stops_listing_the_numbers(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    run_id = await first_run(fake, tmp_path)
    calls = len(fake.requests)
    done = await copybot(fake, tmp_path, "refine", str(run_id), "shorter")
    assert done.code == 2 and "Which variation" in done.err and "1, 2, 3" in done.err
    assert len(fake.requests) == calls  # no model call


BAD = [
    (["refine", "999", "1", "shorter"], "There is no run 999"),
    (["refine", "RUN", "7", "shorter"], "This run has no variation 7"),
    (["refine", "RUN", "two", "shorter"], "'two' is not a variation number"),
    (["refine", "RUN", "1", "   "], "Say what to change"),
    (["refine", "RUN", "1", "x" * 1001], "the limit is 1,000"),
    (["another", "RUN", "9"], "This run has no variation 9"),
]


async def test_bad_requests_exit_2_with_a_reason_and_no_call(fake: FakeAnthropic, tmp_path: Path) -> None:
    run_id = await first_run(fake, tmp_path)
    calls = len(fake.requests)
    for argv, says in BAD:
        done = await copybot(fake, tmp_path, *(str(run_id) if a == "RUN" else a for a in argv))
        assert done.code == 2 and says in done.err, (argv, done.err)
    assert len(fake.requests) == calls


async def test_a_failed_version_exits_2_with_json_status_failed(fake: FakeAnthropic, tmp_path: Path) -> None:
    run_id = await first_run(fake, tmp_path)
    fake.on(WORKER, "<response></response>")  # empty twice: the version fails
    done = await copybot(fake, tmp_path, "refine", str(run_id), "1", "shorter", "--json")
    assert done.code == 2
    variation = json.loads(done.out)["variation"]
    assert (variation["status"], variation["error"]) == ("failed", "The model returned no copy.")
