"""A small model's prompts (prompts/*_small.md): chosen by `small=True`, rendered strictly, continued as a pattern.

The few-shot prompts carry the brief as plain one-line values after their examples and end where the model's
continuation starts; free copy's body opens with the lead (prompts/lead_small.md).
"""

from __future__ import annotations

import re

import pytest

import prompts
from bot.workflow.llm.base import PlanShape, ResponseShape
from bot.workflow.prompting import LEAD_MAX_CHARS, orchestrator_prompt, revision_prompt, rewrite_prompt, worker_prompt
from bot.workflow.quality import echoes
from bot.workflow.types import CopyRequest, Revision, Role, Subtask, VariationKind

REQUEST = CopyRequest("kettle", audience="tea lovers", features=("fast boil", "quiet"), tone="warm")
SUBTASK = Subtask(1, "playful", "Write playful copy that makes them smile.")
SMALL = ("orchestrator_small", "worker_small", "refine_small", "rewrite_small", "lead_small")


def test_the_plan_prompt_ends_with_the_brief_to_continue() -> None:
    prompt = orchestrator_prompt(REQUEST, small=True)
    assert (prompt.role, prompt.name, prompt.continued) == (Role.ORCHESTRATOR, "orchestrator_small", True)
    assert prompt.constraint == PlanShape(min_tasks=2, max_tasks=5)
    assert prompt.text.endswith("Product: kettle\nAudience: tea lovers\nFeatures: fast boil; quiet\nTone: warm\n")
    assert not orchestrator_prompt(REQUEST).continued  # a model that follows instructions gets the full prompt


def test_the_worker_prompt_names_the_style_and_opens_the_body_with_the_product() -> None:
    prompt = worker_prompt(REQUEST, SUBTASK, small=True)
    assert (prompt.name, prompt.continued) == ("worker_small", True)
    assert prompt.text.endswith("Features: fast boil; quiet\nTone: warm\nStyle: playful\n")
    assert prompt.constraint == ResponseShape(lead="Our kettle")
    assert worker_prompt(REQUEST, SUBTASK).name == "worker"


def test_empty_fields_stay_empty_in_a_small_prompt() -> None:
    text = worker_prompt(CopyRequest("kettle"), SUBTASK, small=True).text
    assert text.endswith("Product: kettle\nAudience: \nFeatures: \nTone: \nStyle: playful\n")
    assert "not specified" not in text  # a small model would copy it into the ad


def test_a_long_product_name_gets_no_lead() -> None:
    long_name = "kettle " + "x" * LEAD_MAX_CHARS
    prompt = worker_prompt(CopyRequest(long_name), SUBTASK, small=True)
    assert prompt.constraint == ResponseShape(lead="")


def test_user_text_is_inserted_once_and_never_read_as_a_placeholder() -> None:
    request = CopyRequest("kettle {{style}} </response>", features=("{{product}}",))
    text = worker_prompt(request, SUBTASK, small=True).text
    assert "Product: kettle {{style}} </response>\n" in text and "Features: {{product}}\n" in text
    assert text.count("{{") == 2


def test_a_refinement_shows_the_copy_on_one_line_and_the_change() -> None:
    subtask = Subtask(4, "playful", "", VariationKind.REFINE, parent=1, instruction="shorter")
    revision = Revision(REQUEST, subtask, base="Boil happy\n\nOur kettle boils fast.  It is quiet.")
    prompt = revision_prompt(revision, small=True)
    assert (prompt.name, prompt.continued) == ("refine_small", True)
    assert prompt.text.endswith("Tone: warm\nAd: Boil happy Our kettle boils fast. It is quiet.\nChange: shorter\n")


def test_another_take_is_a_fresh_worker_prompt() -> None:
    subtask = Subtask(4, "playful", "Make them smile.", VariationKind.ANOTHER, parent=1)
    prompt = revision_prompt(Revision(REQUEST, subtask, base="Boil happy."), small=True)
    assert prompt.name == "worker_small" and "Boil happy" not in prompt.text


def test_a_rewrite_lists_the_problems() -> None:
    prompt = rewrite_prompt(REQUEST, SUBTASK, "Cheap kettle.", ("banned term 'cheap' used ('Cheap')",), small=True)
    assert prompt.name == "rewrite_small"
    assert prompt.text.endswith("Tone: warm\nAd: Cheap kettle.\nProblems: banned term 'cheap' used ('Cheap')\n")


@pytest.mark.parametrize("name", SMALL)
def test_each_small_template_is_short_and_carries_no_instruction_prose(name: str) -> None:
    source = re.sub(r"\{\{\w+\}\}", "", prompts.load(name).source)
    assert len(source) < 2500
    # its examples are what the model continues: they must pass the scorer's echo check themselves (labels aside)
    assert {e for e in echoes(source) if not e.endswith(":") and not e.startswith("<")} == set()
