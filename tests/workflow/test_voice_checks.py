"""The terminology check over real HTTP: a reply against the brand voice is rewritten naming each violation,
together with a format's problems in one rewrite per round; what stays is shown, never silently edited."""

from __future__ import annotations

from bot.workflow import CopyRequest, VariationDone
from bot.workflow.formats import presets
from bot.workflow.voice import Voice
from tests.support.anthropic_api import FakeAnthropic, Recorded, tag_text
from tests.support.events import collect, finished, of
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.workflow.conftest import MakeWorkflow

VOICE = Voice("Warm, plain-spoken.", banned=("cheap",), required=("AquaFlask™",))


def rewrites(fake: FakeAnthropic) -> list[Recorded]:
    return [r for r in fake.requests_for(WORKER) if "<problems>" in r.prompt]


def problems(request: Recorded) -> list[str]:
    return tag_text(request.prompt, "problems").strip().splitlines()


async def test_a_banned_term_triggers_a_rewrite_naming_it_and_the_final_copy_lacks_it(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["playful", "technical"]))
    first = "<response>{style}: the cheap way to drink better from your Aquaflask.</response>"
    fixed = "<response>{style}: the smart way to drink better from your AquaFlask™.</response>"

    def reply(request: Recorded) -> str:
        return (fixed if "<problems>" in request.prompt else first).format(style=tag_text(request.prompt, "style"))

    fake.on(WORKER, reply)
    events = await collect(make_workflow(), CopyRequest("bottle", max_variations=2, voice=VOICE))

    assert [problems(r) for r in rewrites(fake)] == [
        ["- banned term 'cheap' used ('cheap')", "- write 'AquaFlask™', not 'Aquaflask'"]
    ] * 2
    assert "<brand_voice>" in fake.requests_for(WORKER)[0].prompt and "<brand_voice>" in fake.requests[0].prompt
    for done in of(events, VariationDone):
        assert "cheap" not in done.variation.text and "AquaFlask™" in done.variation.text
        assert done.variation.violations == () and done.variation.status == "done"


async def test_still_violating_after_two_rewrites_is_shown_with_its_violations(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["playful", "technical"]))
    fake.on(WORKER, lambda r: f"<response>{tag_text(r.prompt, 'style')}: cheap and cheerful.</response>")
    events = await collect(make_workflow(), CopyRequest("bottle", max_variations=2, voice=VOICE))

    for done in of(events, VariationDone):
        assert done.variation.violations == ("banned term 'cheap' used ('cheap')",)
        assert done.variation.text.endswith("cheap and cheerful.")  # never silently edited
    assert len(rewrites(fake)) == 4 and finished(events).status == "done"


async def test_format_and_voice_problems_go_into_one_rewrite_per_round(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["playful", "technical"]))
    long_and_cheap = "<response><text>{style}: " + "a cheap bottle " * 12 + "</text></response>"
    good = "<response><text>{style}: a bottle for life.</text></response>"

    def reply(request: Recorded) -> str:
        chosen = good if "<problems>" in request.prompt else long_and_cheap
        return chosen.format(style=tag_text(request.prompt, "style"))

    fake.on(WORKER, reply)
    request = CopyRequest("bottle", max_variations=2, voice=VOICE, format=presets()["sms"])
    events = await collect(make_workflow(), request)

    assert len(rewrites(fake)) == 2  # one rewrite for each variation: both problems in it
    for rewrite in rewrites(fake):
        length, term = problems(rewrite)
        assert length.startswith("- text: ") and length.endswith("characters, limit 160")
        assert term == "- banned term 'cheap' used ('cheap')"
    assert all(d.variation.status == "done" and not d.variation.violations for d in of(events, VariationDone))
