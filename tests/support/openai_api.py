"""A fake OpenAI-compatible chat-completions server (aiohttp on 127.0.0.1, port 0).

`GET /v1/models` lists `fake.models`. Script what each request gets with `fake.script(...)` (one step per request, in
order); once the script is used up every request gets `default`. Every request
is recorded (headers, body, time) so tests can check what the client sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Reply:
    """A successful completion; streamed in `chunk_chars` pieces when the client asks to stream."""

    text: str = "Hello."
    finish_reason: str = "stop"
    prompt_tokens: int = 11
    completion_tokens: int = 7
    chunk_chars: int = 4
    chunk_delay_s: float = 0.0
    latency_s: float = 0.0
    usage: bool = True  # False: send no token counts (llama.cpp's server streaming, some proxies)


@dataclass(frozen=True)
class Status:
    """An HTTP error answer, e.g. Status(429, headers={"Retry-After": "1"})."""

    status: int
    message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Raw:
    """A 200 answer with this exact body (malformed JSON, a wrong shape, a broken stream...)."""

    body: str
    content_type: str = "application/json"


Step = Reply | Status | Raw


@dataclass(frozen=True)
class Request:
    at: float
    headers: dict[str, str]
    body: dict[str, Any]


class FakeOpenAI:
    """`async with FakeOpenAI() as fake:` then point the client at `fake.base_url`."""

    def __init__(self, default: Step | None = None, models: Sequence[str] | Status = ()) -> None:
        self.default: Step = default or Reply()
        self.models = models  # what GET /v1/models lists (a Status: that error answer)
        self.model_lists = 0  # how many times it was asked
        self.requests: list[Request] = []
        self._steps: list[Step] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def script(self, *steps: Step) -> None:
        self._steps.extend(steps)

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, _: web.Request) -> web.Response:
        self.model_lists += 1
        if isinstance(self.models, Status):
            error = {"error": {"message": self.models.message, "type": "scripted", "code": self.models.status}}
            return web.json_response(error, status=self.models.status)
        listed = [{"id": model, "object": "model", "created": 0, "owned_by": "fake"} for model in self.models]
        return web.json_response({"object": "list", "data": listed})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(Request(time.monotonic(), dict(request.headers), body))
        step = self._steps.pop(0) if self._steps else self.default
        if isinstance(step, Status):
            error = {"error": {"message": step.message, "type": "scripted", "code": step.status}}
            return web.json_response(error, status=step.status, headers=step.headers)
        if isinstance(step, Raw):
            return web.Response(text=step.body, content_type=step.content_type)
        await asyncio.sleep(step.latency_s)
        if body.get("stream"):
            return await self._stream(request, body, step)
        message = {"role": "assistant", "content": step.text}
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": step.finish_reason}],
                **({"usage": _usage(step)} if step.usage else {}),
            },
            headers={"x-request-id": f"req-{len(self.requests)}"},
        )

    async def _stream(self, request: web.Request, body: dict[str, Any], step: Reply) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "x-request-id": "req-stream"})
        await response.prepare(request)
        base = {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion.chunk", "model": body["model"]}
        pieces = [step.text[i : i + step.chunk_chars] for i in range(0, len(step.text), step.chunk_chars)]
        for piece in pieces:
            chunk = {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await asyncio.sleep(step.chunk_delay_s)
        last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": step.finish_reason}]}
        await response.write(f"data: {json.dumps(last)}\n\n".encode())
        if step.usage and body.get("stream_options", {}).get("include_usage"):
            await response.write(f"data: {json.dumps({**base, 'choices': [], 'usage': _usage(step)})}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _usage(step: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
        "total_tokens": step.prompt_tokens + step.completion_tokens,
    }
