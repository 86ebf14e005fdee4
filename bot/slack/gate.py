"""The door of POST /slack/events: every request is read, verified and parsed here before Bolt sees it.

Bolt parses a body before it verifies its signature, and answers 500 with a traceback for a body that is not
UTF-8 or not a JSON object, or for a timestamp that is not a number. Here the order is: the timestamp header
(401), the body, read within the body timeout and the size limit (408, 413), the signature over the raw bytes
(401), and only then decoding and parsing (400). A refused request costs at most one short WARNING line per
reason every LOG_INTERVAL_S (the others are counted into the next line), never a traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections import Counter
from collections.abc import Callable

import aiohttp
from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body

from bot.slack.payloads import shape_problem

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024**2
REPLAY_WINDOW_S = 5 * 60  # Slack's: a request signed longer ago than this is refused
LOG_INTERVAL_S = 60.0


class Refused(Exception):
    """A request that is answered with `status` and never reaches Bolt; `reason` is for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ThrottledLog:
    """One WARNING line per reason per `interval_s`; the lines left out are counted into the next one."""

    def __init__(self, logger: logging.Logger, interval_s: float = LOG_INTERVAL_S) -> None:
        self._logger = logger
        self._interval_s = interval_s
        self._last: dict[str, float] = {}
        self._left_out: Counter[str] = Counter()

    def warning(self, reason: str) -> None:
        now = time.monotonic()
        if now - self._last.get(reason, -self._interval_s) < self._interval_s:
            self._left_out[reason] += 1
            return
        self._last[reason] = now
        more = self._left_out.pop(reason, 0)
        self._logger.warning("%s%s", reason, f" (and {more} more in the last {self._interval_s:g} s)" if more else "")


class Gate:
    """Admits a request as a Bolt request, or raises Refused."""

    def __init__(self, signing_secret: str, *, body_timeout_s: float, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode()
        self._body_timeout_s = body_timeout_s
        self._clock = clock
        self.log = ThrottledLog(log)

    async def admit(self, request: web.Request) -> AsyncBoltRequest:
        timestamp = self._timestamp(request.headers.get("X-Slack-Request-Timestamp", ""))
        body = await self._read(request)
        self._verify(timestamp, body, request.headers.get("X-Slack-Signature", ""))
        try:
            text = body.decode("utf-8")
            parsed = parse_body(text, request.content_type)  # as Bolt will parse it
        except ValueError:  # not UTF-8, or not JSON where JSON is due
            raise Refused(400, "refused a signed request whose body could not be parsed") from None
        if not isinstance(parsed, dict):
            raise Refused(400, "refused a signed request whose body is not a JSON object")
        if problem := shape_problem(parsed):
            raise Refused(400, f"refused a signed request whose body is malformed: {problem}")
        return AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))

    def refuse(self, refused: Refused) -> web.Response:
        """The answer to a refused request (the connection closes after it); logged, throttled."""
        self.log.warning(f"HTTP {refused.status}: {refused.reason}")
        response = web.Response(status=refused.status)
        response.force_close()
        return response

    def _timestamp(self, raw: str) -> str:
        if not (raw.isascii() and raw.isdigit()):
            raise Refused(401, "refused a request without a valid X-Slack-Request-Timestamp")
        if abs(self._clock() - int(raw)) > REPLAY_WINDOW_S:
            raise Refused(401, "refused a request signed more than 5 minutes ago")
        return raw

    async def _read(self, request: web.Request) -> bytes:
        try:
            async with asyncio.timeout(self._body_timeout_s):
                return await request.read()
        except TimeoutError:
            raise Refused(408, "closed a connection whose body did not arrive in time") from None
        except web.HTTPRequestEntityTooLarge:
            raise Refused(413, f"refused a body over {MAX_BODY_BYTES:,} bytes") from None
        except (ConnectionError, aiohttp.ClientError):
            raise Refused(400, "a client went away before its request was read") from None

    def _verify(self, timestamp: str, body: bytes, signature: str) -> None:
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(f"v0={digest}".encode(), signature.encode("utf-8", "surrogateescape")):
            raise Refused(401, "refused a request with a wrong X-Slack-Signature")
