"""The GBNF grammars' shape (no model needed; test_local.py samples plans under them)."""

from __future__ import annotations

import re

import pytest

from bot.workflow.llm.grammar import (
    BODY_SENTENCE_CHARS,
    BODY_SENTENCES,
    HEADLINE_CHARS,
    MAX_TASKS,
    MIN_TASKS,
    STYLES,
    plan_grammar,
    response_grammar,
    response_max_tokens,
)


def rules(gbnf: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in gbnf.splitlines())


def test_every_rule_used_is_defined_and_every_style_has_one_task_rule() -> None:
    grammar = rules(plan_grammar())
    used = {name for body in grammar.values() for name in re.findall(r"\b([a-z]+\d*(?:c\d+)?)\b", _unquoted(body))}
    assert used <= set(grammar)
    tasks = [body for name, body in grammar.items() if name.startswith("task")]
    assert len(tasks) == len(STYLES)
    assert all(sum(f"<type>{style}</type>" in body for body in tasks) == 1 for style in STYLES)


def test_the_task_list_admits_min_to_max_tasks_in_the_given_order() -> None:
    grammar = rules(plan_grammar(["x", "y", "z"], min_tasks=2, max_tasks=2))
    assert grammar["s0c0"] == "task0 s1c1 | s1c0"  # x, or skip it
    assert grammar["s1c0"] == "task1 s2c1"  # y is needed now: two tasks from the three
    assert grammar["s2c2"] == '""' and grammar["s3c2"] == '""'  # two written: the list ends


def test_shuffled_styles_keep_their_own_leads() -> None:
    grammar = plan_grammar(["premium", "technical"], max_tasks=2)
    assert grammar.index("<type>premium</type>") < grammar.index("<type>technical</type>")
    assert f"<description>{STYLES['premium']} " in grammar


def test_impossible_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot plan"):
        plan_grammar(["only-one"], min_tasks=MIN_TASKS, max_tasks=MAX_TASKS)


def test_a_worker_reply_is_a_headline_then_a_body_of_whole_sentences() -> None:
    grammar = rules(response_grammar())
    assert grammar["root"] == '"<response>\\n" headline "\\n" body "\\n</response>"'
    assert grammar["headline"] == f"[^<>\\n ] [^<>\\n]{{{HEADLINE_CHARS[0] - 1},{HEADLINE_CHARS[1] - 1}}}"
    assert grammar["body"] == 'sentence (" " sentence){1,1}'  # two sentences
    assert grammar["sentence"] == f"[^<>\\n.!?]{{{BODY_SENTENCE_CHARS[0]},{BODY_SENTENCE_CHARS[1]}}} [.!?]"


def test_the_body_opens_with_the_lead_as_one_line_of_plain_text() -> None:
    assert rules(response_grammar(lead="Our kettle"))["body"].startswith('"Our kettle " sentence')
    hostile = rules(response_grammar(lead='Our "best" <b>kettle</b>\nnow'))["body"]
    assert hostile.startswith('"Our \\"best\\" b kettle /b now " sentence')  # no markup, no newline, quotes escaped


def test_max_tokens_cover_the_longest_reply_the_grammar_admits() -> None:
    lead = "Our kettle"
    longest = (
        len("<response>\n")
        + HEADLINE_CHARS[1]
        + 1
        + len(lead)
        + 1
        + BODY_SENTENCES[1] * (BODY_SENTENCE_CHARS[1] + 2)
        + len("\n</response>")
    )
    assert response_max_tokens(lead=lead) >= longest  # a token is at least one character


def _unquoted(body: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}', " ", body)


def test_a_formats_response_grammar_emits_each_field_tag_bounded_by_its_limit() -> None:
    grammar = response_grammar((("headline", 30), ("headline", 30), ("body", 2000)))
    assert grammar.startswith('root ::= "<response>\\n" "<headline>"')
    assert grammar.count('"<headline>"') == 2 and grammar.count('"</body>\\n"') == 1
    assert "{9,29}" in grammar  # a headline: at most its 30 characters (at least 10)
    assert "{11,399}" in grammar  # a long field: at most the offline cap of 400
    assert response_max_tokens((("headline", 30),)) > 30 // 2
