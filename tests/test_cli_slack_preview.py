"""`copybot slack-preview`: the real CLI process, the fake Anthropic API; nothing reaches Slack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.anthropic_api import FakeAnthropic, Reply
from tests.support.cli import copybot
from tests.support.plans import ORCHESTRATOR, plan_reply, script_workers
from tests.support.slack_api import FakeSlack

PRODUCT = "eco-friendly water bottle"
STYLES = ["technical", "lifestyle", "benefit-led"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        server.on(ORCHESTRATOR, plan_reply(STYLES, analysis="Three readers."))
        script_workers(server)
        yield server


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.aclose()


async def test_json_gives_the_parent_then_every_reply_and_nothing_is_sent_to_slack(
    fake: FakeAnthropic, slack: FakeSlack, tmp_path: Path
) -> None:
    env = {"SLACK_API_URL": slack.api_url, "SLACK_BOT_TOKEN": slack.bot_token}
    done = await copybot(fake, tmp_path, "slack-preview", PRODUCT, "--audience", "hikers", "--json", env=env)

    assert done.code == 0, done.err
    document = json.loads(done.out)
    assert document["status"] == "done" and document["error"] == ""
    parent, *replies = document["messages"]
    assert parent["kind"] == "parent" and [r["kind"] for r in replies] == ["reply"] * 3
    parent_text = json.dumps(parent["blocks"])
    for expected in (PRODUCT, "*Audience:* hikers", "Three readers.", "Planned approaches", "Done: 3/3"):
        assert expected in parent_text
    headers = sorted(r["blocks"][0]["text"]["text"] for r in replies)
    assert headers == sorted(f"{i}. {style}" for i, style in enumerate(STYLES, 1))
    for reply in replies:
        actions = [b for b in reply["blocks"] if b["type"] == "actions"]
        assert [e["action_id"] for e in actions[0]["elements"]] == ["copybot_pick", "copybot_another"]
    assert slack.calls == []  # a preview needs no workspace: not even auth.test

    history = json.loads((await copybot(fake, tmp_path, "history", "show", str(document["run_id"]), "--json")).out)
    assert history["product"] == PRODUCT and history["slack_thread_ts"] == ""  # stored as a run, without a thread


async def test_the_default_output_is_one_block_kit_builder_payload_per_message(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    done = await copybot(fake, tmp_path, "slack-preview", PRODUCT)

    assert done.code == 0, done.err
    chunks = done.out.split("── ")[1:]
    assert [c.split(" ──", 1)[0] for c in chunks] == [
        "1/4 · the thread's parent message",
        *(f"{i}/4 · a reply in the thread" for i in range(2, 5)),
    ]
    for chunk in chunks:
        payload = json.loads(chunk.split("──\n", 1)[1])
        assert list(payload) == ["blocks"] and payload["blocks"]
    assert "https://app.slack.com/block-kit-builder" in done.err


async def test_out_writes_one_file_per_message(fake: FakeAnthropic, tmp_path: Path) -> None:
    done = await copybot(fake, tmp_path, "slack-preview", PRODUCT, "--out", "preview")

    assert done.code == 0, done.err
    written = sorted((tmp_path / "preview").iterdir())
    assert [p.name for p in written] == ["01-parent.json", "02-reply.json", "03-reply.json", "04-reply.json"]
    assert done.out.split() == [str(Path("preview") / p.name) for p in written]
    for path in written:
        assert list(json.loads(path.read_text(encoding="utf-8"))) == ["blocks"]

    (tmp_path / "taken").write_text("")
    refused = await copybot(fake, tmp_path, "slack-preview", PRODUCT, "--out", "taken")
    assert refused.code == 2 and "--out taken is a file." in refused.err


async def test_a_failed_run_shows_what_the_requester_would_be_told_and_exits_2(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    fake.on(ORCHESTRATOR, Reply(status=529, retry_after_ms=1))

    done = await copybot(fake, tmp_path, "slack-preview", PRODUCT, "--json")

    assert done.code == 2
    (message,) = json.loads(done.out)["messages"]
    assert message["kind"] == "private" and "overloaded" in message["text"]
    [reason] = [line for line in done.err.splitlines() if line.startswith("copybot: the run failed")]
    assert "overloaded" in reason
