"""`copybot run` end to end: the real CLI process, the real SDK, the fake Anthropic API, a SQLite file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.anthropic_api import FakeAnthropic, Reply
from tests.support.cli import copybot
from tests.support.openai_api import FakeOpenAI
from tests.support.openai_api import Reply as OpenAIReply
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply, script_workers

PRODUCT = "eco-friendly water bottle"
ARGS = ("--audience", "environmentally conscious millennials", "--feature", "plastic-free", "--feature", "insulated")


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


async def test_a_full_run_shows_every_phase_and_exits_0(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle", "benefit-led"], analysis="Three readers."))
    script_workers(fake)

    done = await copybot(fake, tmp_path, "run", PRODUCT, *ARGS)

    assert done.code == 0, done.err
    assert f"anthropic · orchestrator {ORCHESTRATOR}, workers {WORKER}" in done.err
    out = done.out
    phases = ["ORCHESTRATOR ANALYSIS", "Three readers.", "GENERATING CONTENT", "RESULTS"]
    assert [out.index(p) for p in phases] == sorted(out.index(p) for p in phases)
    for style in ("technical", "lifestyle", "benefit-led"):
        assert f"{style.upper()}: Write the {style} version" in out
        assert f"{style} ready" in out
        assert f"Copy in the {style} style." in out.split("RESULTS", 1)[1]
    assert "done — 3 of 3 variations written" in out
    [plan_request] = fake.requests_for(ORCHESTRATOR)
    assert "environmentally conscious millennials" in plan_request.prompt
    assert "plastic-free; insulated" in plan_request.prompt


async def test_json_prints_exactly_one_document_on_stdout(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    script_workers(fake)

    done = await copybot(fake, tmp_path, "run", PRODUCT, "--json", *ARGS)

    assert done.code == 0, done.err
    document = json.loads(done.out)  # the whole of stdout is one JSON document
    assert document["status"] == "done"
    assert document["request"]["features"] == ["plastic-free", "insulated"]
    assert document["analysis"] == "The request, analysed."
    assert [(v["type"], v["status"], v["text"]) for v in document["variations"]] == [
        ("technical", "done", "Copy in the technical style."),
        ("lifestyle", "done", "Copy in the lifestyle style."),
    ]
    assert {c["role"] for c in document["calls"]} == {"orchestrator", "worker"}
    assert all(c["input_tokens"] > 0 and c["output_tokens"] > 0 for c in document["calls"])
    assert "ORCHESTRATOR ANALYSIS" in done.err  # progress went to stderr


async def test_a_partial_run_still_shows_what_was_written_and_exits_1(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    script_workers(fake, {"lifestyle": [Reply(status=500, retry_after_ms=1)]})

    done = await copybot(fake, tmp_path, "run", PRODUCT, "--json")

    assert done.code == 1, done.err
    document = json.loads(done.out)
    assert document["status"] == "partial"
    by_type = {v["type"]: v for v in document["variations"]}
    assert by_type["technical"]["text"] == "Copy in the technical style."
    assert by_type["lifestyle"]["status"] == "failed"
    assert "500" in by_type["lifestyle"]["error"]


async def test_a_failed_run_exits_2_with_a_one_line_reason(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.on(ORCHESTRATOR, Reply(status=529, retry_after_ms=1))

    done = await copybot(fake, tmp_path, "run", PRODUCT)

    assert done.code == 2
    [reason] = [line for line in done.err.splitlines() if line.startswith("copybot: the run failed")]
    assert "orchestrator call failed" in reason and "overloaded" in reason
    assert reason.endswith("Try again in a minute.")  # an overloaded API is a passing outage
    assert "overloaded" not in done.out  # the reason is given once, on stderr, not in the summary too
    assert fake.requests_for(WORKER) == []


async def test_a_refused_connection_is_named_a_setting_not_a_passing_outage(tmp_path: Path) -> None:
    async with FakeAnthropic() as closed:
        url = closed.url  # nothing listens there once the fake has stopped
    done = await copybot(closed, tmp_path, "run", PRODUCT)

    assert done.code == 2
    [reason] = [line for line in done.err.splitlines() if line.startswith("copybot: the run failed")]
    assert f"Could not connect to the Anthropic API at {url} (connection refused" in reason
    assert "check ANTHROPIC_BASE_URL" in reason and "Try again in a minute" not in reason
    assert "connection refused" not in done.out


async def test_runs_are_stored_and_listed_by_history(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    script_workers(fake)
    first = await copybot(fake, tmp_path, "run", PRODUCT, "--json")
    second = await copybot(fake, tmp_path, "run", "solar lantern", "--json")
    assert (first.code, second.code) == (0, 0)

    history = await copybot(fake, tmp_path, "history", "--json")

    assert history.code == 0, history.err
    runs = json.loads(history.out)["runs"]
    assert [r["product"] for r in runs] == ["solar lantern", PRODUCT]
    assert {r["id"] for r in runs} == {json.loads(first.out)["run_id"], json.loads(second.out)["run_id"]}


async def test_openai_runs_on_the_one_model_its_server_lists(fake: FakeAnthropic, tmp_path: Path) -> None:
    async with FakeOpenAI(models=["llama3.2"], default=OpenAIReply("<response>Copy.</response>")) as server:
        server.script(OpenAIReply(plan_reply(["technical", "lifestyle"])))
        env = {"COPYBOT_LLM": "openai", "OPENAI_BASE_URL": server.base_url}
        done = await copybot(
            fake, tmp_path, "run", PRODUCT, env={**env, "COPYBOT_ORCHESTRATOR_MODEL": "", "COPYBOT_WORKER_MODEL": ""}
        )
    assert "copybot: openai · orchestrator llama3.2, workers llama3.2" in done.err
    assert server.requests and {r.body["model"] for r in server.requests} == {"llama3.2"}


async def test_openai_refused_connection_is_named_a_setting(fake: FakeAnthropic, tmp_path: Path) -> None:
    async with FakeOpenAI() as server:
        base_url = server.base_url  # nothing listens there once it has stopped
    done = await copybot(fake, tmp_path, "run", PRODUCT, env={"COPYBOT_LLM": "openai", "OPENAI_BASE_URL": base_url})

    assert done.code == 2
    [reason] = [line for line in done.err.splitlines() if line.startswith("copybot: the run failed")]
    assert f"Could not connect to the model server at {base_url}/chat/completions (connection refused" in reason
    assert "check OPENAI_BASE_URL" in reason and "Try again in a minute" not in reason
