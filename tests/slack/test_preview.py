"""`copybot slack-preview`'s thread is the one /copy posts: same builders, same final parent, same replies."""

from __future__ import annotations

from bot.services import Origin, RunSource
from bot.slack.preview import preview
from bot.workflow.types import CopyRequest
from tests.slack.conftest import Bot
from tests.support.anthropic_api import Reply
from tests.support.plans import WORKER


async def test_the_preview_shows_exactly_what_copy_posts_in_the_thread(bot: Bot) -> None:
    await bot.send.command("Eco water bottle audience: hikers")
    await bot.tasks.join()
    (parent,) = [m for m in bot.slack.messages.values() if not m.thread_ts]
    replies = bot.slack.thread("C1", parent.ts)

    shown = await preview(
        bot.services.runs, CopyRequest("Eco water bottle", audience="hikers"), Origin(RunSource.CLI, user_id="U1")
    )

    assert shown.outcome.status == "done"
    first, *rest = shown.messages
    assert (first.kind, list(first.blocks), first.text) == ("parent", parent.blocks, parent.text)
    assert [m.kind for m in rest] == ["reply"] * len(replies) and len(replies) == 3
    assert sorted(map(str, (m.blocks for m in rest))) == sorted(str(tuple(r.blocks)) for r in replies)
    assert len(bot.slack.calls_to("chat.postMessage")) == 4  # the preview posted nothing


async def test_model_output_is_escaped_as_in_slack_and_a_long_copy_split(bot: Bot) -> None:
    bot.llm.on(WORKER, Reply("<response><!channel> " + "word " * 2_000 + "</response>"))

    shown = await preview(bot.services.runs, CopyRequest("Eco water bottle"), Origin(RunSource.CLI, user_id="U1"))

    text = str([m.blocks for m in shown.messages])
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    for message in shown.messages:
        assert len(message.blocks) <= 50
        assert all(len(b.get("text", {}).get("text", "")) <= 3_000 for b in message.blocks)
    assert bot.slack.calls == []
