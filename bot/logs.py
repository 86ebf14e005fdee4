"""Logging: text (the default) or one JSON object per line (COPYBOT_LOG_FORMAT=json), with secrets masked either way.

A JSON line has `ts`, `level`, `logger`, `message` and, while a run executes, `run_id` (the `RUN_ID` context
variable, set by the services; a text line shows it as `[run N]`). Every line passes through `Redactor` before it
is written: the values of the secrets copybot was given (tokens, the signing secret, API keys, the database
password) and anything shaped like a Slack or Anthropic token become `***`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from urllib.parse import urlsplit

RUN_ID: ContextVar[int | None] = ContextVar("copybot_run_id", default=None)
MASK = "***"
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|KEY|PASSWORD)$")
_TOKEN_SHAPES = re.compile(r"\b(?:xox[abeoprs]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|sk-[A-Za-z0-9_-]{12,})")
MIN_SECRET_CHARS = 6  # shorter values are not masked: they would mask ordinary words


def secrets_in(env: Mapping[str, str]) -> list[str]:
    """The secret values in `env`: variables named *_TOKEN, *_SECRET, *_KEY or *_PASSWORD, and DATABASE_URL's
    password."""
    found = [value.strip() for name, value in env.items() if _SECRET_NAME.search(name) and value.strip()]
    password = urlsplit(env.get("DATABASE_URL", "")).password
    if password:
        found.append(password)
    return [s for s in found if len(s) >= MIN_SECRET_CHARS]


class Redactor:
    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted(set(secrets), key=len, reverse=True)  # a secret inside another is masked whole

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _TOKEN_SHAPES.sub(MASK, text)


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        run_id = RUN_ID.get()
        return self._redact(line if run_id is None else f"[run {run_id}] {line}")


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(message),
        }
        run_id = RUN_ID.get()
        if run_id is not None:
            line["run_id"] = run_id
        return json.dumps(line, ensure_ascii=False)


def formatter(log_format: str, env: Mapping[str, str]) -> logging.Formatter:
    """The formatter COPYBOT_LOG_FORMAT names ("text" or "json"), masking the secrets in `env`."""
    redact = Redactor(secrets_in(env))
    return JsonFormatter(redact) if log_format == "json" else TextFormatter(redact)


OWN_LOGGERS = ("bot", "storage")


def configure(log_format: str, env: Mapping[str, str], *, verbosity: int) -> None:
    """Send log records to stderr in `log_format`. verbosity 0: warnings and errors; 1 (-v): copybot's own loggers
    (bot.*, storage.*) at DEBUG, libraries (aiosqlite, slack_bolt...) at INFO; 2 (-vv): everything at DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format, env))
    levels = (logging.WARNING, logging.INFO, logging.DEBUG)
    logging.basicConfig(level=levels[min(verbosity, 2)], handlers=[handler])
    if verbosity == 1:
        for own in OWN_LOGGERS:
            logging.getLogger(own).setLevel(logging.DEBUG)
