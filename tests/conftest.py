"""Shared test setup: nothing here may reach the internet."""

from __future__ import annotations

import pytest

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def _no_proxies_no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk ignores NO_PROXY, so a proxy would swallow calls to 127.0.0.1; real keys must never be used."""
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    secrets = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "OPENAI_API_KEY")
    for name in (*secrets, "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):  # Bolt reads the last two itself
        monkeypatch.delenv(name, raising=False)
