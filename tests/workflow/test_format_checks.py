"""Limits checked in code, over real HTTP: a reply that breaks its format gets targeted rewrites, at most two."""

from __future__ import annotations

from bot.workflow import CallRecorded, CopyRequest, VariationDone
from bot.workflow.formats import max_chars, presets
from tests.support.anthropic_api import FakeAnthropic, Recorded, tag_text
from tests.support.events import collect, finished, of
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.workflow.conftest import MakeWorkflow

ADS = presets()["google-ads"]
REQUEST = CopyRequest("eco-friendly water bottle", max_variations=2, format=ADS)
FITS = (
    "<response><headline>Cold for 24 hours</headline><headline>Plastic-free steel</headline>"
    "<headline>A bottle for life</headline><description>Double-wall steel keeps drinks cold all day.</description>"
    "<description>Lifetime warranty. Zero plastic.</description></response>"
)
TOO_LONG = FITS.replace("Cold for 24 hours", "Keeps every drink ice cold for a whole day")  # 42 characters


def rewrites(fake: FakeAnthropic) -> list[Recorded]:
    return [r for r in fake.requests_for(WORKER) if "<problems>" in r.prompt]


async def test_a_too_long_field_is_rewritten_naming_the_field_its_length_and_limit(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    fake.on(WORKER, lambda r: FITS if "<problems>" in r.prompt else TOO_LONG)
    events = await collect(make_workflow(), REQUEST)

    assert [tag_text(r.prompt, "problems").strip() for r in rewrites(fake)] == [
        "- headline 1: 42 characters, limit 30"
    ] * 2
    assert "Keeps every drink ice cold for a whole day" in tag_text(rewrites(fake)[0].prompt, "copy")
    for done in of(events, VariationDone):
        variation = done.variation
        assert variation.status == "done" and variation.over_limit == ()
        assert [(f.label, f.chars <= f.limit) for f in variation.fields] == [
            ("headline 1", True),
            ("headline 2", True),
            ("headline 3", True),
            ("description 1", True),
            ("description 2", True),
        ]
        assert variation.text.startswith("Cold for 24 hours\n\nPlastic-free steel")
    calls = [e.call for e in of(events, CallRecorded) if e.call.position == 1]
    assert [c.prompt_name for c in calls] == ["worker", "rewrite"]
    assert calls[0].error == "headline 1: 42 characters, limit 30; rewritten" and calls[1].error == ""
    assert finished(events).status == "done"


async def test_two_failed_rewrites_leave_the_variation_over_limit_never_cut(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    fake.on(WORKER, lambda r: TOO_LONG if tag_text(r.prompt, "style") == "technical" else FITS)
    events = await collect(make_workflow(), REQUEST)

    by_style = {d.variation.subtask.type: d.variation for d in of(events, VariationDone)}
    technical = by_style["technical"]
    assert technical.status == "over_limit" and technical.over_limit == ("headline 1: 42 characters, limit 30",)
    assert technical.fields[0].text == "Keeps every drink ice cold for a whole day"  # shown as written, marked
    assert by_style["lifestyle"].status == "done"
    assert len([r for r in rewrites(fake) if tag_text(r.prompt, "style") == "technical"]) == 2
    end = finished(events)
    assert (end.status, end.succeeded, end.over_limit, end.failed) == ("partial", 1, 1, 0)
    assert "1 of 2 variations is still over the format's limits." in end.error


async def test_missing_and_extra_fields_are_named_in_the_rewrite(
    fake: FakeAnthropic, make_workflow: MakeWorkflow
) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    first = FITS.replace("<description>Lifetime warranty. Zero plastic.</description>", "")
    first = first.replace("<headline>A bottle for life</headline>", "<headline>A</headline><headline>B</headline>" * 2)
    fake.on(WORKER, lambda r: FITS if "<problems>" in r.prompt else first)
    events = await collect(make_workflow(), CopyRequest("bottle", max_variations=2, format=ADS))

    assert tag_text(rewrites(fake)[0].prompt, "problems").strip().splitlines() == [
        "- headline: 6 given, 3 wanted",
        "- description 2: missing",
    ]
    assert all(d.variation.status == "done" for d in of(events, VariationDone))


async def test_max_chars_is_a_one_field_format(fake: FakeAnthropic, make_workflow: MakeWorkflow) -> None:
    fake.on(ORCHESTRATOR, plan_reply(["technical", "lifestyle"]))
    fake.on(WORKER, lambda r: f"<response><text>{tag_text(r.prompt, 'style')}, in short.</text></response>")
    events = await collect(make_workflow(), CopyRequest("bottle", max_variations=2, format=max_chars(20)))

    assert "text: at most 20 characters" in fake.requests_for(WORKER)[0].prompt
    assert sorted((d.variation.text, d.variation.fields[0].chars) for d in of(events, VariationDone)) == [
        ("lifestyle, in short.", 20),
        ("technical, in short.", 20),
    ]
    assert finished(events).status == "done" and rewrites(fake) == []
