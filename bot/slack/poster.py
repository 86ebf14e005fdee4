"""Posting into one Slack thread, for the live sink (bot/slack/sink.py) and for healing (bot/slack/healing.py).

The Web API client retries first (429 after Retry-After; 5xx and connection errors with backoff: bot/slack/app.py).
A post that still fails is logged and returns "", never raises: Slack's trouble never reaches the workflow or
storage. A channel the bot cannot post in (not a member, missing, archived) blocks the thread, and the requester
is told once, privately, how to fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import Shown, SlackMessage, not_in_channel_text, variation_messages

log = logging.getLogger(__name__)
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class Respond(Protocol):
    """Bolt's `respond` (the command's response_url)."""

    async def __call__(
        self,
        *,
        text: str,
        blocks: Sequence[dict[str, Any]] | None = ...,
        response_type: str = ...,
        replace_original: bool = ...,
    ) -> Any: ...


async def tell(respond: Respond | None, text: str, blocks: Sequence[dict[str, Any]] | None = None) -> None:
    """A private message to the requester through the command's response_url (logged, never raised, on failure)."""
    if respond is None:
        return
    try:
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
    except Exception as exc:
        log.warning("could not reach the requester through response_url (%s)", type(exc).__name__)


class ThreadPoster:
    """One thread in one channel: its parent (`parent_ts`, "" until posted) and the replies under it."""

    def __init__(self, client: AsyncWebClient, respond: Respond | None, *, channel: str, parent_ts: str = "") -> None:
        self._client = client
        self._respond = respond
        self.channel = channel
        self.parent_ts = parent_ts
        self.blocked = False

    async def post_parent(self, message: SlackMessage) -> str:
        """Post the thread parent (once); return its ts, "" when Slack refused it."""
        if not self.parent_ts:
            self.parent_ts = await self.post(message)
        return self.parent_ts

    async def post_variation(self, shown: Shown, *, live_ts: str = "") -> str:
        """A finished variation as replies (its live reply, if any, turned into the first); return the first's ts."""
        first, *rest = variation_messages(shown)
        first_ts = await self.replace(live_ts, first)
        for message in rest:
            await self.post(message, thread=True)
        return first_ts

    async def replace(self, ts: str, message: SlackMessage) -> str:
        """Update reply `ts` to `message`, or post `message` as a new reply when there is none or the update fails."""
        if ts and await self.post(message, ts=ts):
            return ts
        return await self.post(message, thread=True)

    async def post(self, message: SlackMessage, *, thread: bool = False, ts: str = "") -> str:
        """Post (or update, with `ts`) a message; return its ts, or "" when Slack refused it."""
        if self.blocked or (thread and not self.parent_ts):
            return ""
        try:
            if ts:
                await self._client.chat_update(
                    channel=self.channel, ts=ts, text=message.text, blocks=list(message.blocks)
                )
                return ts
            response = await self._client.chat_postMessage(
                channel=self.channel,
                text=message.text,
                blocks=list(message.blocks),
                thread_ts=self.parent_ts if thread else None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) or f"HTTP {exc.response.status_code}"
            if error in CHANNEL_ERRORS and not ts:
                self.blocked = True
                await tell(self._respond, not_in_channel_text(self.channel, error))
                return ""
            log.warning("Slack refused a message in %s: %s", self.channel, error)
            return ""
        except (aiohttp.ClientError, TimeoutError) as exc:  # the client's retries are spent
            log.warning("Slack could not be reached to post in %s (%s)", self.channel, type(exc).__name__)
            return ""
        return str(response["ts"])
