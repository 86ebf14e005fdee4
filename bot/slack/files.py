"""The text of a Slack message for a brief: the message itself, then its text, Markdown and PDF files.

Files are read with the bot token (scope `files:read`) when Slack lets the app see them; anything that cannot be
read (too big, another type, no permission, too slow) is skipped: the form still opens with what was read.
The whole read is bounded by READ_TIMEOUT_S, so the form opens within Slack's 3 s trigger window.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.parsing import unslack

log = logging.getLogger(__name__)
READ_TIMEOUT_S = 1.5
MAX_FILE_BYTES = 5 * 1024 * 1024
TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")
PDF = "application/pdf"


def _pdf_text(data: bytes, limit: int) -> str:
    from pypdf import PdfReader  # loaded only for a PDF

    text = ""
    for page in PdfReader(io.BytesIO(data)).pages:
        text += (page.extract_text() or "") + "\n"
        if len(text) >= limit:
            break
    return text


async def _file_text(session: aiohttp.ClientSession, token: str, file: Mapping[str, Any], limit: int) -> str:
    kind = str(file.get("mimetype") or "")
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url or kind not in (*TEXT_TYPES, PDF) or int(file.get("size") or 0) > MAX_FILE_BYTES:
        return ""
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        if response.status != 200:
            log.info("could not read a file of the message (HTTP %d)", response.status)
            return ""
        data = await response.content.read(MAX_FILE_BYTES)
    if kind == PDF:
        return await asyncio.to_thread(_pdf_text, data, limit)
    return data.decode("utf-8", errors="replace")


async def message_text(client: AsyncWebClient, message: Mapping[str, Any], limit: int) -> str:
    """The message's text and its readable files' text, at most `limit` characters."""
    parts = [unslack(str(message.get("text") or ""))]
    files = [f for f in message.get("files") or () if isinstance(f, dict)]
    if files and client.token:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S), aiohttp.ClientSession() as session:
                for file in files:
                    if sum(len(p) for p in parts) >= limit:
                        break
                    parts.append(await _file_text(session, client.token, file, limit))
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            log.info("stopped reading the message's files: %s", type(exc).__name__)
    text = "\n\n".join(" ".join(p.split()) for p in parts if p.strip())
    return text[:limit]
