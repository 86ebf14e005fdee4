"""A fake Anthropic Messages API for the real `anthropic.AsyncAnthropic` (pass `base_url=fake.url`).

    async with FakeAnthropic() as fake:
        fake.on("claude-worker", Reply(status=429, retry_after_ms=20), "<response>Hi</response>")
        ...

`POST /v1/messages` answers in the wire formats of the real API (checked against
anthropic 2.14: `_streaming.py` and `lib/streaming/_messages.py`): a Message JSON
with usage and a `request-id` header, or Server-Sent Events when the request has
`"stream": true`. Each model has a script: a sequence of replies used in order
(the last one repeats), where a reply is a `Reply`, a plain text, or a callable
that receives the `Recorded` request and returns either. Every request is
recorded with monotonic arrival and finish times so tests can check concurrency.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Reply:
    """How the fake answers one request."""

    text: str = ""
    status: int = 200  # anything but 200 answers an error body of ERROR_TYPES[status]
    latency_s: float = 0.0  # before the response starts (a whole reply, or the first SSE event)
    tokens_per_s: float | None = None  # generation pace: of the SSE chunks, or the wait for a whole reply
    tokens_per_event: int = 1  # streaming: tokens per text_delta event, each sent when its last token is written
    stop_reason: str = "end_turn"
    retry_after: str | None = None  # the `retry-after` header (seconds), on errors
    retry_after_ms: int | None = None  # the `retry-after-ms` header, on errors
    malformed: bool = False  # a 200 whose JSON body is cut off
    stream_error_after: int | None = None  # streaming only: `event: error` overloaded_error after N text events
    input_tokens: int | None = None  # default: the prompt's words
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    model: str = ""  # the model the reply claims (default: the one asked for)


Script = Reply | str | Callable[["Recorded"], "Reply | str"]


@dataclass
class Recorded:
    """One request as the fake saw it."""

    model: str
    body: dict[str, Any]
    headers: dict[str, str]
    arrived: float
    call_index: int  # 0 for the first request for this model
    request_id: str
    finished: float | None = None
    status: int = 0
    chunks: list[tuple[float, str]] = field(default_factory=list)  # (monotonic send time, text) when streamed

    @property
    def prompt(self) -> str:
        parts = []
        for message in self.body.get("messages", []):
            content = message.get("content", "")
            if isinstance(content, str):
                parts.append(content)
            else:
                parts.extend(str(block.get("text", "")) for block in content if isinstance(block, dict))
        return "\n".join(parts)

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def retry_count(self) -> int:
        """The SDK's own retry number for this request (`x-stainless-retry-count`)."""
        return int(self.headers.get("x-stainless-retry-count", "0"))


def tokens(text: str, size: int = 4) -> list[str]:
    """Split text into token-sized chunks (about 4 characters, like real tokens)."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def max_overlap(requests: Sequence[Recorded]) -> int:
    """The largest number of these requests that were open at the same moment."""
    edges = sorted(
        [(r.arrived, 1) for r in requests] + [(r.finished or float("inf"), -1) for r in requests],
        key=lambda edge: (edge[0], edge[1]),
    )
    open_now = best = 0
    for _, step in edges:
        open_now += step
        best = max(best, open_now)
    return best


def tag_text(prompt: str, tag: str) -> str:
    """The (unescaped) text inside <tag>...</tag> of a prompt, or '' (a mention of `<tag>` in prose is skipped)."""
    match = re.search(rf"<{tag}>((?:(?!<{tag}>).)*?)</{tag}>", prompt, re.DOTALL)
    return html.unescape(match.group(1)) if match else ""


class FakeAnthropic:
    """The fake server; an async context manager that listens on 127.0.0.1, port 0."""

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key  # None: any non-empty key is accepted
        self.requests: list[Recorded] = []
        self.request_id_header = True  # False: answer as a gateway that sends no `request-id` header
        self._scripts: dict[str, list[Script]] = {}
        self._numbers = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def on(self, model: str, *replies: Script) -> None:
        """Script `model`: the nth request gets replies[n] (the last reply repeats)."""
        self._scripts[model] = list(replies)

    def _headers(self, record: Recorded) -> dict[str, str]:
        return {"request-id": record.request_id} if self.request_id_header else {}

    def requests_for(self, model: str) -> list[Recorded]:
        return [r for r in self.requests if r.model == model]

    async def __aenter__(self) -> FakeAnthropic:
        app = web.Application()
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        request_id = f"req_fake_{next(self._numbers):04d}"
        arrived = time.monotonic()
        if not self._authorised(request):
            return _error(401, "invalid x-api-key", request_id)
        body = await request.json()
        model = str(body.get("model", ""))
        record = Recorded(
            model=model,
            body=body,
            headers={k.lower(): v for k, v in request.headers.items()},
            arrived=arrived,
            call_index=len(self.requests_for(model)),
            request_id=request_id,
        )
        self.requests.append(record)
        try:
            response = await self._answer(request, record)
            record.status = response.status
            return response
        finally:
            record.finished = time.monotonic()

    def _authorised(self, request: web.Request) -> bool:
        key = request.headers.get("x-api-key", "")
        bearer = request.headers.get("Authorization", "")
        if not key and bearer.startswith("Bearer "):
            key = bearer.removeprefix("Bearer ")
        return bool(key) and (self.api_key is None or key == self.api_key)

    def _reply_for(self, record: Recorded) -> Reply | None:
        script = self._scripts.get(record.model)
        if not script:
            return None
        step = script[min(record.call_index, len(script) - 1)]
        if callable(step):
            step = step(record)
        return Reply(text=step) if isinstance(step, str) else step

    async def _answer(self, request: web.Request, record: Recorded) -> web.StreamResponse:
        reply = self._reply_for(record)
        if reply is None:
            return _error(404, f"model: {record.model}", record.request_id)
        if reply.latency_s:
            await asyncio.sleep(reply.latency_s)
        if reply.status != 200:
            headers = {}
            if reply.retry_after is not None:
                headers["retry-after"] = reply.retry_after
            if reply.retry_after_ms is not None:
                headers["retry-after-ms"] = str(reply.retry_after_ms)
            return _error(reply.status, "injected by the fake", record.request_id, headers)
        if record.stream:
            return await self._stream(request, record, reply)
        if reply.tokens_per_s:  # a whole reply takes as long to write as its last streamed chunk would
            await asyncio.sleep((len(tokens(reply.text)) - 1) / reply.tokens_per_s)
        if reply.malformed:
            return web.Response(
                text='{"id": "msg_cut", "type": "mess', content_type="application/json", headers=self._headers(record)
            )
        content = [{"type": "text", "text": reply.text}]
        message = _message(record, reply, content, output_tokens=len(tokens(reply.text)))
        return web.json_response(message, headers=self._headers(record))

    async def _stream(self, request: web.Request, record: Recorded, reply: Reply) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream", **self._headers(record)})
        await response.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

        chunks = tokens(reply.text)
        per_event = max(1, reply.tokens_per_event)
        await send(
            "message_start", {"type": "message_start", "message": _message(record, reply, [], 1, streaming=True)}
        )
        await send(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        await send("ping", {"type": "ping"})
        started = time.monotonic()
        for number, first in enumerate(range(0, len(chunks), per_event)):
            if reply.stream_error_after is not None and number >= reply.stream_error_after:
                error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
                await send("error", error)
                return response
            last = min(first + per_event, len(chunks)) - 1
            if reply.tokens_per_s:
                await asyncio.sleep(max(0.0, started + last / reply.tokens_per_s - time.monotonic()))
            text = "".join(chunks[first : last + 1])
            delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}
            await send("content_block_delta", delta)
            record.chunks.append((time.monotonic(), text))
        await send("content_block_stop", {"type": "content_block_stop", "index": 0})
        await send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": len(chunks)},
            },
        )
        await send("message_stop", {"type": "message_stop"})
        await response.write_eof()
        return response


def _message(
    record: Recorded, reply: Reply, content: list[dict[str, Any]], output_tokens: int, *, streaming: bool = False
) -> dict[str, Any]:
    """A Message object; streamed, it has no stop_reason yet (message_delta brings it)."""
    input_tokens = reply.input_tokens if reply.input_tokens is not None else len(record.prompt.split())
    return {
        "id": f"msg_{record.request_id}",
        "type": "message",
        "role": "assistant",
        "model": reply.model or record.model,
        "content": content,
        "stop_reason": None if streaming else reply.stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": reply.cache_creation_input_tokens,
            "cache_read_input_tokens": reply.cache_read_input_tokens,
        },
    }


def _error(status: int, message: str, request_id: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {
        "type": "error",
        "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
        "request_id": request_id,
    }
    return web.json_response(body, status=status, headers={"request-id": request_id, **(headers or {})})
