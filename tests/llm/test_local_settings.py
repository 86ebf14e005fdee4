"""The local provider's settings (COPYBOT_LOCAL_*): defaults, valid values, and bad values refused by name."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.workflow.llm.local_settings import LocalSettings
from bot.workflow.llm.registry import ProviderConfig
from tests.support.anthropic_api import FakeAnthropic
from tests.support.cli import copybot


def settings(**env: str) -> LocalSettings:
    return LocalSettings.from_config(ProviderConfig(env=env))


def test_defaults_are_the_measured_ones_and_pick_the_small_prompts() -> None:
    default = settings()
    assert (default.temperature, default.top_p, default.repeat_penalty, default.candidates) == (0.6, 0.9, 1.15, 3)
    assert not default.follows_instructions


def test_every_setting_is_read() -> None:
    read = settings(
        COPYBOT_LOCAL_TEMPERATURE="0.9",
        COPYBOT_LOCAL_TOP_P=" 1 ",
        COPYBOT_LOCAL_REPEAT_PENALTY="1",
        COPYBOT_LOCAL_CANDIDATES="5",
        COPYBOT_LOCAL_PROMPTS="Full",
    )
    assert (read.temperature, read.top_p, read.repeat_penalty, read.candidates) == (0.9, 1.0, 1.0, 5)
    assert read.follows_instructions
    assert settings(COPYBOT_LOCAL_TEMPERATURE="0").temperature == 0.0  # greedy is allowed


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("COPYBOT_LOCAL_TEMPERATURE", "hot", "is not a number"),
        ("COPYBOT_LOCAL_TEMPERATURE", "-0.1", "out of range"),
        ("COPYBOT_LOCAL_TEMPERATURE", "2.5", "out of range"),
        ("COPYBOT_LOCAL_TEMPERATURE", "nan", "out of range"),
        ("COPYBOT_LOCAL_TEMPERATURE", "inf", "out of range"),
        ("COPYBOT_LOCAL_TOP_P", "0", "out of range"),
        ("COPYBOT_LOCAL_TOP_P", "1.01", "out of range"),
        ("COPYBOT_LOCAL_REPEAT_PENALTY", "0.9", "out of range"),
        ("COPYBOT_LOCAL_REPEAT_PENALTY", "1,2", "is not a number"),
        ("COPYBOT_LOCAL_CANDIDATES", "0", "out of range"),
        ("COPYBOT_LOCAL_CANDIDATES", "6", "out of range"),
        ("COPYBOT_LOCAL_CANDIDATES", "2.5", "is not a whole number"),
        ("COPYBOT_LOCAL_CANDIDATES", "\uff13", "is not a whole number"),  # a full-width 3
        ("COPYBOT_LOCAL_CANDIDATES", "-1", "is not a whole number"),
        ("COPYBOT_LOCAL_PROMPTS", "tiny", "is not small or full"),
    ],
)
def test_bad_values_name_the_variable_and_the_range(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        settings(**{name: value})
    assert name in str(error.value) and says in str(error.value)
    assert error.value.hint  # the range to use


# Without llama-cpp-python the provider stops earlier, at "not installed", before its settings are read (CI
# installs the local extra, so this runs there).
@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None,
    reason="llama-cpp-python is not installed: pip install -e '.[local]'",
)
async def test_copybot_run_refuses_a_bad_setting_before_loading_the_model(tmp_path: Path) -> None:
    async with FakeAnthropic() as fake:
        done = await copybot(
            fake,
            tmp_path,
            "run",
            "eco-friendly water bottle",
            env={"COPYBOT_LLM": "local", "ANTHROPIC_API_KEY": "", "COPYBOT_LOCAL_CANDIDATES": "many"},
        )
        assert fake.requests == []
    assert done.code != 0
    assert "COPYBOT_LOCAL_CANDIDATES='many' is not a whole number" in done.err
    assert "Traceback" not in done.err
