"""Hostile and broken requests to POST /slack/events, over real HTTP: each gets a 4xx (or a harmless 200), never a
500; nothing is stored or run for it; the log holds no traceback and at most a short, rate-limited WARNING line."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest

from tests.slack.conftest import Bot
from tests.slack.test_favourites import reaction, votes
from tests.support.plans import ORCHESTRATOR
from tests.support.slack_api import Message

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ARABIC = "\u0661\u0667\u0660\u0660"  # 1700 in Arabic-Indic digits: str.isdigit() and int() take them


@pytest.fixture(autouse=True)
def _log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback, no ERROR, and no line over 300 characters in the log."""
    assert "Traceback" not in caplog.text
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert all(len(r.getMessage()) <= 300 for r in caplog.records), caplog.text


async def assert_nothing_happened(bot: Bot) -> None:
    await bot.tasks.join()
    assert bot.llm.requests == []
    assert bot.slack.calls_to("chat.postMessage") == []
    assert (await bot.repository.recent_runs(None)).runs == ()


UNSIGNED: list[tuple[str, bytes, dict[str, str]]] = [
    ("invalid JSON", b'{"type": "event_callback", ', {"Content-Type": JSON}),
    ("invalid UTF-8", b"command=%2Fcopy&text=\xff\xfe\xfd", {"Content-Type": FORM}),
    ("a non-numeric timestamp", b"command=%2Fcopy&text=x", {"Content-Type": FORM, "X-Slack-Request-Timestamp": "soon"}),
    ("a timestamp in other digits", b"command=%2Fcopy", {"Content-Type": FORM, "X-Slack-Request-Timestamp": ARABIC}),
    ("no signature headers at all", b"command=%2Fcopy&text=Bottle", {"Content-Type": FORM}),
    ("a JSON array", b"[1, 2, 3]", {"Content-Type": JSON}),
    ("an empty body", b"", {"Content-Type": JSON}),
]


@pytest.mark.parametrize(("what", "body", "headers"), UNSIGNED, ids=[u[0] for u in UNSIGNED])
async def test_unsigned_garbage_is_refused_with_401(
    bot: Bot, caplog: pytest.LogCaptureFixture, what: str, body: bytes, headers: dict[str, str]
) -> None:
    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64, **headers}
    answer = await bot.send.raw(body, headers)
    assert answer.status == 401, what
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


SIGNED_MALFORMED: list[tuple[str, bytes, str]] = [
    ("invalid JSON", b'{"type": "event_callback", "event": ', JSON),
    ("invalid UTF-8", b"command=%2Fcopy&text=\xff\xfe", FORM),
    ("invalid UTF-8 in JSON", b'{"type": "\xff"}', JSON),
    ("a JSON array", b"[1, 2, 3]", JSON),
    ("JSON null", b"null", JSON),
    ("an interactivity payload that is not JSON", b"payload=%7Bnot+json", FORM),
    ("an interactivity payload that is a list", b"payload=%5B1%5D", FORM),
]


@pytest.mark.parametrize(("what", "body", "content_type"), SIGNED_MALFORMED, ids=[s[0] for s in SIGNED_MALFORMED])
async def test_signed_but_malformed_bodies_are_refused_with_400(
    bot: Bot, caplog: pytest.LogCaptureFixture, what: str, body: bytes, content_type: str
) -> None:
    answer = await bot.send.post(body, content_type)
    assert answer.status == 400, what
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


async def test_a_timestamp_that_is_not_a_number_is_refused_even_when_signed(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    for timestamp in ("soon", "1e9", "²", "-1", " 1700000000", ""):
        answer = await bot.send.post(bot.send.command_body("Bottle"), FORM, timestamp=timestamp)
        assert answer.status == 401, timestamp
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


async def test_sixty_unsigned_requests_log_one_short_warning(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    bodies = [b'{"broken', b"\xff\xfe", b"command=%2Fcopy&text=x"]
    answers = await asyncio.gather(
        *(bot.send.raw(bodies[i % 3], {"Content-Type": JSON, "X-Slack-Request-Timestamp": "x"}) for i in range(60))
    )
    assert {a.status for a in answers} == {401}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(warnings) <= 3 and len(caplog.text) < 1_000, caplog.text
    assert_quiet(caplog)


async def test_a_body_over_one_megabyte_is_refused_with_413(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    answer = await bot.send.post(b"x" * (1024**2 + 1), FORM)
    assert answer.status == 413
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


async def test_a_client_dropping_mid_upload_logs_no_traceback(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    host, port = bot.url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-Slack-Request-Timestamp: 1\r\nX-Slack-Signature: v0=00\r\nContent-Length: 5000\r\n\r\n" + b"{" * 100
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.3)
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


async def _closed_within(bot: Bot, request: bytes, seconds: float) -> bytes:
    host, port = bot.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(seconds):
            return await reader.read()  # b"" or a response, then EOF: the server closed the connection
    finally:
        writer.close()


@pytest.mark.parametrize("bot_env", [{"COPYBOT_HTTP_TIMEOUT": "0.5"}])
async def test_connections_idle_past_the_header_or_body_timeout_are_closed(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    assert await _closed_within(bot, b"POST /slack/events HTTP/1.1\r\nHost: x\r\n", 3) == b""  # headers never end
    stamp = str(int(time.time())).encode()
    half_body = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Request-Timestamp: %s\r\nContent-Length: 100\r\n\r\n{"
        % stamp
    )
    answer = await _closed_within(bot, half_body, 3)  # the body never ends
    assert answer.startswith(b"HTTP/1.1 408")
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


async def test_unicode_digits_get_the_usual_clear_message(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    answer = await bot.send.command("Bottle variations: ²")
    assert answer.status == 200 and "is not a number from 1 to 5" in answer.body["text"]
    answer = await bot.send.command("Bottle variations: \u0663")  # an Arabic-Indic 3: int() would take it
    assert answer.status == 200 and "is not a number from 1 to 5" in answer.body["text"]
    answer = await bot.send.command("history ²")
    assert answer.status == 200 and "No copy runs yet" in answer.body["text"]
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


def _event(**changes: Any) -> dict[str, Any]:
    event = reaction("reaction_added", "1700000000.000002")
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


async def test_events_with_missing_or_wrong_fields_are_ignored_without_a_vote(
    bot: Bot, thread: tuple[int, str, list[Message]], caplog: pytest.LogCaptureFixture
) -> None:
    run_id, _, replies = thread
    target = {"type": "message", "channel": "C1", "ts": replies[0].ts}
    broken = [
        _event(item="C1/1700000000.000002"),  # item a string
        _event(item=target, user=None),  # no user
        _event(item=target, user=""),
        _event(item=target, user=["U2"]),
        _event(item=target, reaction=None),
        _event(item={"type": "message", "channel": "C1"}),  # no ts
        _event(item={"type": "message", "channel": 7, "ts": replies[0].ts}),
        "reaction_added",  # the event itself a string
        None,
    ]
    for i, event in enumerate(broken):
        answer = await bot.send.event(event, event_id=f"EvBad{i}")
        assert answer.status in (200, 400, 404), event  # 404: Bolt's "no listener", for an event without a type
    no_team = await bot.send.event(_event(item=target), event_id="EvNoTeam", team_id=None)
    assert no_team.status == 200
    assert await votes(bot.repository, run_id) == {}
    assert_quiet(caplog)


async def test_an_action_with_missing_fields_is_answered_without_a_vote(
    bot: Bot, thread: tuple[int, str, list[Message]], caplog: pytest.LogCaptureFixture
) -> None:
    run_id, _, _ = thread
    payload = {
        "type": "block_actions",
        "user": "U2",  # a string, not an object
        "container": "C1",
        "team": None,
        "actions": [{"action_id": "copybot_pick", "block_id": "b", "type": "button", "value": "1"}],
        "response_url": bot.slack.response_url("pick"),
        "trigger_id": "trigger.9",
    }
    assert (await bot.send.action(payload)).status == 400  # Slack never sends a container that is not an object
    payload["container"] = {"channel_id": "C1"}  # no message_ts, no team
    assert (await bot.send.action(payload)).status == 200
    await bot.tasks.join()
    assert "not in copybot's records" in bot.slack.responses["pick"][0]["text"]
    assert await votes(bot.repository, run_id) == {}
    assert_quiet(caplog)


async def test_json_bodies_that_are_not_events_are_answered_without_a_500(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    for body in ({}, {"type": 7}, {"type": "event_callback"}, {"type": "event_callback", "event": [1]}):
        answer = await bot.send.post(json.dumps(body), JSON)
        assert answer.status in (200, 400, 404), body
    await assert_nothing_happened(bot)
    assert_quiet(caplog)


async def test_a_replayed_copy_command_runs_once(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    body = bot.send.command_body("Eco water bottle")  # one signed body, sent 3 times within Slack's 5 minutes
    answers = [await bot.send.post(body, FORM) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert "Writing copy" in answers[0].body["text"]
    assert all("already received" in a.body["text"] for a in answers[1:])
    await bot.tasks.join()
    assert len(bot.llm.requests_for(ORCHESTRATOR)) == 1
    assert len([m for m in bot.slack.messages.values() if not m.thread_ts]) == 1
    assert len((await bot.repository.recent_runs("T1")).runs) == 1
    assert_quiet(caplog)


async def test_a_copy_command_without_a_trigger_id_or_channel_is_not_run(bot: Bot) -> None:
    for field in ("trigger_id", "channel_id", "user_id", "team_id"):
        body = "&".join(p for p in bot.send.command_body("Eco water bottle").split("&") if not p.startswith(field))
        answer = await bot.send.post(body, FORM)
        assert answer.status == 200 and "without the details copybot needs" in answer.body["text"], field
    await assert_nothing_happened(bot)
