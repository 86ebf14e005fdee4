"""Requests to the Bolt app as Slack sends them: signed slash commands, events and interactivity payloads."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.support.slack_api import FakeSlack, Message

SIGNING_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sign(body: str | bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


class Sender:
    """Posts signed requests to the app the way Slack does."""

    def __init__(self, session: aiohttp.ClientSession, url: str, fake: FakeSlack) -> None:
        self.session = session
        self.url = url
        self.fake = fake
        self._ids = 0

    async def post(
        self,
        body: str | bytes,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
    ) -> Answer:
        """POST `body` signed as Slack signs it (or with `signature`), with `timestamp` (default: now)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(body, ts),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return await self.raw(body.encode() if isinstance(body, str) else body, headers)

    async def raw(self, body: bytes, headers: dict[str, str]) -> Answer:
        """POST exactly these bytes and headers to the events URL."""
        started = time.monotonic()
        data = io.BytesIO(body)  # aiohttp warns about large raw bytes
        async with self.session.post(f"{self.url}/slack/events", data=data, headers=headers) as response:
            text = await response.text(errors="replace")
            seconds = time.monotonic() - started
            parsed = json.loads(text) if text.startswith("{") else {"text": text}  # Bolt sends a lone text as is
            return Answer(response.status, parsed, seconds)

    def command_body(
        self,
        text: str,
        *,
        team_id: str = "T1",
        channel_id: str = "C1",
        user_id: str = "U1",
        user_name: str = "ann",
        response: str = "r1",
        enterprise_id: str = "",
        org_wide: bool = False,
    ) -> str:
        """A /copy from workspace `team_id` (of Enterprise Grid organisation `enterprise_id`, installed there
        `org_wide` or not)."""
        self._ids += 1
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": team_id,
                **({"enterprise_id": enterprise_id, "enterprise_name": "Grid"} if enterprise_id else {}),
                "team_domain": "acme",
                "channel_id": channel_id,
                "channel_name": "directmessage" if channel_id.startswith("D") else "marketing",
                "user_id": user_id,
                "user_name": user_name,
                "command": "/copy",
                "text": text,
                "api_app_id": "A1",
                "is_enterprise_install": "true" if org_wide else "false",
                "response_url": self.fake.response_url(response),
                "trigger_id": f"trigger.{self._ids}",
            }
        )

    async def command(self, text: str, **fields: Any) -> Answer:
        return await self.post(self.command_body(text, **fields), "application/x-www-form-urlencoded")

    async def event(
        self,
        event: Any,
        *,
        event_id: str,
        team_id: str | None = "T1",
        retry_num: int | None = None,
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> Answer:
        """An Events API envelope around `event` (team_id None: an envelope without one). In an Enterprise Grid
        organisation installed `org_wide`, the authorization names the organisation and no workspace, as Slack's."""
        authorization = {
            "enterprise_id": enterprise_id,
            "team_id": None if org_wide else team_id,
            "user_id": "UBOT",
            "is_bot": True,
            "is_enterprise_install": org_wide,
        }
        body = {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [authorization],
        }
        if team_id is None and not org_wide:
            del body["team_id"], body["authorizations"]
        return await self.post(json.dumps(body), "application/json", retry_num=retry_num)

    async def action(self, payload: dict[str, Any]) -> Answer:
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def click(message: Message, action_id: str, response_url: str, *, user: str = "U2") -> dict[str, Any]:
    """The block_actions payload of `user` pressing the button `action_id` on `message`."""
    (button,) = [
        e for b in message.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    ]
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "bob", "name": "bob", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": "C1",
            "is_ephemeral": False,
            "thread_ts": message.thread_ts,
        },
        "trigger_id": "trigger.1",
        "team": {"id": "T1", "domain": "acme"},
        "channel": {"id": "C1", "name": "marketing"},
        "message": {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": message.blocks[-1]["block_id"],
                "type": "button",
                "value": button["value"],
                "action_ts": "1700000200.000001",
                "text": {"type": "plain_text", "text": "Pick"},
            }
        ],
    }
