"""Plan parsing: the seed's XML in every messy shape a model writes it, whole or streamed."""

from __future__ import annotations

import pytest

from bot.errors import PlanError
from bot.workflow.plan import PlanBuilder, PlanScanner, extract_response, parse_plan
from bot.workflow.types import Plan


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


SEED = """<analysis>
This task requires marketing copy for a water bottle.
</analysis>

<tasks>
    <task>
    <type>formal</type>
    <description>Write a precise, technical version that emphasizes specifications</description>
    </task>
    <task>
    <type>conversational</type>
    <description>Write an engaging, friendly version that connects with readers</description>
    </task>
</tasks>
"""
SEED_TASKS = [
    ("formal", "Write a precise, technical version that emphasizes specifications"),
    ("conversational", "Write an engaging, friendly version that connects with readers"),
]

# (id, reply, max_variations, expected [(type, description)], expected analysis)
CASES = [
    ("seed-format", SEED, 5, SEED_TASKS, "This task requires marketing copy for a water bottle."),
    (
        "one-line",
        "<analysis>A</analysis><tasks><task><type>a</type><description>Do a.</description></task>"
        "<task><type>b</type><description>Do b.</description></task></tasks>",
        5,
        [("a", "Do a."), ("b", "Do b.")],
        "A",
    ),
    (
        "multi-line-tags",
        "<task>\n<type>\n  story\n</type>\n<description>\n  Tell it\n  as a story.\n</description>\n</task>",
        5,
        [("story", "Tell it as a story.")],
        "",
    ),
    (
        "multi-line-description-no-stray-gt",
        "<tasks>\n  <task>\n    <type>technical</type>\n    <description>Lead with specs.\n"
        "    Keep it under 100 words.\n\n    End with the warranty.</description>\n  </task>\n</tasks>",
        5,
        [("technical", "Lead with specs. Keep it under 100 words. End with the warranty.")],
        "",
    ),
    (
        "extra-whitespace",
        "  <analysis>   lots   of   space  </analysis>\n\n\n<tasks>   <task>   <type>   playful   </type>"
        "   <description>   Be   fun.   </description>   </task>   </tasks>   ",
        5,
        [("playful", "Be fun.")],
        "lots of space",
    ),
    (
        "code-fence-xml",
        "```xml\n<analysis>Fenced.</analysis>\n<tasks>\n<task><type>a</type><description>x</description></task>\n"
        "</tasks>\n```",
        5,
        [("a", "x")],
        "Fenced.",
    ),
    (
        "code-fence-plain-with-preamble",
        "Here is my plan:\n```\n<tasks><task><type>a</type><description>x</description></task></tasks>\n```\nDone.",
        5,
        [("a", "x")],
        None,
    ),
    (
        "missing-type",
        "<tasks><task><description>First.</description></task><task><description>Second.</description></task></tasks>",
        5,
        [("approach-1", "First."), ("approach-2", "Second.")],
        "",
    ),
    (
        "missing-close-task-at-end",
        "<analysis>Cut.</analysis><tasks><task><type>a</type><description>x</description></task>"
        "<task><type>b</type><description>y is cut off mid",
        5,
        [("a", "x"), ("b", "y is cut off mid")],
        "Cut.",
    ),
    (
        "missing-close-tasks-and-analysis",
        "<analysis>No close\n<tasks><task><type>a</type><description>x</description></task>",
        5,
        [("a", "x")],
        "No close",
    ),
    (
        "tags-with-spaces-and-case",
        "< Analysis >Shouty</ANALYSIS ><TASKS>< task ><TYPE>Bold</ type ><Description>Loud.</ DESCRIPTION >"
        "</ Task ></tasks>",
        5,
        [("Bold", "Loud.")],
        "Shouty",
    ),
    (
        "entities-decoded",
        "<task><type>fun &amp; games</type><description>Use &lt;b&gt; sparingly &amp; say &quot;hi&quot;"
        "</description></task>",
        5,
        [("fun & games", 'Use <b> sparingly & say "hi"')],
        "",
    ),
    (
        "duplicate-types-first-wins",
        "<task><type>formal</type><description>First formal.</description></task>"
        "<task><type>Formal</type><description>Second formal.</description></task>"
        "<task><type>FORMAL </type><description>Third.</description></task>"
        "<task><type>casual</type><description>Casual.</description></task>",
        5,
        [("formal", "First formal."), ("casual", "Casual.")],
        "",
    ),
    (
        "duplicate-types-spelling-variants",
        "<task><type>story-driven</type><description>A.</description></task>"
        "<task><type>Story Driven</type><description>B.</description></task>"
        "<task><type>story_driven</type><description>C.</description></task>",
        5,
        [("story-driven", "A.")],
        "",
    ),
    (
        "capped-at-max-variations",
        "".join(f"<task><type>t{i}</type><description>d{i}</description></task>" for i in range(1, 8)),
        3,
        [("t1", "d1"), ("t2", "d2"), ("t3", "d3")],
        "",
    ),
    (
        "cap-counts-after-dedupe",
        "<task><type>a</type><description>1</description></task><task><type>a</type><description>2</description>"
        "</task><task><type>b</type><description>3</description></task>",
        2,
        [("a", "1"), ("b", "3")],
        "",
    ),
    (
        "no-tasks-wrapper",
        "<analysis>Loose.</analysis>\n<task><type>a</type><description>x</description></task>",
        5,
        [("a", "x")],
        "Loose.",
    ),
    (
        "pairs-without-task-tags",
        "<analysis>Pairs.</analysis>\n<type>a</type>\n<description>x</description>\n"
        "<type>b</type>\n<description>y</description>",
        5,
        [("a", "x"), ("b", "y")],
        "Pairs.",
    ),
    (
        "type-without-description-tag",
        "<task><type>minimal</type>Write three words.</task>",
        5,
        [("minimal", "Write three words.")],
        "",
    ),
    (
        "markdown-decorated-type",
        "<task><type>**premium**</type><description>Luxury.</description></task>",
        5,
        [("premium", "Luxury.")],
        "",
    ),
    (
        "inline-markup-in-description",
        "<task><type>a</type><description>Use a <b>bold</b> headline.</description></task>",
        5,
        [("a", "Use a bold headline.")],
        "",
    ),
    (
        "crlf-line-endings",
        "<analysis>\r\nWindows.\r\n</analysis>\r\n<tasks>\r\n<task>\r\n<type>a</type>\r\n"
        "<description>line one\r\nline two</description>\r\n</task>\r\n</tasks>\r\n",
        5,
        [("a", "line one line two")],
        "Windows.",
    ),
    (
        "empty-description-skipped",
        "<task><type>a</type><description>  </description></task><task><type>b</type><description>y</description>"
        "</task>",
        5,
        [("b", "y")],
        "",
    ),
    (
        "analysis-paragraphs-kept",
        "<analysis>\nFirst paragraph\ncontinues.\n\nSecond paragraph.\n</analysis>"
        "<tasks><task><type>a</type><description>x</description></task></tasks>",
        5,
        [("a", "x")],
        "First paragraph continues.\n\nSecond paragraph.",
    ),
    (
        "attributes-on-task-tags",
        '<tasks><task id="1"><type>a</type><description>x</description></task>'
        '<task id="2"><type>b</type><description>y</description></task></tasks>',
        5,
        [("a", "x"), ("b", "y")],
        "",
    ),
    (
        "overlong-type-cut",
        f"<task><type>{'very-' * 30}long</type><description>x</description></task>",
        5,
        [(("very-" * 12)[:60].strip("-"), "x")],
        "",
    ),
    (
        "attributes-on-some-tags",
        '<analysis id="x">A</analysis><tasks count="2"><task id="1"><type>a</type><description lang="en">Do a.'
        "</description></task><task><type>b</type><description>Do b.</description></task></tasks>",
        5,
        [("a", "Do a."), ("b", "Do b.")],
        "A",
    ),
]


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


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("<response>Buy it.</response>", "Buy it."),
        ("Sure! Here it is:\n<response>\n  Buy it.\n\nToday.\n</response>\nHope that helps.", "Buy it.\n\nToday."),
        ("No tags at all, just copy.", "No tags at all, just copy."),
        ("```\nFenced copy.\n```", "Fenced copy."),
        ("<response>Cut off at max tokens", "Cut off at max tokens"),
        ("< RESPONSE >Shout</ response >", "Shout"),
        ("<response></response>", ""),
        ("<response>  \n </response>", ""),
        ("", ""),
    ],
    ids=["tagged", "chatty", "untagged-whole", "fenced", "unclosed", "spaced-case", "empty", "blank", "nothing"],
)
def test_extract_response(reply: str, expected: str) -> None:
    assert extract_response(reply) == expected


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
