"""Plan parsing: the seed's XML in every messy shape a model writes it, whole or streamed."""

from __future__ import annotations

import pytest

from bot.errors import PlanError
from bot.workflow.plan import PlanBuilder, PlanScanner, parse_plan
from bot.workflow.types import Plan
from tests.workflow.plan_cases import CASES


def streamed_plan(chunks: list[str], max_variations: int, protected: tuple[str, ...] = ()) -> Plan:
    """What the workflow builds from a streamed reply: tasks as they close, then the rest at the end."""
    scanner = PlanScanner(protected)
    builder = PlanBuilder(max_variations)
    for chunk in chunks:
        for task in scanner.feed(chunk):
            builder.add(task)
    for task in scanner.finish():
        builder.add(task)
    return builder.build(scanner.analysis or "", "".join(chunks))


@pytest.mark.parametrize(
    ("reply", "max_variations", "expected", "analysis"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_messy_variants_parse(
    reply: str, max_variations: int, expected: list[tuple[str, str]], analysis: str | None
) -> None:
    plan = parse_plan(reply, max_variations)
    assert [(s.type, s.description) for s in plan.subtasks] == expected
    assert [s.position for s in plan.subtasks] == list(range(1, len(expected) + 1))
    if analysis is not None:
        assert plan.analysis == analysis


@pytest.mark.parametrize(("reply", "max_variations"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("size", [1, 3, 7])
def test_messy_variants_streamed_give_the_same_plan(reply: str, max_variations: int, size: int) -> None:
    """Fed a few characters at a time (every tag split across chunks), each variant parses as it does whole."""
    chunks = [reply[i : i + size] for i in range(0, len(reply), size)]
    assert streamed_plan(chunks, max_variations) == parse_plan(reply, max_variations)


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   \n  ",
        "I cannot help with that.",
        "<analysis>Only analysis.</analysis>",
        "<analysis>A</analysis><tasks></tasks>",
        "<tasks><task><type>a</type><description></description></task></tasks>",
        '{"tasks": [{"type": "a", "description": "json is not the format"}]}',
    ],
    ids=["empty", "blank", "refusal", "analysis-only", "empty-tasks", "empty-description", "json"],
)
def test_no_usable_task_raises_plan_error_with_raw(reply: str) -> None:
    with pytest.raises(PlanError) as caught:
        parse_plan(reply, 5)
    assert caught.value.raw == reply
    assert "no usable task" in str(caught.value)


def test_private_use_placeholder_characters_in_a_reply_do_not_crash() -> None:
    """The masker's own placeholder characters written by the model are kept as text."""
    plan = parse_plan("<task><type>a</type><description>\ue0000\ue001 and \ue0007\ue001</description></task>", 5)
    assert plan.subtasks[0].description == "\ue0000\ue001 and \ue0007\ue001"


def test_user_text_that_is_only_a_tag_does_not_break_the_plan() -> None:
    reply = "<analysis>A</analysis><tasks><task><type>a</type><description>Do a.</description></task></tasks>"
    plan = parse_plan(reply, 5, protected=("</task>", "<tasks>"))
    assert [(s.type, s.description) for s in plan.subtasks] == [("a", "Do a.")]


def test_an_untagged_analysis_is_known_as_soon_as_the_tasks_begin() -> None:
    scanner = PlanScanner()
    scanner.feed("I think the audience wants durability.\n\n")
    assert scanner.analysis is None  # it may go on
    scanner.feed("<tasks>\n<task><type>a</type>")
    assert scanner.analysis == "I think the audience wants durability."
    scanner.feed("<description>Do a.</description></task></tasks>")
    scanner.finish()
    assert scanner.analysis == "I think the audience wants durability."


def test_a_reply_without_tasks_tags_has_no_analysis_made_of_the_whole_reply() -> None:
    reply = "```\n<type>a</type><description>Do a.</description>\n```"
    plan = parse_plan(reply, 5)
    assert (plan.analysis, [s.type for s in plan.subtasks]) == ("", ["a"])
