"""What copybot would post in Slack for one run, without a workspace (`copybot slack-preview`).

The run goes through the sink a /copy uses (bot/slack/sink.py: the same Block Kit builders, the same splitting of
long copy, the same final parent), over a Web API client that sends nothing: PreviewClient keeps every message
as the channel would show it once the run is over (chat.postMessage adds one, chat.update replaces it). What would
go to the requester only (response_url) is kept too. The thread is stored nowhere.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.services import CopyService, Origin, RunOutcome
from bot.slack.parent import ParentState
from bot.slack.sink import SlackThread
from bot.workflow.types import CopyRequest

CHANNEL = "C0PREVIEW"
POSTS = frozenset({"chat.postMessage", "chat.update"})


@dataclass(frozen=True)
class Posted:
    """One message as Slack would show it: `parent` (the thread's first message), `reply` (in the thread) or
    `private` (only the requester sees it)."""

    kind: str
    text: str
    blocks: tuple[dict[str, Any], ...]

    def builder_payload(self) -> dict[str, Any]:
        """The message as Slack's Block Kit Builder takes it."""
        return {"blocks": list(self.blocks)}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "blocks": list(self.blocks)}


class PreviewClient(AsyncWebClient):
    """A Web API client that sends nothing and answers like Slack; it keeps the latest form of each message."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-preview")
        self.messages: dict[str, dict[str, Any]] = {}  # ts -> the payload, in the order first posted
        self._numbers = itertools.count(1)

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | aiohttp.FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        if api_method not in POSTS:  # the sink only posts and updates; anything else would be a new need
            raise NotImplementedError(f"a Slack preview cannot call {api_method}")
        payload = dict(json or {})
        ts = str(payload.get("ts") or f"{next(self._numbers)}.000000")
        self.messages[ts] = {**self.messages.get(ts, {}), **payload}
        answer = {"ok": True, "channel": payload.get("channel", CHANNEL), "ts": ts}
        return AsyncSlackResponse(
            client=self, http_verb=http_verb, api_url=api_method, req_args={}, data=answer, headers={}, status_code=200
        )

    def posted(self) -> list[Posted]:
        return [
            Posted("reply" if payload.get("thread_ts") else "parent", payload["text"], tuple(payload["blocks"]))
            for payload in self.messages.values()
        ]


async def preview(runs: CopyService, request: CopyRequest, origin: Origin, *, taste: bool = True) -> Preview:
    """Run `request` as /copy would, stored like `copybot run`, and return what Slack would show of it."""
    client = PreviewClient()
    private: list[Posted] = []

    async def respond(
        *,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = None,
        response_type: str = "ephemeral",
        replace_original: bool = False,
    ) -> None:
        private.append(Posted("private", text, tuple(blocks or ())))

    thread = SlackThread(client, None, respond, channel=CHANNEL, state=ParentState.of(request, origin.user_id))
    poster = asyncio.create_task(thread.run(), name="preview-thread")
    try:
        outcome = await runs.run(request, origin, sinks=[thread], taste=taste)
    finally:
        thread.close()
        await poster
    return Preview(outcome, (*client.posted(), *private))


@dataclass(frozen=True)
class Preview:
    outcome: RunOutcome
    messages: tuple[Posted, ...]
