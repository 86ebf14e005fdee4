"""OpenAI-compatible chat-completions servers (Ollama, vLLM, LM Studio, llama.cpp server) over aiohttp.

`POST {OPENAI_BASE_URL}/chat/completions`, streamed as server-sent events when
the workflow asks for text as it is written. 429, 5xx and connection errors
are retried with exponential backoff (honouring Retry-After) until the call
has streamed any text; after that a broken stream is a retryable LLMError and
the workflow decides, as with Anthropic.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from bot.errors import ConfigError, LLMError
from bot.workflow.llm.base import Capabilities, Completion, Price, Prompt, TextSink
from bot.workflow.llm.connect import unreachable
from bot.workflow.llm.registry import ProviderConfig
from bot.workflow.types import Usage

_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_BACKOFF_BASE_S = 0.5
_BACKOFF_CAP_S = 20.0
_RETRY_AFTER_CAP_S = 60.0
_CONNECT_TIMEOUT_S = 10.0
_MODEL_HINT = "Set COPYBOT_ORCHESTRATOR_MODEL and COPYBOT_WORKER_MODEL to models your server serves."


class _Retry(Exception):
    """A failed attempt that may be tried again (after `delay_s` when the server said so)."""

    def __init__(self, error: LLMError, delay_s: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay_s = delay_s


class OpenAICompatibleLLM:
    """LLM protocol on an OpenAI-compatible `/chat/completions` endpoint."""

    provider = "openai"
    capabilities = Capabilities(streams=True)

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        max_retries: int = 3,
        timeout_s: float = 120.0,
        backoff_s: float = _BACKOFF_BASE_S,
    ) -> None:
        if not base_url:
            raise ConfigError(
                "OPENAI_BASE_URL is not set.",
                hint="Set OPENAI_BASE_URL to your server's OpenAI-compatible API, "
                "e.g. http://localhost:11434/v1 for Ollama.",
            )
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._timeout = aiohttp.ClientTimeout(total=None, connect=_CONNECT_TIMEOUT_S, sock_read=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_config(cls, config: ProviderConfig) -> OpenAICompatibleLLM:
        return cls(
            base_url=config.get("OPENAI_BASE_URL"),
            api_key=config.get("OPENAI_API_KEY"),
            max_retries=config.max_retries,
            timeout_s=config.timeout_s,
        )

    def describe(self, model: str) -> str:
        return model

    def price(self, model: str) -> Price | None:
        return None  # a server of your own: copybot cannot know what it costs

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": prompt.text}],
            "max_tokens": max_tokens,
            "stream": on_text is not None,
        }
        if on_text is not None:
            body["stream_options"] = {"include_usage": True}
        streamed = [False]
        attempt = 0
        while True:
            try:
                return await self._attempt(body, on_text, streamed)
            except _Retry as retry:
                if streamed[0] or attempt >= self._max_retries:
                    raise retry.error from None
                delay = retry.delay_s if retry.delay_s is not None else _backoff(self._backoff_s, attempt)
                attempt += 1
                await asyncio.sleep(delay)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _attempt(self, body: dict[str, Any], on_text: TextSink | None, streamed: list[bool]) -> Completion:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self.headers)
        try:
            async with self._session.post(self.url, json=body) as response:
                if response.status != 200:
                    raise await self._status_error(response)
                request_id = response.headers.get("x-request-id", "")
                if on_text is None:
                    return _completion(await _json(response, self.url), self.url, request_id)

                def sink(text: str) -> None:
                    streamed[0] = True
                    on_text(text)

                return await _read_stream(response, sink, self.url, request_id)
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
            if (why := unreachable(exc)) is not None:  # retried here (a server restarting), then a setting to fix
                raise _Retry(
                    LLMError(
                        f"Could not connect to the model server at {self.url} ({why}).",
                        hint="That is a setting, not a passing outage: check OPENAI_BASE_URL and that the server runs.",
                    )
                ) from exc
            reason = "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            raise _Retry(
                LLMError(f"Could not reach the model server at {self.url} ({reason}).", retryable=True)
            ) from exc

    async def _status_error(self, response: aiohttp.ClientResponse) -> Exception:
        status = response.status
        detail = _error_detail(await response.text(errors="replace"))
        where = f"The model server at {self.url} answered {status}"
        if status in _RETRYABLE_STATUS:
            return _Retry(LLMError(f"{where}: {detail}".rstrip(": "), retryable=True), _retry_after(response.headers))
        if status in (401, 403):
            return LLMError(f"{where}: the API key was refused. {detail}".strip(), hint="Check OPENAI_API_KEY.")
        if status == 404:
            return LLMError(
                f"{where} (not found): {detail}".rstrip(": "),
                hint=f"Check that OPENAI_BASE_URL ends with the API root (often /v1). {_MODEL_HINT}",
            )
        return LLMError(f"{where}: {detail}".rstrip(": "), hint=_MODEL_HINT if "model" in detail.lower() else "")


def _backoff(base_s: float, attempt: int) -> float:
    """Exponential backoff with jitter: base, 2x base, 4x base... (capped), each scaled by 0.5-1."""
    return float(min(_BACKOFF_CAP_S, base_s * 2**attempt) * random.uniform(0.5, 1.0))


def _retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, Retry-After seconds or HTTP date), capped."""
    raw_ms = headers.get("retry-after-ms")
    raw = headers.get("retry-after")
    try:
        if raw_ms is not None:
            return min(_RETRY_AFTER_CAP_S, max(0.0, float(raw_ms) / 1000))
        if raw is not None:
            return min(_RETRY_AFTER_CAP_S, max(0.0, float(raw)))
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        return min(_RETRY_AFTER_CAP_S, max(0.0, (when - datetime.now(UTC)).total_seconds()))
    return None


def _error_detail(text: str) -> str:
    """The server's own error message when it sent one, else the start of its body."""
    try:
        data = json.loads(text)
    except ValueError:
        return _one_line(text)[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return _one_line(str(error.get("message") or error))[:500]
    if isinstance(error, str):
        return _one_line(error)[:500]
    return _one_line(text)[:200]


def _one_line(text: str) -> str:
    """A proxy's message may hold a whole traceback over many lines: one line, for a one-line reason."""
    return " ".join(text.split())


def _malformed(url: str, why: str) -> LLMError:
    return LLMError(
        f"The model server at {url} sent a reply that is not an OpenAI chat completion ({why}).",
        hint="Check that OPENAI_BASE_URL points at an OpenAI-compatible API (often ending in /v1).",
    )


async def _json(response: aiohttp.ClientResponse, url: str) -> dict[str, Any]:
    return _object(await response.text(errors="replace"), url, "the reply")


def _object(text: str, url: str, what: str) -> dict[str, Any]:
    """`text` as a JSON object, or a malformed-reply LLMError saying what was wrong with `what`."""
    try:
        data = json.loads(text)
    except ValueError:
        raise _malformed(url, f"{what} is not JSON: {text[:80]!r}") from None
    if not isinstance(data, dict):
        raise _malformed(url, f"{what} is not a JSON object")
    return data


def _usage(raw: Any) -> Usage:
    """Token counts as the server sent them; a server that sent none (llama.cpp streaming) leaves them unknown."""
    if not isinstance(raw, dict):
        return Usage(reported=False)
    details = raw.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else 0
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        cache_read_input_tokens=int(cached or 0),
    )


def _completion(data: dict[str, Any], url: str, request_id: str) -> Completion:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _malformed(url, "no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict) or not isinstance(message.get("content", ""), str | None):
        raise _malformed(url, "no message in the first choice")
    finish = str(choices[0].get("finish_reason") or "")
    return Completion(
        text=message.get("content") or "",
        model=str(data.get("model") or ""),
        usage=_usage(data.get("usage")),
        stop_reason=finish,
        truncated=finish == "length",
        request_id=request_id or str(data.get("id") or ""),
    )


async def _events(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    """The `data:` payloads of a server-sent event stream, one per event (`[DONE]` included)."""
    data: list[str] = []
    async for raw in response.content:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line and data:
            yield "\n".join(data)
            data = []
    if data:
        yield "\n".join(data)


async def _read_stream(response: aiohttp.ClientResponse, sink: TextSink, url: str, request_id: str) -> Completion:
    parts: list[str] = []
    model = finish = ""
    usage = Usage(reported=False)  # until the server sends its counts, if it does
    done = False
    async for payload in _events(response):
        if payload.strip() == "[DONE]":
            done = True
            break
        chunk = _object(payload, url, "a stream event")
        if "error" in chunk:
            detail = _error_detail(payload)
            raise LLMError(f"The model server at {url} failed mid-stream: {detail}", retryable=True)
        model = str(chunk.get("model") or model)
        request_id = request_id or str(chunk.get("id") or "")
        if chunk.get("usage"):
            usage = _usage(chunk["usage"])
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            text = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(text, str) and text:
                parts.append(text)
                sink(text)
            finish = str(choice.get("finish_reason") or finish)
    if not (finish or done):
        raise LLMError(f"The model server at {url} ended its stream before the reply was finished.", retryable=True)
    return Completion(
        text="".join(parts),
        model=model,
        usage=usage,
        stop_reason=finish or "stop",
        truncated=finish == "length",
        request_id=request_id,
    )
