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

A worker's free copy is an ad: `response_grammar` admits a headline line, then
a body of two or three whole sentences (opening with the prompt's lead when it
has one, which keeps a small model on the product), inside the `<response>`
tags the worker prompts ask for, with no markup (a small model otherwise
echoes the prompt's tags) and of bounded length. With a format, it admits
exactly the format's field tags instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.workflow.quality import HEADLINE_MAX_CHARS

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
SENTENCE_CHARS = (10, 160)  # analysis: 1-2 sentences; a description: one sentence after its lead
ANALYSIS_SENTENCES = 2
PLAN_MAX_TOKENS = 640  # above the longest plan the grammar admits, so a constrained plan is never cut off
HEADLINE_CHARS = (8, HEADLINE_MAX_CHARS)
BODY_SENTENCES = (2, 2)
BODY_SENTENCE_CHARS = (15, 160)
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


def response_grammar(fields: Sequence[tuple[str, int]] = (), lead: str = "") -> str:
    """GBNF for a worker's reply: `<response>`, a headline line and a body of BODY_SENTENCES whole sentences (the
    first opening with `lead`), `</response>`; with a format's `fields` (tag, limit), exactly one tag per field
    instance, in order, each of at most its limit (and FIELD_CHARS_CAP) characters: offline copy meets the
    limits by construction."""
    if not fields:
        low, high = HEADLINE_CHARS
        short, long = BODY_SENTENCE_CHARS
        opening = f"{_literal(_plain(lead) + ' ')} " if _plain(lead) else ""
        return "\n".join(
            (
                'root ::= "<response>\\n" headline "\\n" body "\\n</response>"',
                f"headline ::= [^<>\\n ] [^<>\\n]{{{low - 1},{high - 1}}}",
                f'body ::= {opening}sentence (" " sentence){{{BODY_SENTENCES[0] - 1},{BODY_SENTENCES[1] - 1}}}',
                f"sentence ::= [^<>\\n.!?]{{{short},{long}}} [.!?]",
            )
        )
    parts = []
    for name, limit in fields:
        high = min(limit, FIELD_CHARS_CAP)
        low = max(1, min(high // 3, FIELD_MIN_CHARS))
        parts.append(f'"<{name}>" [^<>\\n ] [^<>\\n]{{{low - 1},{high - 1}}} "</{name}>\\n"')
    return 'root ::= "<response>\\n" ' + " ".join(parts) + ' "</response>"'


def _plain(text: str) -> str:
    """`text` as grammar-admitted copy: one line, no markup."""
    return " ".join(text.replace("<", " ").replace(">", " ").split())


def response_max_tokens(fields: Sequence[tuple[str, int]] = (), lead: str = "") -> int:
    """Above the longest reply `response_grammar(fields, lead)` admits (a token is at least one character)."""
    if not fields:
        return 32 + len(lead) + HEADLINE_CHARS[1] + BODY_SENTENCES[1] * (BODY_SENTENCE_CHARS[1] + 2)
    return sum(min(limit, FIELD_CHARS_CAP) + 2 * len(name) + 6 for name, limit in fields) // 2 + 32
