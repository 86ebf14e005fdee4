"""A fake Slack Web API (aiohttp, 127.0.0.1, port 0) for the real slack_sdk AsyncWebClient.

It speaks Slack's wire format: `POST /api/<method>` with a form or JSON body and
`Authorization: Bearer <token>`, answers `{"ok": true, ...}` or `{"ok": false, "error": ...}`
with HTTP 200, and HTTP 429 + Retry-After when told to. It records every call
(`calls`), keeps the messages it accepted (`messages`), enforces Slack's size
limits (msg_too_long, invalid_blocks), can refuse channels (not_in_channel,
channel_not_found) or any call (`refuse`), fail calls with an HTTP 5xx (`fail`) or by dropping the
connection (`drop`), serves response_url endpoints (`response_url(name)`), a Socket Mode websocket
(`apps.connections.open` returns its URL), views (views.open / views.update / views.publish, checked against
Slack's view limits; `views`, `home`) and private files (`add_file`, served to the bot token only).

OAuth v2 (`authorize(team_id)` is a person pressing Allow: it returns the code Slack sends to the redirect URL):
`oauth.v2.access` exchanges a code, checking the app's client credentials (HTTP Basic), for a bot token of that
workspace (or Enterprise Grid organisation, `org_wide`), and with `token_lifetime_s` set issues rotating tokens
(`expires_in`, `refresh_token`) that `grant_type=refresh_token` exchanges for new ones; an expired token is
refused (`token_expired`). Every token answers auth.test for its own workspace; `workspace_of(call)` tells which.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.slack_limits import MAX_SECTION_TEXT, MAX_TEXT, block_problem, view_problem

__all__ = ["MAX_SECTION_TEXT", "Call", "FakeSlack", "Grant", "Message"]

_MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    token: str = ""


@dataclass(frozen=True)
class Grant:
    """What a bot token is for: a workspace (team_id), or an Enterprise Grid organisation installed org-wide
    (team_id "", enterprise_id set); `expires_at` (time.time()) for a rotating token."""

    team_id: str
    enterprise_id: str = ""
    expires_at: float | None = None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str = ""
    updates: int = 0


@dataclass
class FakeSlack:
    """State and behaviour of the fake; start it with `await fake.start()`."""

    bot_token: str = "xoxb-test-token"
    app_token: str = "xapp-test-token"
    team_id: str = "T1"
    bot_user_id: str = "UBOT"
    not_in_channel: set[str] = field(default_factory=set)
    missing_channels: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    latency_s: float = 0.0
    views: list[dict[str, Any]] = field(default_factory=list)  # every modal opened (or updated), in order
    home: dict[str, dict[str, Any]] = field(default_factory=dict)  # the App Home published per user
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # name -> (content, mimetype)
    client_id: str = "1111.2222"
    client_secret: str = "0123456789abcdef0123456789abcdef"
    token_lifetime_s: int | None = None  # set: oauth.v2.access issues rotating tokens that expire after it
    grants: dict[str, Grant] = field(default_factory=dict)  # every bot token but bot_token -> what it is for

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._rate_limits: dict[str, list[int]] = defaultdict(list)
        self._refusals: dict[str, list[str]] = defaultdict(list)
        self._failures: dict[str, list[int]] = defaultdict(list)  # HTTP status, or 0: drop the connection
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_connected = asyncio.Event()
        self._changed = asyncio.Condition()
        self._codes: dict[str, Grant] = {}  # OAuth codes not exchanged yet
        self._refresh_tokens: dict[str, Grant] = {}
        self.url = ""

    # --- control ---------------------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and Retry-After."""
        self._rate_limits[method].extend([retry_after] * times)

    def refuse(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._refusals[method].extend([error] * times)

    def add_file(self, name: str, content: bytes, mimetype: str) -> dict[str, Any]:
        """Serve a private file; return it as Slack describes it in a message's `files`."""
        self.files[name] = (content, mimetype)
        url = f"{self.url}/files/{name}"
        return {"id": f"F{len(self.files)}", "name": name, "mimetype": mimetype, "size": len(content),
                "url_private": url, "url_private_download": url}  # fmt: skip

    def fail(self, method: str, times: int = 1, status: int = 500) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` and an HTML body, as a load balancer does."""
        self._failures[method].extend([status] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """Close the connection of the next `times` calls of `method` without an answer."""
        self._failures[method].extend([0] * times)

    def authorize(self, team_id: str, *, enterprise_id: str = "", org_wide: bool = False) -> str:
        """Someone allowed the app in a workspace (`org_wide`: in Enterprise Grid organisation `enterprise_id`);
        the code Slack then sends to the redirect URL."""
        code = f"code-{secrets.token_hex(4)}"
        self._codes[code] = Grant("" if org_wide else team_id, enterprise_id)
        return code

    def workspace_of(self, call: Call) -> str:
        """The workspace (or organisation, for an org-wide token) the call's token belongs to ("" if none)."""
        if call.token == self.bot_token:
            return self.team_id
        grant = self.grants.get(call.token)
        return "" if grant is None else grant.team_id or grant.enterprise_id

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """Replies posted in a thread, oldest first."""
        found = [m for m in self.messages.values() if m.channel == channel and m.thread_ts == thread_ts]
        return sorted(found, key=lambda m: float(m.ts))

    async def wait_for(self, predicate: Any, within: float = 5.0) -> None:
        """Wait until `predicate()` is true (re-checked after every call)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def aclose(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- Socket Mode ---------------------------------------------------------------------------------------------
    async def socket_send(self, envelope: dict[str, Any], within: float = 5.0) -> dict[str, Any]:
        """Send an envelope to the connected Socket Mode client; return its ack (same envelope_id)."""
        async with asyncio.timeout(within):
            await self._socket_connected.wait()
        await self._sockets[-1].send_str(json.dumps(envelope))
        envelope_id = envelope["envelope_id"]
        await self.wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in self.socket_acks), within)
        return next(a for a in self.socket_acks if a.get("envelope_id") == envelope_id)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        self._socket_connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
                await self._notify()
        self._sockets.remove(ws)
        return ws

    # --- HTTP handlers -------------------------------------------------------------------------------------------
    async def _file(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(status=403, text="<html>sign in</html>", content_type="text/html")
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1])

    async def _response(self, request: web.Request) -> web.Response:
        self.responses[request.match_info["name"]].append(await request.json())
        await self._notify()
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or str(params.get("token", ""))
        self.calls.append(Call(method, params, time.monotonic(), token))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self._failures[method]:
            status = self._failures[method].pop(0)
            await self._notify()
            if not status:
                assert request.transport is not None
                request.transport.abort()
            return web.Response(status=status or 500, text="<html>upstream error</html>", content_type="text/html")
        if self._rate_limits[method]:
            retry_after = self._rate_limits[method].pop(0)
            await self._notify()
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
            )
        if method == "oauth.v2.access":
            body: dict[str, Any] = self._oauth(request.headers.get("Authorization", ""), params)
        elif problem := self._token_problem(method, token):
            body = {"ok": False, "error": problem}
        elif self._refusals[method]:
            body = {"ok": False, "error": self._refusals[method].pop(0)}
        else:
            body = self._answer(method, params, token)
        await self._notify()
        return web.json_response(body)

    def _token_problem(self, method: str, token: str) -> str:
        """Why `token` may not call `method` ("" when it may)."""
        if method == "apps.connections.open":
            return "" if token == self.app_token else "invalid_auth"
        if token == self.bot_token:
            return ""
        grant = self.grants.get(token)
        if grant is None:
            return "not_authed" if not token else "invalid_auth"
        return "token_expired" if grant.expires_at is not None and grant.expires_at <= time.time() else ""

    def _oauth(self, authorization: str, params: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access: a code for a new installation, or (grant_type=refresh_token) a new rotating token."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        if params.get("grant_type") == "refresh_token":
            grant = self._refresh_tokens.pop(str(params.get("refresh_token", "")), None)
            if grant is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return {"ok": True, "token_type": "bot", "scope": "commands,chat:write", **self._issue(grant)}
        grant = self._codes.pop(str(params.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team = {"id": grant.team_id, "name": f"Team {grant.team_id}"} if grant.team_id else None
        enterprise = {"id": grant.enterprise_id, "name": "Grid"} if grant.enterprise_id else None
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": "UINSTALLER"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "bot_user_id": self.bot_user_id,
            "team": team,
            "enterprise": enterprise,
            "is_enterprise_install": not grant.team_id,
            **self._issue(grant),
        }

    def _issue(self, grant: Grant) -> dict[str, Any]:
        """A new bot token for `grant` (rotating, with its refresh token, when token_lifetime_s is set)."""
        token = f"xoxb-{grant.team_id or grant.enterprise_id}-{secrets.token_hex(6)}"
        if self.token_lifetime_s is None:
            self.grants[token] = grant
            return {"access_token": token}
        refresh = f"xoxe-1-{secrets.token_hex(8)}"
        self.grants[token] = replace(grant, expires_at=time.time() + self.token_lifetime_s)
        self._refresh_tokens[refresh] = grant
        return {"access_token": token, "refresh_token": refresh, "expires_in": self.token_lifetime_s}

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _answer(self, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
        if method == "auth.test":
            grant = self.grants.get(token, Grant(self.team_id))
            return {
                "ok": True,
                "url": "https://acme.slack.com/",
                "team": "Acme",
                "user": "copybot",
                "team_id": grant.team_id or None,
                "enterprise_id": grant.enterprise_id or None,
                "is_enterprise_install": not grant.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "BBOT",
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http", "ws", 1) + "/socket"}
        if method in _MESSAGE_METHODS:
            return self._message(method, params)
        if method == "chat.getPermalink":
            channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
            if (channel, ts) not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": channel, "permalink": _permalink(channel, ts)}
        if method in ("reactions.add", "reactions.remove"):
            return {"ok": True}
        if method.startswith("views."):
            return self._view(method, params)
        return {"ok": False, "error": "unknown_method"}

    def _view(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view") or {}
        if isinstance(view, str):
            view = json.loads(view)
        if method == "views.open" and not str(params.get("trigger_id", "")).startswith("trigger."):
            return {"ok": False, "error": "invalid_trigger_id"}
        if problem := view_problem(view):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [problem]}}
        if method == "views.publish":
            self.home[str(params.get("user_id", ""))] = view
        else:
            self.views.append(view)
        return {"ok": True, "view": {"id": f"V{len(self.views) + len(self.home)}", **view}}

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel in self.missing_channels or not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        if params.get("link_names") or params.get("parse") == "full":
            return {"ok": False, "error": "invalid_arguments", "detail": "copybot must never ask Slack to ping"}
        text = str(params.get("text", ""))
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if len(text) > MAX_TEXT:
            return {"ok": False, "error": "msg_too_long"}
        if problem := block_problem(blocks):
            return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            message = self.messages.get((channel, str(params.get("ts", ""))))
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message.text, message.blocks, message.updates = text, blocks, message.updates + 1
            return {"ok": True, "channel": channel, "ts": message.ts, "text": text}
        ts = self._next_ts()
        thread_ts = str(params.get("thread_ts", ""))
        self.messages[(channel, ts)] = Message(channel, ts, text, blocks, thread_ts)
        return {"ok": True, "channel": channel, "ts": ts, "message": {"type": "message", "text": text, "ts": ts}}

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return params


def _permalink(channel: str, ts: str) -> str:
    return f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
