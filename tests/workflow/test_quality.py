"""The small-model copy scorer (bot/workflow/quality.py) on hand-written good and bad copy."""

from __future__ import annotations

import pytest

import prompts
from bot.workflow.quality import echoes, judge, loops, names_subject, score, similarity

GOOD = (
    "Ten miles, zero blisters\n\n"
    "Our hiking boots are broken in before you are: soft leather, a cushioned heel and laces that stay tied. "
    "Pack light, walk far, and come home ready for the next trail."
)
# What the bundled model wrote before issue 15, quoted in the issue.
ECHOED = (
    "This piece of writing will be submitted to the user's personal email address, and their response can contain "
    "a title, body paragraphs with your detailed information about the product being copied and delivered. The "
    "content should adhere strictly adhering to the specifications provided in this document."
)


def test_a_real_ad_passes_every_criterion() -> None:
    verdict = judge(GOOD, "hiking boots")
    assert verdict.passes and verdict.problems == ()
    assert verdict.names and verdict.echoes == () and not verdict.loop and 12 <= verdict.words <= 120


def test_the_prompt_read_back_fails_on_its_meta_words() -> None:
    verdict = judge(ECHOED, "eco-friendly water bottle")
    assert not verdict.passes
    assert {"the user", "this document"} <= set(verdict.echoes)
    assert "does not name the product" in verdict.problems


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("3. A short kebab-case name for the angle is designed to sell.", "kebab-case"),
        ("Follow the guidelines and keep it under 250 words.", "250 words"),
        ("As a copywriter I love this bottle.", "copywriter"),
        ("<response>Buy the bottle</response>", "<response>"),
        ("Headline: Drink better\nBody: a bottle.", "headline:"),
        ("Style: playful. The bottle is fun.", "style:"),
        ("Great bottle. Ad: buy it now.", "ad:"),
    ],
)
def test_each_kind_of_echo_is_named(text: str, found: str) -> None:
    assert found in echoes(text)


def test_words_that_merely_contain_a_label_or_a_term_are_not_echoes() -> None:
    assert echoes("Our road-ready style: bold. Add it to your bag, headlines or not.") == ()
    assert echoes("It helps the users learn; the copycat brands cannot keep up.") == ()


def test_a_loop_is_a_four_word_run_repeated_three_times() -> None:
    assert loops("buy it now today " * 3)
    assert not loops("buy it now today and buy it now today, please")
    assert judge("keep it cold all day " * 4, "bottle").loop


@pytest.mark.parametrize(("count", "ok"), [(11, False), (12, True), (120, True), (121, False)])
def test_length_bounds_are_12_to_120_words(count: int, ok: bool) -> None:
    text = "Bottle " + " ".join(f"word{i}" for i in range(count - 1))
    assert judge(text, "bottle").length_ok is ok


def test_the_product_is_named_by_a_word_of_its_name_or_a_feature() -> None:
    assert names_subject("Fill these bottles anywhere.", "eco-friendly water bottle")
    assert names_subject("Thirty hours of music on one charge.", "headphones", ["30-hour battery", "music"])
    assert not names_subject("Fresh air for your weekend.", "eco-friendly water bottle")
    assert not names_subject("The best of the new for you.", "the new thing for you")  # stop words never count


@pytest.mark.parametrize(
    ("headline", "whole"),
    [
        ("Ten miles, zero blisters", True),
        ("Fewer no-shows, fuller days.", True),
        ("Your business will never be too busy to keep up with your eB", False),  # at the grammar's cap
        ("We are proud of our community, so we give you a gift to", False),  # ends on "to"
        ("Own every trail with", False),
        ("I love to be surrounded by sounds,", False),
        ("We love you", True),
        ("Project management is a game of skill, with every task that\u2019", False),
    ],
)
def test_a_headline_cut_off_mid_phrase_is_noticed(headline: str, whole: bool) -> None:
    text = f"{headline}\n\nOur hiking boots keep your feet dry on every trail, all weekend long."
    assert judge(text, "hiking boots").whole is whole
    assert ("cut off mid-phrase" in judge(text, "hiking boots").problems) is not whole


@pytest.mark.parametrize(
    "body",
    [
        "Our hiking boots fit. Choose from our team of environmentally conscious eco-!",
        "Our hiking boots keep you dry and they keep you on the.",
    ],
)
def test_a_sentence_cut_off_at_its_cap_is_noticed(body: str) -> None:
    assert not judge(f"Dry feet\n{body}", "hiking boots").whole


def test_copy_reusing_an_example_ad_of_the_small_prompts_is_noticed() -> None:
    example = prompts.load("worker_small").source.split("<response>\n")[1].split("\n</response>")[0]
    assert judge(example, "hiking boots").copied
    borrowed = "Brewed fresh\n\nOur cold brew has five free slots left this month, so order now and enjoy."
    assert judge(borrowed, "cold brew").problems == ("copies an example ad",)
    assert not judge(GOOD, "hiking boots").copied


def test_similarity_is_the_jaccard_index_of_word_sets() -> None:
    assert similarity("a b c", "c b a") == 1.0
    assert similarity("a b", "c d") == 0.0
    assert similarity("a b c d", "a b") == 0.5
    assert similarity("", "a") == 0.0


def test_score_prefers_passing_then_distinct_copy() -> None:
    bad = judge(ECHOED, "hiking boots")
    good = judge(GOOD, "hiking boots")
    assert score(good, GOOD) > score(bad, ECHOED)
    other = (
        "Built for the long way round\n\nOur hiking boots pair waterproof leather with a sole that grips wet rock. "
        "Walk further, rest easier, and come home with dry socks."
    )
    # the same copy again is not distinct from what the run already has: a new one wins
    assert score(judge(other, "hiking boots"), other, [GOOD]) > score(good, GOOD, [GOOD])
