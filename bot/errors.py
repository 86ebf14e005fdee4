"""The one error tree of copybot.

    CopybotError              every error we raise on purpose; `str()` is user-facing
    ├── ConfigError           a setting is missing or malformed (names the variable)
    ├── RequestError          a copy request is empty, too long or malformed
    ├── PromptError           a prompt template is missing or misses a variable
    ├── PlanError             the orchestrator's reply held no usable task (keeps .raw)
    ├── LLMError              a model call failed after retries (keeps .retryable)
    │   └── LLMUnavailable    no provider can be used (no key, nothing installed)
    └── StorageError          the database cannot be used as it is
        └── SchemaTooNew      the database was migrated by a newer copybot

Every message says what happened; `hint` says what to do next.
"""

from __future__ import annotations


class CopybotError(Exception):
    """Base of every deliberate copybot error."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(CopybotError):
    """A setting is missing or malformed."""


class RequestError(CopybotError):
    """A copy request cannot be run as given."""


class PromptError(CopybotError):
    """A prompt template cannot be rendered."""


class PlanError(CopybotError):
    """The orchestrator's reply held no usable task."""

    def __init__(self, message: str, *, raw: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.raw = raw


class LLMError(CopybotError):
    """A model call failed (after the provider's own retries)."""

    def __init__(self, message: str, *, retryable: bool = False, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.retryable = retryable


class LLMUnavailable(LLMError):
    """No language model provider can be used with the current settings."""


class StorageError(CopybotError):
    """The database cannot be used as it is."""


class SchemaTooNew(StorageError):
    """The database schema is newer than this copybot."""


INTERNAL_ERROR = "copybot hit an internal error; the team's admin can see why in the logs."


def describe(error: BaseException) -> str:
    """What to tell a user about `error`: our own message, or INTERNAL_ERROR for anything unexpected (its type and
    text may hold SQL, paths or internal names: they belong in the log)."""
    if isinstance(error, CopybotError):
        return str(error)
    return INTERNAL_ERROR
