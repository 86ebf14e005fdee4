"""Live text (COPYBOT_LIVE_TEXT) in Slack: a variation streams into one threaded reply, which becomes the final one.

End to end over real HTTP (signed /copy, the real Bolt app, AnthropicLLM and AsyncWebClient against the fakes),
plus the sink fed events directly for what the model cannot be made to do on cue (bursts, very long text).
"""

from __future__ import annotations

import asyncio
import json
from itertools import pairwise
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.parent import ParentState
from bot.slack.sink import SlackThread
from bot.workflow.types import (
    AnalysisReady,
    Event,
    LLMCall,
    RunFinished,
    RunStatus,
    Subtask,
    Usage,
    Variation,
    VariationDone,
    VariationFailed,
    VariationStarted,
    VariationText,
)
from tests.slack.conftest import Bot
from tests.support.anthropic_api import Recorded, Reply, tag_text, tokens
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.support.slack_api import Call, FakeSlack

LIVE = pytest.mark.parametrize("bot_env", [{"COPYBOT_LIVE_TEXT": "1"}])
SLOW_COPY = "Light as air & tough as nails <!here>: the bottle that keeps up with every trail you take. " * 2
STREAM_S = 3.2


def blocks_of(call: Call) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def copy_of(blocks: list[dict[str, Any]]) -> str:
    """The copy a message shows, unescaped (its section texts)."""
    text = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def has_pick(blocks: list[dict[str, Any]]) -> bool:
    return any(b["type"] == "actions" for b in blocks)


def writing(blocks: list[dict[str, Any]]) -> bool:
    return "Still writing" in json.dumps(blocks)


def slow_worker(record: Recorded) -> Reply:
    """ "playful" streams its copy over STREAM_S seconds; the others answer at once."""
    style = tag_text(record.prompt, "style")
    if style == "playful":
        text = f"<response>\n{SLOW_COPY}\n</response>"
        return Reply(text, tokens_per_s=len(tokens(text)) / STREAM_S)
    return Reply(f"<response>{style} copy</response>")


def reply_ts(slack: FakeSlack, heading: str) -> str:
    """The ts of the one threaded reply whose heading is `heading`."""
    (ts,) = [m.ts for m in slack.messages.values() if m.thread_ts and m.blocks[0]["text"]["text"] == heading]
    return ts


@LIVE
async def test_a_variation_streams_into_its_reply_which_becomes_the_final_one(bot: Bot) -> None:
    bot.llm.on(ORCHESTRATOR, plan_reply(("playful", "technical")))
    bot.llm.on(WORKER, slow_worker)
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()

    assert all(r.stream for r in bot.llm.requests_for(WORKER))
    ts = reply_ts(bot.slack, "1. playful")
    replies = [c for c in bot.slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert len(replies) == 2  # one reply per variation, whatever the number of texts
    (post,) = [c for c in replies if blocks_of(c)[0]["text"]["text"] == "1. playful"]
    updates = [c for c in bot.slack.calls_to("chat.update") if c.params["ts"] == ts]
    *partial, final = updates

    assert writing(blocks_of(post)) and not has_pick(blocks_of(post)) and copy_of(blocks_of(post))
    assert len(partial) >= 2  # about STREAM_S seconds of text at one update a second
    for call in partial:
        assert writing(blocks_of(call)) and not has_pick(blocks_of(call))
    shown = [copy_of(blocks_of(c)) for c in (post, *partial, final)]
    for before, after in pairwise(shown):
        assert after.startswith(before) and len(after) > len(before)
    assert shown[-1] == SLOW_COPY.strip()
    assert has_pick(blocks_of(final)) and not writing(blocks_of(final))
    assert min(b.at - a.at for a, b in pairwise([post, *partial])) >= 0.8  # 1 s apart when sent; arrival times jitter
    assert final.at - post.at >= STREAM_S - 0.5  # the final form came when the copy was done, not before

    for call in bot.slack.calls_to("chat.postMessage") + bot.slack.calls_to("chat.update"):
        sent = json.dumps(call.params)
        assert "<response" not in sent and "&lt;response" not in sent and "<!here>" not in sent
    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None and run.status == "done"
    stored = {v.position: v.slack_ts for v in detail.variations}
    assert stored == {1: ts, 2: reply_ts(bot.slack, "2. technical")}


async def test_without_live_text_each_variation_is_posted_once_and_workers_are_not_streamed(bot: Bot) -> None:
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()

    assert bot.llm.requests_for(WORKER) and not any(r.stream for r in bot.llm.requests_for(WORKER))
    assert all(r.stream for r in bot.llm.requests_for(ORCHESTRATOR))
    (parent,) = [m.ts for m in bot.slack.messages.values() if not m.thread_ts]
    replies = [c for c in bot.slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    assert len(replies) == 3 and all(has_pick(blocks_of(c)) and not writing(blocks_of(c)) for c in replies)
    assert {c.params["ts"] for c in bot.slack.calls_to("chat.update")} == {parent}
    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None
    assert {v.slack_ts for v in detail.variations} == {m.ts for m in bot.slack.thread("C1", parent)}


class Store:
    """The run service as the sink uses it (where the thread and each variation were posted), recorded."""

    def __init__(self) -> None:
        self.messages: dict[int, str] = {}
        self.delivered: list[int] = []

    async def attach_thread(self, run_id: int, channel: str, ts: str) -> None:
        pass

    async def thread_delivered(self, run_id: int) -> None:
        self.delivered.append(run_id)

    async def attach_message(self, run_id: int, position: int, ts: str) -> None:
        self.messages[position] = ts


async def respond(**message: Any) -> None:
    raise AssertionError(f"nothing should go to the requester here: {message}")


async def post_events(slack: FakeSlack, store: Store, events: list[Event | float]) -> None:
    """Feed `events` to a SlackThread on the fake Slack (a float waits that many seconds) and let it finish."""
    thread = SlackThread(
        AsyncWebClient(token=slack.bot_token, base_url=slack.api_url),
        store,
        respond,
        channel="C1",
        state=ParentState(user_id="U1", product="Eco water bottle"),
    )
    poster = asyncio.create_task(thread.run())
    for event in events:
        if isinstance(event, float):
            await asyncio.sleep(event)
        else:
            await thread.handle(7, event)
    thread.close()
    await poster


PLAYFUL = Subtask(1, "playful", "Write it playful.")


def done(text: str) -> VariationDone:
    call = LLMCall("worker", "worker", "0" * 64, "anthropic", WORKER, Usage(), 10, position=1)
    return VariationDone(Variation(PLAYFUL, text, False, call))


async def test_texts_faster_than_slack_updates_are_coalesced_never_queued(slack: FakeSlack) -> None:
    store = Store()
    burst: list[Event | float] = [VariationText(PLAYFUL, "word " * n) for n in range(1, 21)]
    paced: list[Event | float] = [x for n in range(21, 33) for x in (0.2, VariationText(PLAYFUL, "word " * n))]
    await post_events(slack, store, [AnalysisReady("x"), VariationStarted(PLAYFUL), *burst, *paced, done("word " * 40)])

    ts = store.messages[1]
    (post,) = [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts")]
    *partial, final = [c for c in slack.calls_to("chat.update") if c.params["ts"] == ts]
    assert copy_of(blocks_of(post)) == "word"
    assert 2 <= len(partial) <= 3  # 31 texts in 2.4 s, shown at most once a second: the latest one each time
    assert min(b.at - a.at for a, b in pairwise([post, *partial])) >= 0.8  # sent 1 s apart; arrivals jitter
    counts = [len(copy_of(blocks_of(c)).split()) for c in (post, *partial, final)]
    assert counts == sorted(set(counts)) and counts[1] >= 20 and counts[-1] == 40
    assert all(writing(blocks_of(c)) for c in partial) and has_pick(blocks_of(final))


async def test_long_live_text_is_cut_to_one_message_and_the_final_copy_is_split(slack: FakeSlack) -> None:
    paragraph = "Light as air & tough as nails. " * 40
    long_copy = "\n\n".join([paragraph] * 40)  # about 50,000 characters
    store = Store()
    events: list[Event | float] = [AnalysisReady("x"), VariationStarted(PLAYFUL)]
    events += [VariationText(PLAYFUL, long_copy[:20_000]), 1.1, VariationText(PLAYFUL, long_copy[:30_000]), 1.1]
    await post_events(slack, store, [*events, done(long_copy)])

    attempts = len(slack.calls_to("chat.postMessage") + slack.calls_to("chat.update"))
    assert attempts == len(slack.messages) + sum(m.updates for m in slack.messages.values())  # none refused
    ts = store.messages[1]
    live = [c for c in slack.calls_to("chat.update") if c.params["ts"] == ts]
    post = next(c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts"))
    assert "preview shows the beginning" in json.dumps(blocks_of(post))
    assert len(live) == 2 and "preview shows the beginning" in json.dumps(blocks_of(live[0]))
    assert long_copy[:30_000].split()[:100] == copy_of(blocks_of(live[0])).split()[:100]
    (parent,) = [m.ts for m in slack.messages.values() if not m.thread_ts]
    replies = slack.thread("C1", parent)
    assert len(replies) >= 3 and replies[0].ts == ts and has_pick(replies[0].blocks)
    assert " ".join(copy_of(r.blocks) for r in replies).split() == long_copy.split()


async def test_a_failed_variation_replaces_its_live_reply(slack: FakeSlack) -> None:
    store = Store()
    events: list[Event | float] = [AnalysisReady("x"), VariationStarted(PLAYFUL), VariationText(PLAYFUL, "Half a")]
    await post_events(slack, store, [*events, VariationFailed(PLAYFUL, "The model did not answer within 90 s.")])

    (parent,) = [m.ts for m in slack.messages.values() if not m.thread_ts]
    (reply,) = slack.thread("C1", parent)
    assert reply.updates == 1 and "could not be written" in reply.text and not writing(reply.blocks)
    assert store.messages == {}


async def test_a_run_that_breaks_off_does_not_leave_a_reply_still_writing(slack: FakeSlack) -> None:
    store = Store()
    events: list[Event | float] = [AnalysisReady("x"), VariationStarted(PLAYFUL), VariationText(PLAYFUL, "Half a")]
    await post_events(slack, store, [*events, RunFinished(RunStatus.FAILED, "Unexpected error: RuntimeError: boom")])

    (parent,) = [m.ts for m in slack.messages.values() if not m.thread_ts]
    (reply,) = slack.thread("C1", parent)
    assert reply.updates == 1 and "could not be written" in reply.text and "boom" in reply.text
    assert not writing(reply.blocks)
