"""The openai provider against a fake OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError, LLMError
from bot.workflow.llm.base import Prompt
from bot.workflow.llm.openai import OpenAICompatibleLLM
from bot.workflow.llm.registry import ProviderConfig
from bot.workflow.types import Usage
from tests.support.openai_api import FakeOpenAI, Raw, Reply, Status


def client(fake: FakeOpenAI, **kwargs: object) -> OpenAICompatibleLLM:
    options: dict[str, object] = {"base_url": fake.base_url, "max_retries": 2, "timeout_s": 5.0, "backoff_s": 0.01}
    options.update(kwargs)
    return OpenAICompatibleLLM(**options)  # type: ignore[arg-type]


async def test_completion_sends_the_prompt_and_reads_text_usage_and_stop(
    fake_openai: FakeOpenAI, worker_prompt: Prompt
) -> None:
    fake_openai.script(Reply(text="<response>Boil faster.</response>", prompt_tokens=40, completion_tokens=9))
    llm = client(fake_openai)
    try:
        completion = await llm.complete(worker_prompt, model="llama3.2", max_tokens=300)
    finally:
        await llm.aclose()
    assert completion.text == "<response>Boil faster.</response>"
    assert completion.model == "llama3.2"
    assert completion.usage == Usage(input_tokens=40, output_tokens=9)
    assert (completion.stop_reason, completion.truncated) == ("stop", False)
    assert completion.request_id == "req-1"
    [request] = fake_openai.requests
    assert request.body["messages"] == [{"role": "user", "content": "Write copy for a kettle."}]
    assert (request.body["model"], request.body["max_tokens"], request.body["stream"]) == ("llama3.2", 300, False)


async def test_streaming_passes_text_as_it_arrives(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    text = "<response>A kettle that boils in sixty seconds.</response>"
    fake_openai.script(Reply(text=text, chunk_chars=5, completion_tokens=12))
    pieces: list[str] = []
    llm = client(fake_openai)
    try:
        completion = await llm.complete(worker_prompt, model="m", max_tokens=50, on_text=pieces.append)
    finally:
        await llm.aclose()
    assert len(pieces) == len(text) // 5 + 1
    assert "".join(pieces) == completion.text == text
    assert completion.usage.output_tokens == 12
    assert fake_openai.requests[0].body["stream"] is True


async def test_finish_reason_length_marks_the_completion_truncated(
    fake_openai: FakeOpenAI, worker_prompt: Prompt
) -> None:
    fake_openai.script(Reply(text="cut", finish_reason="length"), Reply(text="cut", finish_reason="length"))
    llm = client(fake_openai)
    try:
        plain = await llm.complete(worker_prompt, model="m", max_tokens=1)
        streamed = await llm.complete(worker_prompt, model="m", max_tokens=1, on_text=lambda _: None)
    finally:
        await llm.aclose()
    assert (plain.truncated, plain.stop_reason) == (True, "length")
    assert (streamed.truncated, streamed.stop_reason) == (True, "length")


async def test_429_is_retried_after_the_servers_retry_after(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    fake_openai.script(Status(429, "slow down", headers={"Retry-After": "1"}), Reply(text="ok"))
    llm = client(fake_openai, backoff_s=0.01)
    try:
        completion = await llm.complete(worker_prompt, model="m", max_tokens=10)
    finally:
        await llm.aclose()
    assert completion.text == "ok"
    first, second = fake_openai.requests
    assert 0.95 <= second.at - first.at < 3.0


async def test_500s_are_retried_then_raise_a_retryable_error(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    fake_openai.default = Status(500, "boom")
    llm = client(fake_openai, max_retries=2)
    try:
        with pytest.raises(LLMError, match="answered 500: boom") as caught:
            await llm.complete(worker_prompt, model="m", max_tokens=10)
    finally:
        await llm.aclose()
    assert caught.value.retryable
    assert len(fake_openai.requests) == 3


async def test_500_then_success_on_a_stream(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    fake_openai.script(Status(503), Reply(text="streamed after a retry"))
    pieces: list[str] = []
    llm = client(fake_openai)
    try:
        completion = await llm.complete(worker_prompt, model="m", max_tokens=10, on_text=pieces.append)
    finally:
        await llm.aclose()
    assert "".join(pieces) == completion.text == "streamed after a retry"
    assert len(fake_openai.requests) == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not JSON"),
        ('{"choices": []}', "no choices"),
        ('{"choices": [{"message": "hi"}]}', "no message"),
        ("[1, 2]", "not a JSON object"),
    ],
)
async def test_malformed_reply_is_a_clear_error(
    fake_openai: FakeOpenAI, worker_prompt: Prompt, body: str, message: str
) -> None:
    fake_openai.script(Raw(body))
    llm = client(fake_openai)
    try:
        with pytest.raises(LLMError, match=message) as caught:
            await llm.complete(worker_prompt, model="m", max_tokens=10)
    finally:
        await llm.aclose()
    assert "not an OpenAI chat completion" in str(caught.value)
    assert "OPENAI_BASE_URL" in caught.value.hint
    assert len(fake_openai.requests) == 1


async def test_malformed_stream_event_is_a_clear_error(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    fake_openai.script(Raw("data: {oops\n\ndata: [DONE]\n\n", content_type="text/event-stream"))
    llm = client(fake_openai)
    try:
        with pytest.raises(LLMError, match="stream event is not JSON"):
            await llm.complete(worker_prompt, model="m", max_tokens=10, on_text=lambda _: None)
    finally:
        await llm.aclose()


async def test_stream_cut_before_it_finished_is_retryable(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    chunk = '{"model": "m", "choices": [{"index": 0, "delta": {"content": "half"}, "finish_reason": null}]}'
    fake_openai.script(Raw(f"data: {chunk}\n\n", content_type="text/event-stream"))
    pieces: list[str] = []
    llm = client(fake_openai)
    try:
        with pytest.raises(LLMError, match="ended its stream") as caught:
            await llm.complete(worker_prompt, model="m", max_tokens=10, on_text=pieces.append)
    finally:
        await llm.aclose()
    assert caught.value.retryable
    assert pieces == ["half"]
    assert len(fake_openai.requests) == 1  # text was already shown: the workflow decides, not the provider


@pytest.mark.parametrize("key", ["", "sk-local"])
async def test_authorization_is_sent_only_with_a_key(fake_openai: FakeOpenAI, worker_prompt: Prompt, key: str) -> None:
    llm = client(fake_openai, api_key=key)
    try:
        await llm.complete(worker_prompt, model="m", max_tokens=10)
    finally:
        await llm.aclose()
    headers = {name.lower(): value for name, value in fake_openai.requests[0].headers.items()}
    if key:
        assert headers["authorization"] == "Bearer sk-local"
    else:
        assert "authorization" not in headers


async def test_refused_key_names_the_variable(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    fake_openai.script(Status(401, "invalid api key"))
    llm = client(fake_openai, api_key="wrong")
    try:
        with pytest.raises(LLMError, match="refused") as caught:
            await llm.complete(worker_prompt, model="m", max_tokens=10)
    finally:
        await llm.aclose()
    assert "OPENAI_API_KEY" in caught.value.hint
    assert not caught.value.retryable
    assert len(fake_openai.requests) == 1


async def test_unknown_model_names_the_model_variables(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    fake_openai.script(Status(404, "model 'claude-sonnet-5-5' not found"))
    llm = client(fake_openai)
    try:
        with pytest.raises(LLMError, match="not found") as caught:
            await llm.complete(worker_prompt, model="claude-sonnet-5-5", max_tokens=10)
    finally:
        await llm.aclose()
    assert "COPYBOT_ORCHESTRATOR_MODEL" in caught.value.hint


async def test_unreachable_server_is_retried_then_fails(worker_prompt: Prompt) -> None:
    async with FakeOpenAI() as fake:
        base_url = fake.base_url  # the port is closed once the fake stops
    llm = OpenAICompatibleLLM(base_url=base_url, max_retries=1, timeout_s=2.0, backoff_s=0.01)
    try:
        with pytest.raises(LLMError, match="Could not connect to the model server") as caught:
            await llm.complete(worker_prompt, model="m", max_tokens=10)
    finally:
        await llm.aclose()
    assert "connection refused" in caught.value.message and "check OPENAI_BASE_URL" in caught.value.hint
    assert not caught.value.retryable  # a setting to fix: the workflow does not try again


def test_from_config_needs_a_base_url() -> None:
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        OpenAICompatibleLLM.from_config(ProviderConfig(env={"COPYBOT_LLM": "openai"}))


async def test_from_config_uses_the_configured_server(fake_openai: FakeOpenAI, worker_prompt: Prompt) -> None:
    llm = OpenAICompatibleLLM.from_config(ProviderConfig(env={"OPENAI_BASE_URL": fake_openai.base_url + "/"}))
    try:
        assert llm.url == fake_openai.base_url + "/chat/completions"
        await llm.complete(worker_prompt, model="m", max_tokens=10)
    finally:
        await llm.aclose()
    assert len(fake_openai.requests) == 1
