"""Fixtures: the fake Anthropic API on 127.0.0.1 and Workflows built on the real AnthropicLLM."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.workflow import Workflow, WorkflowConfig
from bot.workflow.llm.anthropic import AnthropicLLM
from tests.support.anthropic_api import FakeAnthropic
from tests.support.plans import ORCHESTRATOR, WORKER
from tests.support.scripted import NonStreaming

MakeWorkflow = Callable[..., Workflow]


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic() as server:
        yield server


@pytest.fixture
async def make_llm(fake: FakeAnthropic) -> AsyncIterator[Callable[..., AnthropicLLM]]:
    """AnthropicLLM(api_key="test", base_url=fake.url, ...); closed after the test."""
    made: list[AnthropicLLM] = []

    def make(*, max_retries: int = 0, timeout_s: float = 10.0) -> AnthropicLLM:
        llm = AnthropicLLM(api_key="test", base_url=fake.url, max_retries=max_retries, timeout_s=timeout_s)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        await llm.aclose()


@pytest.fixture
def make_workflow(make_llm: Callable[..., AnthropicLLM]) -> MakeWorkflow:
    """A Workflow over the real AnthropicLLM; `stream=False` hides its streaming."""

    def make(*, max_retries: int = 0, timeout_s: float = 10.0, stream: bool = True, **config: Any) -> Workflow:
        llm = make_llm(max_retries=max_retries, timeout_s=timeout_s)
        settings = WorkflowConfig(orchestrator_model=ORCHESTRATOR, worker_model=WORKER, **config)
        return Workflow(llm if stream else NonStreaming(llm), settings)

    return make
