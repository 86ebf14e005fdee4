"""COPYBOT_PRICES: prices of the operator's own put before the provider's, so that history, `copybot stats` and App
Home show a cost instead of "unknown"; one way of showing a cost everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.services import Stats
from bot.services.stats import UNKNOWN_COST, cost_text
from bot.slack.home import home_view
from bot.workflow.llm.base import Price
from bot.workflow.llm.prices import PER_MILLION, Priced
from bot.workflow.records import Usage
from bot.workflow.voice import Voice
from storage import DatabaseConfig, open_repository
from tests.support.anthropic_api import FakeAnthropic, tag_text
from tests.support.cli import copybot
from tests.support.plans import ORCHESTRATOR, WORKER, plan_reply
from tests.support.scripted import ScriptedLLM

PRICES = f"{ORCHESTRATOR}=3/15,{WORKER}=1/5"


def test_own_prices_come_first_then_the_providers() -> None:
    llm = ScriptedLLM()
    priced = Priced(llm, Settings.from_env({"COPYBOT_PRICES": "claude-sonnet-4-5=4/20, my-model=0.5/1.5"}).prices)
    assert priced.price("claude-sonnet-4-5-20250929") == Price(4.0, 20.0)  # a date suffix matches, as in the table
    assert priced.price("my-model") == Price(0.5, 1.5)
    assert priced.price("claude-haiku-4-5") == PER_MILLION["claude-haiku-4-5"]  # not listed: the provider's
    assert priced.price("nobody-knows") is None
    assert (priced.provider, priced.capabilities, priced.describe("m")) == (
        llm.provider,
        llm.capabilities,
        llm.describe("m"),
    )


def test_a_cost_reads_the_same_everywhere() -> None:
    assert cost_text(0.012345) == "$0.0123" and cost_text(1234.5) == "$1,234.5000"
    assert cost_text(None) == UNKNOWN_COST and "COPYBOT_PRICES" in UNKNOWN_COST


@pytest.mark.parametrize(
    ("cost", "unpriced", "shown"),
    [
        (0.0456, 0, "cost $0.0456."),
        (0.0456, 1, "cost $0.0456 (and 1 run of unknown cost)."),
        (None, 2, f"cost {UNKNOWN_COST}."),
    ],
)
def test_app_home_shows_this_months_cost(cost: float | None, unpriced: int, shown: str) -> None:
    stats = Stats("T1", datetime(2026, 12, 1, tzinfo=UTC), Usage(2, 5, 1000, 300, cost, unpriced), ())
    view = home_view([], stats, Voice(), "T1")
    assert view["blocks"][-1]["elements"][0]["text"].endswith(shown)


async def test_with_prices_set_history_and_stats_show_the_cost_of_the_stored_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeAnthropic(api_key="test-key") as fake:
        fake.on(ORCHESTRATOR, plan_reply(("playful", "technical"), "Hikers."))
        fake.on(WORKER, lambda r: f"<response>{tag_text(r.prompt, 'style')} copy</response>")
        assert (await copybot(fake, tmp_path, "run", "Eco bottle")).code == 0  # no prices yet: unknown
        monkeypatch.setenv("COPYBOT_PRICES", PRICES)
        assert (await copybot(fake, tmp_path, "run", "Eco bottle")).code == 0
        unpriced = await copybot(fake, tmp_path, "history", "show", "1")
        priced = await copybot(fake, tmp_path, "history", "show", "2")
        stats = json.loads((await copybot(fake, tmp_path, "stats", "--json")).out)
        text = await copybot(fake, tmp_path, "stats")
    assert f"estimated cost {UNKNOWN_COST}" in unpriced.out
    repository = await open_repository(DatabaseConfig.parse(f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"))
    try:
        detail = await repository.run_detail(2)
    finally:
        await repository.aclose()
    assert detail is not None
    rates = {ORCHESTRATOR: (3.0, 15.0), WORKER: (1.0, 5.0)}
    expected = sum(
        (c.input_tokens * rates[c.model][0] + c.output_tokens * rates[c.model][1]) / 1_000_000 for c in detail.calls
    )
    assert expected > 0 and detail.estimated_cost_usd == pytest.approx(expected)
    assert f"estimated cost ${expected:,.4f}" in priced.out
    assert (stats["runs"], stats["unpriced_runs"]) == (2, 1)  # the run before the prices: its cost stays unknown
    assert stats["cost_usd"] == pytest.approx(expected)
    assert f"cost ${expected:,.4f} (and 1 run of unknown cost)" in text.out


def test_bad_prices_name_the_variable_and_the_entry() -> None:
    for raw in ("claude=3", "claude=3/15/4", "claude=three/15", "=3/15", "claude=-3/15", "a=1/2,a=2/3"):
        with pytest.raises(ConfigError) as error:
            Settings.from_env({"COPYBOT_PRICES": raw})
        assert "COPYBOT_PRICES" in str(error.value), raw
