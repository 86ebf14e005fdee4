"""Providers are found through Python entry points (group `copybot.providers`), built-ins included.

A package registers a provider with, in its pyproject.toml:

    [project.entry-points."copybot.providers"]
    mistral = "copybot_mistral:PROVIDER"

where `PROVIDER` is a `ProviderSpec`. `COPYBOT_LLM=mistral` then selects it;
`COPYBOT_LLM=auto` tries the providers that rank for it (`auto_rank`, lowest
first) and takes the first one `available` with the settings given. A spec
module must import quickly: import the provider's SDK inside `create`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from bot.errors import ConfigError, LLMUnavailable
from bot.workflow.llm.base import LLM

GROUP = "copybot.providers"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderConfig:
    """What a provider is built from: copybot's call settings, and the environment for the provider's own."""

    max_retries: int = 3
    timeout_s: float = 120.0
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def get(self, name: str, default: str = "") -> str:
        """The provider's own setting `name` (e.g. ANTHROPIC_API_KEY), trimmed; `default` when unset."""
        return self.env.get(name, "").strip() or default


@dataclass(frozen=True)
class ProviderSpec:
    """One provider as the registry knows it."""

    name: str
    description: str
    create: Callable[[ProviderConfig], LLM]
    available: Callable[[ProviderConfig], bool] = lambda _config: True
    auto_rank: int | None = None
    """`COPYBOT_LLM=auto` tries providers with a rank, lowest first; None: only when named."""
    default_models: tuple[str, str] | None = None
    """(orchestrator, worker) models when COPYBOT_ORCHESTRATOR_MODEL / COPYBOT_WORKER_MODEL are unset; None: they
    must be set (a server whose models copybot cannot guess)."""
    list_models: Callable[[ProviderConfig], Awaitable[Sequence[str]]] | None = None
    """The models the server serves (LLMError when it cannot say), asked when there are no `default_models` and the
    models are not both set: a server that lists exactly one gets it for both roles."""
    unavailable: str = ""
    """Why `auto` could not use it (e.g. "ANTHROPIC_API_KEY is not set"), for the error when none is available."""
    hint: str = ""
    """How to make it available, shown in the same error."""


def providers() -> dict[str, ProviderSpec]:
    """Every registered provider by name. A plugin that fails to load is logged and skipped."""
    found: dict[str, ProviderSpec] = {}
    for entry in entry_points(group=GROUP):
        try:
            spec = entry.load()
        except Exception:
            log.exception("the copybot provider %r (%s) could not be loaded", entry.name, entry.value)
            continue
        if not isinstance(spec, ProviderSpec):
            log.error("the copybot provider %r (%s) is not a ProviderSpec", entry.name, entry.value)
            continue
        found.setdefault(spec.name, spec)
    return found


def choose(name: str, config: ProviderConfig, registry: Mapping[str, ProviderSpec] | None = None) -> ProviderSpec:
    """The provider COPYBOT_LLM=`name` selects (`auto`: the first available by rank)."""
    known = providers() if registry is None else registry
    if name != "auto":
        spec = known.get(name)
        if spec is None:
            raise ConfigError(
                f"COPYBOT_LLM={name!r} is not a known provider; known: auto, {', '.join(sorted(known))}.",
                hint="Unset it to let copybot choose (auto), or install the plugin that provides it.",
            )
        return spec
    ranked = sorted((s for s in known.values() if s.auto_rank is not None), key=lambda s: s.auto_rank or 0)
    for spec in ranked:
        if spec.available(config):
            return spec
    reasons = [s.unavailable or f"{s.name} is not available" for s in ranked]
    hints = [s.hint for s in ranked if s.hint]
    raise LLMUnavailable(
        "No language model is available: " + (" and ".join(reasons) or "no provider is installed") + ".",
        hint=(", or ".join(hints) + ".") if hints else "",
    )
