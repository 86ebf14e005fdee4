"""The local provider's own settings: how it samples copy, how many candidates it writes, which prompts it gets.

Defaults were measured with bench/offline_quality.py on the bundled SmolLM2-135M (README, "Offline quality").
Each setting is validated when the provider is built, with an error naming the variable and its range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.errors import ConfigError
from bot.workflow.llm.registry import ProviderConfig

PROMPTS = ("small", "full")


@dataclass(frozen=True)
class LocalSettings:
    temperature: float = 0.6
    """COPYBOT_LOCAL_TEMPERATURE: sampling temperature of the copy, 0-2."""
    top_p: float = 0.9
    """COPYBOT_LOCAL_TOP_P: nucleus sampling, above 0 and at most 1."""
    repeat_penalty: float = 1.15
    """COPYBOT_LOCAL_REPEAT_PENALTY: how much recent tokens are held back, 1 (none) to 2."""
    candidates: int = 3
    """COPYBOT_LOCAL_CANDIDATES: copies written per variation, the best kept, 1-5."""
    prompts: str = "small"
    """COPYBOT_LOCAL_PROMPTS: `small`, the few-shot prompts a small model can continue; `full`, the instruction
    prompts, for a GGUF model that follows instructions."""

    @property
    def follows_instructions(self) -> bool:
        return self.prompts == "full"

    @classmethod
    def from_config(cls, config: ProviderConfig) -> LocalSettings:
        prompts = config.get("COPYBOT_LOCAL_PROMPTS", cls.prompts).lower()
        if prompts not in PROMPTS:
            raise ConfigError(
                f"COPYBOT_LOCAL_PROMPTS={prompts!r} is not small or full.",
                hint="Use small (the bundled model) or full (a GGUF model that follows instructions).",
            )
        return cls(
            temperature=_number(config, "COPYBOT_LOCAL_TEMPERATURE", cls.temperature, 0.0, 2.0),
            top_p=_number(config, "COPYBOT_LOCAL_TOP_P", cls.top_p, 0.0, 1.0, open_low=True),
            repeat_penalty=_number(config, "COPYBOT_LOCAL_REPEAT_PENALTY", cls.repeat_penalty, 1.0, 2.0),
            candidates=_whole(config, "COPYBOT_LOCAL_CANDIDATES", cls.candidates, 1, 5),
            prompts=prompts,
        )


def _number(
    config: ProviderConfig, name: str, default: float, low: float, high: float, open_low: bool = False
) -> float:
    raw = config.get(name)
    span = f"{'above ' if open_low else ''}{low:g} to {high:g}"
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number.", hint=f"Use {span} (default {default:g}).") from None
    if not math.isfinite(value) or value < low or value > high or (open_low and value == low):
        raise ConfigError(f"{name}={raw} is out of range.", hint=f"Use {span} (default {default:g}).")
    return value


def _whole(config: ProviderConfig, name: str, default: int, low: int, high: int) -> int:
    raw = config.get(name)
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"{name}={raw!r} is not a whole number.", hint=f"Use {low}-{high} (default {default}).")
    value = int(raw)
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range.", hint=f"Use {low}-{high} (default {default}).")
    return value
