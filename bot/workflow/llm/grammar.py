"""llama.cpp GBNF grammars for the local model: the plan format (DESIGN.md, "Plan format"), and a worker's form.

A 135M model neither follows the plan format nor invents sensible style
names on its own; sampled under `plan_grammar` it can do nothing else:

- an analysis, then 2-5 tasks, each a `<type>` and a one-line `<description>`;
- every type comes from STYLES, in the order given, so the styles of a plan
  are always distinct (the caller shuffles the order for variety);
- the analysis and each description start with a lead (`This product`, or
  one naming the style), which keeps a small model on the subject instead of
  echoing the prompt's instructions;
- free text excludes `<` and `>`, so the model cannot open a tag of its own,
  fields are whole sentences of bounded length, so a plan always closes well
  within PLAN_MAX_TOKENS and no description stops mid-sentence.

A worker's copy stays free text: `response_grammar` only wraps it in the
`<response>` tags the worker prompt asks for, keeps markup out (a small model
otherwise echoes the prompt's tags) and bounds its length.
"""

from __future__ import annotations

from collections.abc import Sequence

STYLES: dict[str, str] = {
    "technical": "Write technical copy that",
    "lifestyle": "Write lifestyle copy that",
    "benefit-led": "Write benefit-led copy that",
    "story-driven": "Write a short story that",
    "playful": "Write playful copy that",
    "premium": "Write premium copy that",
    "urgency": "Write urgent copy that",
    "social-proof": "Write copy quoting happy customers that",
}
MIN_TASKS = 2
MAX_TASKS = 5
SENTENCE_CHARS = (10, 200)  # analysis: 1-3 sentences; a description: one sentence after its lead
ANALYSIS_SENTENCES = 3
PLAN_MAX_TOKENS = 640  # above the longest plan the grammar admits, so a constrained plan is never cut off
RESPONSE_CHARS = (80, 1400)
RESPONSE_MAX_TOKENS = 450  # above the longest response the grammar admits (about 350 tokens)
FIELD_CHARS_CAP = 400  # a field's text offline: its limit, but never more (a small model is slow and loses the thread)
FIELD_MIN_CHARS = 12


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def plan_grammar(styles: Sequence[str] = tuple(STYLES), min_tasks: int = MIN_TASKS, max_tasks: int = MAX_TASKS) -> str:
    """GBNF admitting `<analysis>..</analysis><tasks><task><type>..</type><description>..</description></task>..`.

    Rule `s<i>c<n>` reads the rest of the task list when `n` tasks are written and the next style may be
    `styles[i]` or a later one: write a task in style i, or skip it.
    """
    if not 1 <= min_tasks <= max_tasks <= len(styles):
        raise ValueError(f"cannot plan {min_tasks}-{max_tasks} tasks from {len(styles)} styles")
    rules = [
        'root ::= "<analysis>\\nThis product " analysis "\\n</analysis>\\n<tasks>\\n" s0c0 "</tasks>"',
        f'analysis ::= sentence (" " sentence){{0,{ANALYSIS_SENTENCES - 1}}}',
        "description ::= sentence",
        f"sentence ::= [^<>\\n.!?]{{{SENTENCE_CHARS[0]},{SENTENCE_CHARS[1]}}} [.!?]",
    ]
    for i, style in enumerate(styles):
        lead = STYLES.get(style, f"Write {style} copy that")
        task = f"<task>\n<type>{style}</type>\n<description>{lead} "
        rules.append(f'task{i} ::= {_literal(task)} description "</description>\\n</task>\\n"')
    pending, seen = [(0, 0)], {(0, 0)}
    while pending:  # only the states a plan can reach, and none that cannot end with min_tasks tasks
        i, count = pending.pop()
        choices = []
        if count < max_tasks and i < len(styles):
            choices.append((f"task{i} s{i + 1}c{count + 1}", (i + 1, count + 1)))
        if count < max_tasks and i < len(styles) and len(styles) - (i + 1) >= min_tasks - count:
            choices.append((f"s{i + 1}c{count}", (i + 1, count)))
        for _, state in choices:
            if state not in seen:
                seen.add(state)
                pending.append(state)
        body = " | ".join(text for text, _ in choices)
        if count >= min_tasks:
            body = f"({body})?" if body else '""'
        rules.append(f"s{i}c{count} ::= {body}")
    return "\n".join(rules)


def response_grammar(fields: Sequence[tuple[str, int]] = ()) -> str:
    """GBNF for a worker's reply: `<response>` free text (no markup, 80-1,400 characters) `</response>`; with a
    format's `fields` (tag, limit), exactly one tag per field instance, in order, each of at most its limit
    (and FIELD_CHARS_CAP) characters: offline copy meets the limits by construction."""
    if not fields:
        low, high = RESPONSE_CHARS
        return f'root ::= "<response>\\n" [^<>\\n] [^<>]{{{low - 1},{high - 1}}} "\\n</response>"'
    parts = []
    for name, limit in fields:
        high = min(limit, FIELD_CHARS_CAP)
        low = max(1, min(high // 3, FIELD_MIN_CHARS))
        parts.append(f'"<{name}>" [^<>\\n ] [^<>\\n]{{{low - 1},{high - 1}}} "</{name}>\\n"')
    return 'root ::= "<response>\\n" ' + " ".join(parts) + ' "</response>"'


def response_max_tokens(fields: Sequence[tuple[str, int]] = ()) -> int:
    """Above the longest reply `response_grammar(fields)` admits (a token is at least one character)."""
    if not fields:
        return RESPONSE_MAX_TOKENS
    return sum(min(limit, FIELD_CHARS_CAP) + 2 * len(name) + 6 for name, limit in fields) // 2 + 32
