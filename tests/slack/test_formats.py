"""Formats in Slack, over real HTTP: `format:` in /copy, fields shown with their counts, the brief form and the
"Write copy from this message" shortcut."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from tests.slack.conftest import Bot
from tests.support.anthropic_api import Recorded, tag_text
from tests.support.plans import WORKER


def ads(request: Recorded) -> str:
    style = tag_text(request.prompt, "style")
    first = "A bottle that goes wherever you go, always" if style == "technical" else f"{style.title()} bottle"
    return (
        f"<response><headline>{first}</headline><headline>Cold 24 hours</headline><headline>No plastic</headline>"
        f"<description>{style}: steel that keeps water cold.</description>"
        "<description>Lifetime warranty &amp; free returns.</description></response>"
    )


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


async def test_a_format_in_copy_shows_each_field_with_its_count_and_marks_what_is_over(bot: Bot) -> None:
    bot.llm.on(WORKER, ads)
    answer = await bot.send.command("Eco bottle format: google-ads variations: 2")
    assert answer.status == 200
    await bot.tasks.join()
    (parent,) = [m for m in bot.slack.messages.values() if not m.thread_ts]
    assert "*Format:* google-ads" in json.dumps(parent.blocks)
    assert "Partly done: 1 ready, 1 still over the format's limits, 0 failed." in parent.text
    replies = {m.blocks[0]["text"]["text"]: m for m in bot.slack.thread("C1", parent.ts)}
    playful = section_texts(replies["1. playful"].blocks)
    assert playful[0] == "*Headline 1* · 14/30\nPlayful bottle"
    assert playful[4] == "*Description 2* · 33/90\nLifetime warranty &amp; free returns."
    technical = replies["2. technical"].blocks
    assert section_texts(technical)[0] == "*Headline 1* · 42/30 :warning:\nA bottle that goes wherever you go, always"
    assert "Still not within the format after the rewrites: headline 1: 42 characters, limit 30" in json.dumps(
        technical
    )
    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None and detail.format is not None and detail.format.name == "google-ads"
    assert [v.status for v in detail.variations] == ["done", "over_limit"]


async def test_an_unknown_format_is_answered_at_once_listing_the_known_ones(bot: Bot) -> None:
    answer = await bot.send.command("Eco bottle format: banner")
    assert "There is no format 'banner'" in answer.body["text"] and "google-ads" in answer.body["text"]
    answer = await bot.send.command("Eco bottle max_chars: ²⁸⁰")
    assert "is not a number" in answer.body["text"]
    await bot.tasks.join()
    assert bot.llm.requests == []


def submission(values: dict[str, Any], metadata: str, *, user: str = "U2") -> dict[str, Any]:
    """A view_submission of the brief form, as Slack posts it."""
    state = {
        block: {"value": {"type": "plain_text_input", "value": value}}
        if block not in ("format", "variations")
        else {"value": {"type": "static_select", "selected_option": {"value": value}}}
        for block, value in values.items()
    }
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": "bob", "name": "bob", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "trigger.9",
        "view": {"id": "V1", "type": "modal", "callback_id": "copybot_brief", "private_metadata": metadata,
                 "state": {"values": state}},
    }  # fmt: skip


async def opened_form(bot: Bot, channel: str = "C7") -> dict[str, Any]:
    assert (await bot.send.command("", channel_id=channel)).status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.views) == 1)
    return bot.slack.views[0]


async def test_copy_alone_opens_the_brief_form_with_the_commands_trigger(bot: Bot) -> None:
    view = await opened_form(bot)
    (call,) = bot.slack.calls_to("views.open")
    assert call.params["trigger_id"].startswith("trigger.")
    assert [b["block_id"] for b in view["blocks"]] == [
        "product",
        "audience",
        "features",
        "tone",
        "format",
        "variations",
    ]
    formats = [o["value"] for o in view["blocks"][4]["element"]["options"]]
    assert formats[0] == "free" and {"google-ads", "tweet", "app-store"} <= set(formats)
    assert json.loads(view["private_metadata"])["channel_id"] == "C7"


async def test_a_submission_with_errors_gets_them_inline_and_nothing_runs(bot: Bot) -> None:
    view = await opened_form(bot)
    values = {"product": "", "audience": "a" * 301, "features": "", "tone": "", "format": "free", "variations": "9"}
    answer = await bot.send.action(submission(values, view["private_metadata"]))
    assert answer.status == 200
    assert answer.body["response_action"] == "errors"
    assert set(answer.body["errors"]) == {"product", "audience", "variations"}
    assert "The product is empty" in answer.body["errors"]["product"]
    await bot.tasks.join()
    assert bot.llm.requests == []


async def test_a_good_submission_runs_in_the_channel_the_form_came_from(bot: Bot) -> None:
    bot.llm.on(WORKER, ads)
    view = await opened_form(bot, channel="C7")
    values = {"product": "Eco bottle", "audience": "hikers", "features": "steel\n\nplastic-free", "tone": "",
              "format": "google-ads", "variations": "2"}  # fmt: skip
    answer = await bot.send.action(submission(values, view["private_metadata"]))
    assert answer.status == 200 and answer.body in ({}, {"text": ""})
    await bot.tasks.join()
    (parent,) = [m for m in bot.slack.messages.values() if not m.thread_ts]
    assert parent.channel == "C7" and "<@U2> asked for copy" in json.dumps(parent.blocks)
    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None and detail.features == ("steel", "plastic-free") and detail.format is not None


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose text layer says `text`."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=100)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})  # fmt: skip
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


async def test_the_message_shortcut_prefills_the_form_with_the_message_and_its_files(bot: Bot) -> None:
    notes = bot.slack.add_file("notes.md", b"# Launch\nKeeps drinks cold for 24 hours.", "text/markdown")
    brochure = bot.slack.add_file("brochure.pdf", pdf_with_text("Lifetime warranty on every bottle"), "application/pdf")
    image = bot.slack.add_file("photo.png", b"\x89PNG....", "image/png")
    payload = {
        "type": "message_action",
        "callback_id": "copybot_from_message",
        "trigger_id": "trigger.42",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U2", "name": "bob"},
        "channel": {"id": "C9", "name": "launch"},
        "message": {"type": "message", "user": "U3", "ts": "1.5", "text": "Our new *AquaFlask* bottle",
                    "files": [notes, brochure, image]},
        "response_url": bot.slack.response_url("shortcut"),
    }  # fmt: skip
    assert (await bot.send.action(payload)).status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.views) == 1)
    product = bot.slack.views[0]["blocks"][0]["element"]["initial_value"]
    assert product.startswith("Our new *AquaFlask* bottle")
    assert "Keeps drinks cold for 24 hours." in product and "Lifetime warranty on every bottle" in product
    assert json.loads(bot.slack.views[0]["private_metadata"])["channel_id"] == "C9"


async def test_the_new_brief_button_in_help_opens_the_form_for_that_channel(bot: Bot) -> None:
    help_answer = await bot.send.command("help", channel_id="C5")
    (button,) = [e for b in help_answer.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U2", "name": "bob", "team_id": "T1"},
        "trigger_id": "trigger.77",
        "channel": {"id": "C5", "name": "marketing"},
        "container": {"type": "message", "channel_id": "C5", "is_ephemeral": True},
        "response_url": bot.slack.response_url("help"),
        "actions": [{"action_id": button["action_id"], "type": "button", "action_ts": "1.1"}],
    }
    assert (await bot.send.action(payload)).status == 200
    await bot.slack.wait_for(lambda: len(bot.slack.views) == 1)
    assert bot.slack.calls_to("views.open")[0].params["trigger_id"] == "trigger.77"
    assert json.loads(bot.slack.views[0]["private_metadata"])["channel_id"] == "C5"
