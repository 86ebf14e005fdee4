"""What real servers send (a LiteLLM proxy in front of a llama.cpp server), through `copybot run` and `copybot
history show` as processes over real HTTP: multi-line errors, a gateway's 404, a plan without tasks, no request-id
header, no token counts."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.anthropic_api import FakeAnthropic
from tests.support.cli import Done
from tests.support.openai_api import FakeOpenAI, Reply, Status
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply, script_workers

LITELLM_ERROR = (
    "litellm.BadRequestError: OpenAIException - Error code: 400\n"
    "Traceback (most recent call last):\n"
    '  File "/app/litellm/main.py", line 1190, in completion\n'
    "ValueError: the model is not loaded"
)


async def copybot(tmp_path: Path, env: dict[str, str], *argv: str) -> Done:
    env = {
        **os.environ,
        "COPYBOT_ORCHESTRATOR_MODEL": ORCHESTRATOR,
        "COPYBOT_WORKER_MODEL": WORKER,
        "COPYBOT_LLM_MAX_RETRIES": "0",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Done(process.returncode, out.decode(), err.decode())


@pytest.fixture
async def anthropic() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


def on_anthropic(server: FakeAnthropic) -> dict[str, str]:
    return {"COPYBOT_LLM": "anthropic", "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": server.url}


def reason(done: Done) -> list[str]:
    """The lines of stderr that give the reason of exit status 2."""
    return [line for line in done.err.splitlines() if line.startswith("copybot: the run failed")]


async def test_a_multi_line_server_error_is_still_a_one_line_reason(tmp_path: Path) -> None:
    async with FakeOpenAI(default=Status(400, message=LITELLM_ERROR)) as server:
        env = {"COPYBOT_LLM": "openai", "OPENAI_BASE_URL": server.base_url}
        done = await copybot(tmp_path, env, "run", "eco bottle")
    assert done.code == 2
    (line,) = reason(done)
    assert "Error code: 400" in line and "ValueError: the model is not loaded" in line
    assert "Traceback (most recent call last):" not in done.err.splitlines()


async def test_a_gateways_404_says_what_was_not_found(tmp_path: Path) -> None:
    async def not_found(_: web.Request) -> web.Response:
        return web.json_response({"detail": "Not Found"}, status=404)

    gateway = web.Application()  # a proxy that serves no Anthropic Messages API
    gateway.router.add_route("*", "/{path:.*}", not_found)
    runner = web.AppRunner(gateway)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        env = {"COPYBOT_LLM": "anthropic", "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": url}
        done = await copybot(tmp_path, env, "run", "eco bottle")
    finally:
        await runner.cleanup()
    assert done.code == 2
    (line,) = reason(done)
    assert f"POST {url}/v1/messages answered 404 (not found): Not Found" in line and "ANTHROPIC_BASE_URL" in line
    assert "does not know this model" not in done.err


async def test_an_unknown_model_is_still_named_as_such(anthropic: FakeAnthropic, tmp_path: Path) -> None:
    done = await copybot(tmp_path, on_anthropic(anthropic), "run", "eco bottle")  # no script: 404 "model: ..."
    assert done.code == 2 and "does not know this model" in reason(done)[0]


async def test_a_plan_without_tasks_is_asked_for_again_and_kept_for_history_show(
    anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    anthropic.on(ORCHESTRATOR, "<analysis>Bottles.</analysis> Sorry, I cannot list tasks.", plan_reply(["a", "b"]))
    script_workers(anthropic)
    env = on_anthropic(anthropic)
    assert (await copybot(tmp_path, env, "run", "eco bottle")).code == 0
    assert len(anthropic.requests_for(ORCHESTRATOR)) == 2

    anthropic.on(ORCHESTRATOR, "Still no tasks, sorry.")
    failed = await copybot(tmp_path, env, "run", "eco lamp")
    assert failed.code == 2 and "no usable task" in reason(failed)[0]
    shown = await copybot(tmp_path, env, "history", "show", "2")
    assert shown.out.count("Reply of model call") == 2 and shown.out.count("    Still no tasks, sorry.") == 2
    document = json.loads((await copybot(tmp_path, env, "history", "show", "1", "--json")).out)
    assert [c["reply"] for c in document["calls"] if c["role"] == "orchestrator"] == [
        "<analysis>Bottles.</analysis> Sorry, I cannot list tasks.",
        "",
    ]


async def test_without_a_request_id_header_the_message_id_is_stored(anthropic: FakeAnthropic, tmp_path: Path) -> None:
    anthropic.request_id_header = False  # a gateway that drops it
    anthropic.on(ORCHESTRATOR, plan_reply(["a", "b"]))  # streamed
    script_workers(anthropic)  # not streamed
    env = on_anthropic(anthropic)
    assert (await copybot(tmp_path, env, "run", "eco bottle")).code == 0
    document = json.loads((await copybot(tmp_path, env, "history", "show", "1", "--json")).out)
    assert sorted(c["request_id"] for c in document["calls"]) == sorted(
        f"msg_{r.request_id}" for r in anthropic.requests
    )


async def test_a_server_that_sends_no_token_counts_shows_them_as_unknown(tmp_path: Path) -> None:
    plan = plan_reply(["playful", "technical"])
    async with FakeOpenAI(default=Reply("<response>Copy.</response>", usage=False)) as server:
        server.script(Reply(plan, usage=False), Reply("<response>Fun copy.</response>", usage=False))
        env = {"COPYBOT_LLM": "openai", "OPENAI_BASE_URL": server.base_url}
        done = await copybot(tmp_path, env, "run", "eco bottle")
        shown = await copybot(tmp_path, env, "history", "show", "1")
        as_json = await copybot(tmp_path, env, "run", "eco lamp", "--json")
    assert done.code == 0, done.err
    assert "0 tokens" not in done.out and "tokens unknown" in done.out
    assert "at least" in shown.out and "?" in shown.out and "sent no token counts" in shown.out
    calls = json.loads(as_json.out)["calls"]
    assert {(c["input_tokens"], c["output_tokens"]) for c in calls} == {(None, None)}
