"""Pure Block Kit builders and /copy parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import RequestError
from bot.slack.blocks import MESSAGE_BLOCK_LIMIT, Shown, not_in_channel_text, variation_messages
from bot.slack.parent import ParentState, parent_message
from bot.slack.parsing import Brief, Copy, Help, History, parse_command, unslack
from bot.slack.text import SECTION_LIMIT, escape, split_text
from bot.workflow.types import LLMCall, RunStatus, Subtask, Usage, Variation


def test_escape_neutralises_mentions_and_links() -> None:
    assert escape("<!channel> & <@U1> <http://x|y>") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;http://x|y&gt;"


@given(st.text(alphabet=st.sampled_from("ab &<>\n."), max_size=9_000))
def test_split_text_keeps_every_word_and_respects_the_limit(text: str) -> None:
    pieces = split_text(text, limit=700)
    assert all(0 < len(escape(p)) <= 700 for p in pieces)
    assert " ".join(pieces).split() == text.split()


def _variation(text: str) -> Variation:
    call = LLMCall("worker", "worker", "0" * 64, "anthropic", "m", Usage(), 1)
    return Variation(Subtask(1, "story-driven", "d"), text, False, call)


@pytest.mark.parametrize("size", [10, 3_500, 60_000, 200_000])
def test_variation_messages_stay_within_slack_limits(size: int) -> None:
    text = ("word " * (size // 5)).strip()
    variation = _variation(text)
    messages = variation_messages(Shown.of(variation))
    for message in messages:
        assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT and len(message.text) <= 40_000
        assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in message.blocks if b["type"] == "section")
    assert sum(b["type"] == "actions" for m in messages for b in m.blocks) == 1
    assert (len(messages) > 1) == (size > 12_000)


def test_parent_shows_progress_and_final_status() -> None:
    planned = (Subtask(1, "a", "x"), Subtask(2, "b", "y"))
    state = ParentState(user_id="U1", product="Kettle", planned=planned, plan_final=True, ready=1)
    assert "1/2 ready" in parent_message(state).text
    assert (
        "Done: 2/2" in parent_message(ParentState("U1", "Kettle", planned=planned, ready=2, status=RunStatus.DONE)).text
    )


def test_parse_copy_options() -> None:
    parsed = parse_command(
        "Eco bottle &amp; cap for: <@U1|ann>'s hikers; features: BPA-free, light;tone: playful variations: 2"
    )
    assert isinstance(parsed, Copy)
    request = parsed.request
    assert (request.product, request.audience, request.features) == (
        "Eco bottle & cap",
        "@ann's hikers",
        ("BPA-free", "light"),
    )
    assert (request.tone, request.max_variations) == ("playful", 2)


@pytest.mark.parametrize(
    "text", ["variations: 2", "Bottle tone: a tone: b", "Bottle variations: 0", "Bottle variations: six"]
)
def test_parse_rejects_malformed_options(text: str) -> None:
    with pytest.raises(RequestError):
        parse_command(text)


def test_parse_help_and_history() -> None:
    assert parse_command("") == Brief() and parse_command("help") == Help()
    assert parse_command("history") == History()
    assert parse_command("history 5 mine water bottle") == History(limit=5, mine=True, search="water bottle")
    assert parse_command("history 500").limit == 30  # type: ignore[union-attr]


def test_unslack_turns_links_back_into_text() -> None:
    assert unslack("see <https://x.example|our site> or <https://y.example> in <#C1|general>") == (
        "see our site or https://y.example in #general"
    )


def test_a_refused_channel_is_explained_by_why_it_refused() -> None:
    assert "/invite @copybot" in not_in_channel_text("C1", "not_in_channel")
    assert "/invite @copybot" in not_in_channel_text("C1", "channel_not_found")
    archived = not_in_channel_text("C1", "is_archived")
    assert "archived" in archived and "another channel" in archived and "/invite" not in archived
