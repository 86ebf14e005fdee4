"""Which models an OpenAI-compatible server serves (`GET {OPENAI_BASE_URL}/models`).

COPYBOT_LLM=openai has no default models: copybot cannot guess what a server of your own serves. When
COPYBOT_ORCHESTRATOR_MODEL and COPYBOT_WORKER_MODEL are not both set, copybot asks the server, and a server that
lists exactly one model (a llama.cpp server, an Ollama with one model pulled) gets it for both (bot/app.py).
Ollama, vLLM, LM Studio and llama.cpp's server all answer this endpoint.
"""

from __future__ import annotations

import aiohttp

from bot.errors import LLMError
from bot.workflow.llm.connect import unreachable
from bot.workflow.llm.openai import OpenAICompatibleLLM
from bot.workflow.llm.registry import ProviderConfig

_TIMEOUT = aiohttp.ClientTimeout(total=10.0)


async def served_models(config: ProviderConfig) -> list[str]:
    """The ids the server lists; LLMError saying why when it cannot be asked (ConfigError: OPENAI_BASE_URL unset)."""
    llm = OpenAICompatibleLLM.from_config(config)  # checks OPENAI_BASE_URL
    url = f"{llm.base_url}/models"
    try:
        async with (
            aiohttp.ClientSession(timeout=_TIMEOUT, headers=llm.headers) as session,
            session.get(url) as response,
        ):
            if response.status != 200:
                raise LLMError(f"GET {url} answered {response.status}")
            listed = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        why = unreachable(exc) or ("timed out" if isinstance(exc, TimeoutError) else type(exc).__name__)
        raise LLMError(f"GET {url} failed ({why})") from exc
    data = listed.get("data") if isinstance(listed, dict) else None
    if not isinstance(data, list):
        raise LLMError(f"GET {url} sent no model list")
    return [str(m["id"]) for m in data if isinstance(m, dict) and isinstance(m.get("id"), str) and m["id"]]
