"""Orchestrator replies in every messy shape a model writes them, with the plan each must give."""

from __future__ import annotations

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
