"""/copy end to end: ack, thread parent, threaded variations, progress, final status, storage."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.parent import RETRY_ACTION
from bot.slack.tasks import Drained
from bot.workflow.types import INTERRUPTED_REASON
from tests.slack.conftest import STYLES, Bot
from tests.support.anthropic_api import Recorded, Reply, tag_text
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.support.slack_api import MAX_SECTION_TEXT, FakeSlack


def _parent(slack: FakeSlack, channel: str = "C1") -> str:
    """The one thread parent the fake accepted in `channel`."""
    (ts,) = [m.ts for m in slack.messages.values() if m.channel == channel and not m.thread_ts]
    return ts


async def test_copy_acks_then_threads_every_variation_and_stores_the_run(bot: Bot) -> None:
    answer = await bot.send.command("Eco water bottle audience: hikers features: BPA-free, light tone: playful")
    assert answer.status == 200
    assert "Eco water bottle" in answer.body["text"]
    assert answer.body.get("response_type", "ephemeral") == "ephemeral"
    await bot.tasks.join()

    parent_ts = _parent(bot.slack)
    parent = bot.slack.messages[("C1", parent_ts)]
    first_post = bot.slack.calls_to("chat.postMessage")[0].params
    assert "<@U1>" in str(first_post["blocks"]) and "Eco water bottle" in str(first_post["blocks"])
    assert "Hikers want light, tough bottles." in str(first_post["blocks"])
    replies = bot.slack.thread("C1", parent_ts)
    assert {r.blocks[0]["text"]["text"] for r in replies} == {f"{i}. {s}" for i, s in enumerate(STYLES, 1)}
    for r in replies:
        assert "copy for Eco water bottle" in str(r.blocks)
        assert any(b["type"] == "actions" for b in r.blocks)
    assert "3/3" in parent.text and parent.updates >= 1
    assert "Planned approaches" in str(parent.blocks) and "technical" in str(parent.blocks)

    page = await bot.repository.recent_runs("T1", channel_id="C1")
    (run,) = page.runs
    assert (run.status, run.slack_thread_ts, run.done_count) == ("done", parent_ts, 3)
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None and (detail.audience, detail.tone, detail.features) == (
        "hikers",
        "playful",
        ("BPA-free", "light"),
    )
    assert {v.slack_ts for v in detail.variations} == {r.ts for r in replies}


async def test_each_variation_is_posted_the_moment_it_is_written(bot: Bot) -> None:
    bot.llm.on(
        WORKER,
        lambda r: Reply(
            f"<response>{tag_text(r.prompt, 'style')}</response>",
            latency_s=1.5 if tag_text(r.prompt, "style") == "urgent" else 0.0,
        ),
    )
    await bot.send.command("Eco water bottle")
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.postMessage")) == 3, within=3)
    assert len(bot.slack.calls_to("chat.postMessage")) == 3  # parent + 2 fast ones, the slow one still writing
    assert bot.tasks and all("urgent" not in str(c.params) for c in bot.slack.calls_to("chat.postMessage")[1:])
    await bot.tasks.join()
    assert len(bot.slack.calls_to("chat.postMessage")) == 4


async def test_model_output_cannot_ping_or_link(bot: Bot) -> None:
    evil = "<!channel> <!here> <!everyone> hi <@U999> see <https://evil.example|click> & more"
    bot.llm.on(
        ORCHESTRATOR,
        f"<analysis>{evil}</analysis><tasks><task><type>a <!here></type>"
        f"<description>{evil}</description></task></tasks>",
    )
    bot.llm.on(WORKER, f"<response>{evil}</response>")
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    posted = bot.slack.calls_to("chat.postMessage") + bot.slack.calls_to("chat.update")
    assert len(posted) >= 3
    for call in posted:
        sent = str(call.params.get("text")) + str(call.params.get("blocks"))
        for raw in ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<https://evil.example|click>"):
            assert raw not in sent
        assert "link_names" not in call.params and call.params.get("parse") != "full"
    reply = next(c for c in bot.slack.calls_to("chat.postMessage") if "thread_ts" in c.params)
    assert "&lt;!channel&gt;" in str(reply.params["blocks"]) and "&amp; more" in str(reply.params["blocks"])


async def test_long_copy_is_split_within_slack_limits(bot: Bot) -> None:
    paragraph = "Light as air & tough as nails. " * 40
    long_copy = "\n\n".join([paragraph] * 40)  # about 50,000 characters
    bot.llm.on(ORCHESTRATOR, plan_reply(("long",), analysis="x"))
    bot.llm.on(WORKER, f"<response>{long_copy}</response>")
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    parent_ts = _parent(bot.slack)
    replies = bot.slack.thread("C1", parent_ts)
    assert len(replies) >= 2  # accepted by the fake, which enforces msg_too_long / invalid_blocks
    sections = [b["text"]["text"] for r in replies for b in r.blocks if b["type"] == "section"]
    assert all(len(s) <= MAX_SECTION_TEXT for s in sections)
    assert " ".join(sections).replace("&amp;", "&").split() == long_copy.split()
    attempts = [c for c in bot.slack.calls_to("chat.postMessage") if "thread_ts" in c.params]
    assert len(attempts) == len(replies)  # none was refused


async def test_rate_limited_posts_are_retried_after_retry_after(bot: Bot) -> None:
    bot.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    posts = bot.slack.calls_to("chat.postMessage")
    assert len(posts) == 5  # the 429 and its retry, then the 3 replies
    assert posts[1].at - posts[0].at >= 0.95
    assert len(bot.slack.thread("C1", _parent(bot.slack))) == 3


async def test_not_in_channel_tells_the_requester_how_to_fix_it_and_keeps_the_run(bot: Bot) -> None:
    bot.slack.not_in_channel.add("C1")
    await bot.send.command("Eco water bottle", response="fix")
    await bot.tasks.join()
    how_to, copy = bot.slack.responses["fix"]
    assert "/invite @copybot" in how_to["text"] and how_to["response_type"] == "ephemeral"
    assert copy["response_type"] == "ephemeral" and not copy["replace_original"]
    assert all(f"{style} copy for Eco water bottle" in str(copy["blocks"]) for style in STYLES)
    assert len(bot.slack.calls_to("chat.postMessage")) == 1  # gave up after the first refusal
    (run,) = (await bot.repository.recent_runs("T1", channel_id="C1")).runs
    assert (run.status, run.done_count) == ("done", 3)


async def test_a_refused_thread_still_tells_the_requester_where_the_copy_is(bot: Bot) -> None:
    bot.slack.refuse("chat.postMessage", "invalid_blocks")
    await bot.send.command("Eco water bottle", response="lost")
    await bot.tasks.join()
    (message,) = bot.slack.responses["lost"]
    assert "I wrote 3 variation(s) and stored them" in message["text"] and "/copy history" in message["text"]
    (run,) = (await bot.repository.recent_runs("T1")).runs
    assert (run.status, run.done_count) == ("done", 3)


async def test_a_failed_variation_shows_in_the_thread(bot: Bot) -> None:
    def worker(record: Recorded) -> Reply | str:
        style = tag_text(record.prompt, "style")
        return Reply(status=400) if style == "technical" else f"<response>{style}</response>"

    bot.llm.on(WORKER, worker)
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    parent_ts = _parent(bot.slack)
    texts = [r.text for r in bot.slack.thread("C1", parent_ts)]
    assert sum("could not be written" in t and "technical" in t for t in texts) == 1
    assert "Partly done" in bot.slack.messages[("C1", parent_ts)].text
    (run,) = (await bot.repository.recent_runs("T1")).runs
    assert run.status == "partial"


@pytest.mark.parametrize(("status", "advice"), [(400, 0), (529, 1)])
async def test_an_orchestrator_failure_is_a_clear_error_to_the_requester(bot: Bot, status: int, advice: int) -> None:
    bot.llm.on(ORCHESTRATOR, Reply(status=status))
    await bot.send.command("Eco water bottle", response="oops")
    await bot.tasks.join()
    (message,) = bot.slack.responses["oops"]
    assert "could not write this copy" in message["text"] and "orchestrator" in message["text"]
    assert message["text"].count("again in a minute") == advice  # only a passing outage is worth waiting for
    assert bot.slack.calls_to("chat.postMessage") == []
    (run,) = (await bot.repository.recent_runs("T1")).runs
    assert run.status == "failed"


async def test_a_burst_of_30_commands_is_acked_fast_and_all_complete(bot: Bot) -> None:
    answers = await asyncio.gather(*(bot.send.command(f"Product {i}", channel_id=f"C{i}") for i in range(30)))
    assert all(a.status == 200 for a in answers)
    assert max(a.seconds for a in answers) < 3.0
    await bot.tasks.join()
    page = await bot.repository.recent_runs("T1", limit=50)
    assert len(page.runs) == 30 and all(r.status == "done" and r.slack_thread_ts for r in page.runs)
    assert len(bot.slack.calls_to("chat.postMessage")) == 30 * 4


async def test_shutdown_lets_runs_finish_then_marks_the_rest_interrupted(bot: Bot) -> None:
    bot.llm.on(WORKER, Reply("<response>slow</response>", latency_s=3))
    await bot.send.command("Eco water bottle")
    await bot.slack.wait_for(lambda: len(bot.slack.calls_to("chat.postMessage")) == 1)
    assert await bot.tasks.drain(1.0) == Drained(runs=1, posts=0)  # the thread was told within the grace period
    (run,) = (await bot.repository.recent_runs("T1")).runs
    assert (run.status, run.error) == ("interrupted", INTERRUPTED_REASON)
    parent = bot.slack.messages[("C1", _parent(bot.slack))]
    assert "Interrupted" in parent.text and "/copy Eco water bottle" in parent.text
    assert parent.blocks[-1]["elements"][0]["action_id"] == RETRY_ACTION
    assert not (await bot.repository.run_detail(run.id)).slack_owed  # type: ignore[union-attr]
    answer = await bot.send.command("Another product")
    assert "restarting" in answer.body["text"]


async def test_a_slow_slack_never_stalls_the_run(bot: Bot) -> None:
    bot.slack.latency_s = 0.3  # every Web API call takes 0.3 s: posting this run takes about 2 s
    await bot.send.command("Eco water bottle")

    for _ in range(250):
        if [r.status for r in (await bot.repository.recent_runs("T1")).runs] == ["done"]:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the run was not stored as done within 5 s")
    assert len(bot.slack.messages) < 4  # the run was written and stored while its posts were still going out
    await bot.tasks.join()
    replies = bot.slack.thread("C1", _parent(bot.slack))
    assert [r.blocks[0]["text"]["text"] for r in replies] == [f"{i}. {s}" for i, s in enumerate(STYLES, 1)]
