"""Fixtures for the provider tests: prompts, the fake OpenAI-compatible server, a scripted LLM."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.workflow.llm.base import Prompt
from tests.support.openai_api import FakeOpenAI


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def worker_prompt() -> Prompt:
    return Prompt(role="worker", name="worker", text="Write copy for a kettle.", sha256="0" * 64)
