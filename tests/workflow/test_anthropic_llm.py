"""AnthropicLLM on the real SDK against the fake API: auth, retries, errors, usage, configuration."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest

from bot.app import App
from bot.config import Settings
from bot.errors import ConfigError, LLMError
from bot.workflow.llm.anthropic import AnthropicLLM
from bot.workflow.llm.base import Prompt
from bot.workflow.types import Usage
from tests.support.anthropic_api import FakeAnthropic, Reply, tokens

PROMPT = Prompt(role="worker", name="worker", text="Write one line about kettles.", sha256="0" * 64)
MakeLLM = Callable[..., AnthropicLLM]


async def test_completion_carries_text_usage_stop_reason_and_request_id(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(text="A kettle, boiled.", input_tokens=11, cache_read_input_tokens=7, model="m-2026"))
    completion = await make_llm().complete(PROMPT, model="m", max_tokens=50)
    [sent] = fake.requests
    assert completion.text == "A kettle, boiled." and completion.model == "m-2026"
    assert completion.usage == Usage(11, len(tokens("A kettle, boiled.")), 7, 0)
    assert (completion.stop_reason, completion.truncated) == ("end_turn", False)
    assert completion.request_id == sent.request_id
    assert sent.body["max_tokens"] == 50 and sent.prompt == PROMPT.text and not sent.stream


async def test_streaming_delivers_chunks_and_the_same_completion(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(text="Streamed kettle copy, token by token.", stop_reason="max_tokens"))
    chunks: list[str] = []
    completion = await make_llm().complete(PROMPT, model="m", max_tokens=5, on_text=chunks.append)
    [sent] = fake.requests
    assert sent.stream and chunks == tokens("Streamed kettle copy, token by token.")
    assert completion.text == "".join(chunks)
    assert (completion.stop_reason, completion.truncated) == ("max_tokens", True)
    assert completion.request_id == sent.request_id  # a streamed message has no _request_id of its own
    assert completion.usage.output_tokens == len(chunks)


async def test_429_honours_retry_after_then_succeeds(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(status=429, retry_after="0.3"), "ok")
    completion = await make_llm(max_retries=2).complete(PROMPT, model="m", max_tokens=5)
    first, second = fake.requests
    assert completion.text == "ok" and completion.request_id == second.request_id
    assert (first.status, second.status) == (429, 200)
    assert second.arrived - first.arrived >= 0.3
    assert (first.retry_count, second.retry_count) == (0, 1)


async def test_529_overloaded_is_retried(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(status=529, retry_after_ms=10), Reply(status=500, retry_after_ms=10), "fine")
    completion = await make_llm(max_retries=2).complete(PROMPT, model="m", max_tokens=5)
    assert completion.text == "fine"
    assert [r.status for r in fake.requests] == [529, 500, 200]


@pytest.mark.parametrize("retries", [0, 2])
async def test_the_sdk_makes_exactly_max_retries_extra_attempts(
    fake: FakeAnthropic, make_llm: MakeLLM, retries: int
) -> None:
    fake.on("m", Reply(status=529, retry_after_ms=5))
    with pytest.raises(LLMError) as caught:
        await make_llm(max_retries=retries).complete(PROMPT, model="m", max_tokens=5)
    assert caught.value.retryable and "529 overloaded_error" in str(caught.value)
    assert [r.retry_count for r in fake.requests] == list(range(retries + 1))


async def test_a_bad_request_is_not_retried(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(status=400))
    with pytest.raises(LLMError) as caught:
        await make_llm(max_retries=3).complete(PROMPT, model="m", max_tokens=5)
    assert not caught.value.retryable and "400 invalid_request_error" in str(caught.value)
    assert len(fake.requests) == 1


async def test_an_unknown_model_names_the_settings_to_check(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    with pytest.raises(LLMError) as caught:
        await make_llm().complete(PROMPT, model="no-such-model", max_tokens=5)
    assert "no-such-model" in str(caught.value) and "COPYBOT_WORKER_MODEL" in caught.value.hint


async def test_a_rejected_key_names_the_variable(make_llm: MakeLLM) -> None:
    async with FakeAnthropic(api_key="the-right-key") as strict:
        llm = AnthropicLLM(api_key="wrong", base_url=strict.url, max_retries=2)
        try:
            with pytest.raises(LLMError, match="ANTHROPIC_API_KEY"):
                await llm.complete(PROMPT, model="m", max_tokens=5)
        finally:
            await llm.aclose()
        assert not strict.requests  # refused before the request was recorded


async def test_malformed_json_is_a_retryable_llm_error(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(malformed=True))
    with pytest.raises(LLMError) as caught:
        await make_llm().complete(PROMPT, model="m", max_tokens=5)
    assert caught.value.retryable and "could not be read" in str(caught.value)


async def test_an_error_event_mid_stream_is_a_retryable_llm_error(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(text="Half a reply and then", stream_error_after=2))
    chunks: list[str] = []
    with pytest.raises(LLMError) as caught:
        await make_llm(max_retries=3).complete(PROMPT, model="m", max_tokens=5, on_text=chunks.append)
    assert caught.value.retryable and "overloaded_error" in str(caught.value)
    assert "stream broke off" in str(caught.value) and "200" not in str(caught.value)
    assert chunks == tokens("Half a reply and then")[:2]
    assert len(fake.requests) == 1  # the SDK does not retry a stream that already started


async def test_a_reply_slower_than_the_timeout_fails_after_the_retries(fake: FakeAnthropic, make_llm: MakeLLM) -> None:
    fake.on("m", Reply(text="too late", latency_s=3.0))
    with pytest.raises(LLMError) as caught:
        await make_llm(max_retries=1, timeout_s=0.3).complete(PROMPT, model="m", max_tokens=5)
    assert caught.value.retryable
    assert str(caught.value) == "The Anthropic API did not answer in time."
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    "headers",
    [{"x-api-key": "k"}, {"Authorization": "Bearer k"}, {}, {"Authorization": "Basic k"}],
    ids=["x-api-key", "bearer", "none", "basic"],
)
async def test_the_fake_accepts_either_auth_header(fake: FakeAnthropic, headers: dict[str, str]) -> None:
    fake.on("m", "hi")
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hello"}]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/v1/messages", json=body, headers=headers) as response,
    ):
        payload = await response.json()
    if headers in ({}, {"Authorization": "Basic k"}):
        assert response.status == 401 and payload["error"]["type"] == "authentication_error"
    else:
        assert response.status == 200 and payload["content"] == [{"type": "text", "text": "hi"}]
        assert response.headers["request-id"] == fake.requests[0].request_id


async def test_a_missing_api_key_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        AnthropicLLM(api_key="")
    assert "ANTHROPIC_API_KEY" in caught.value.message and "ANTHROPIC_API_KEY" in caught.value.hint
    async with App.open(Settings.from_env({"COPYBOT_LLM": "anthropic"})) as app:
        with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
            await app.llm()
