"""Budgets over real HTTP: COPYBOT_MONTHLY_TOKEN_BUDGET (a workspace's input + output tokens this month, UTC) and
COPYBOT_USER_DAILY_RUNS (a person's runs today, UTC). A request past either is refused with the usage and when it
resets, before any model call; a run in flight is never cut; the budgets reset at the month's and the day's turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services import Limits, LimitService, Reason
from bot.services.limits import day_start, next_month
from bot.slack.blocks import ANOTHER_ACTION
from tests.slack.conftest import Bot
from tests.slack.test_refine import Thread, reply
from tests.storage.backends import database_url_fixture
from tests.support.metrics import scrape
from tests.support.slack_requests import click

__all__ = ["database_url_fixture"]

BUDGET = 250  # the first run's plan alone (on the fake) uses more than this


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """SQLite and PostgreSQL: the budgets are queries of their own."""
    return database_url


async def tokens_of_runs(bot: Bot) -> int:
    runs = (await bot.repository.recent_runs("T1")).runs
    details = [await bot.repository.run_detail(run.id) for run in runs]
    return sum(d.input_tokens + d.output_tokens for d in details if d is not None)


@pytest.mark.parametrize("bot_env", [{"COPYBOT_MONTHLY_TOKEN_BUDGET": str(BUDGET)}])
async def test_a_workspace_past_its_tokens_is_refused_with_its_usage_and_when_it_resets(bot: Bot) -> None:
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    (run,) = (await bot.repository.recent_runs("T1")).runs
    detail = await bot.repository.run_detail(run.id)
    assert detail is not None
    (plan,) = [c for c in detail.calls if c.role == "orchestrator"]
    assert plan.input_tokens + plan.output_tokens > BUDGET  # the plan alone spent the budget...
    assert run.status == "done" and run.done_count == 3  # ...and the run in flight was not cut
    used = await tokens_of_runs(bot)
    calls = len(bot.llm.requests)
    answer = await bot.send.command("Another bottle", user_id="U2")
    now = datetime.now(UTC)
    resets = next_month(now)
    assert answer.body["text"] == (
        f":no_entry: This workspace has used {used:,} of its {BUDGET} tokens this month; the budget resets on "
        f"{resets.day} {resets:%B} (UTC). Ask the person who runs copybot for your workspace if you need more sooner."
    )
    await bot.tasks.join()
    assert len(bot.llm.requests) == calls  # refused before any model call
    assert len((await bot.repository.recent_runs("T1")).runs) == 1
    assert (await scrape(bot.url)).value("copybot_refusals_total", reason="monthly_tokens") == 1


@pytest.mark.parametrize("bot_env", [{"COPYBOT_MONTHLY_TOKEN_BUDGET": str(BUDGET)}])
async def test_new_versions_are_refused_too_once_the_tokens_are_spent(bot: Bot, thread: Thread) -> None:
    _, parent_ts, replies = thread
    calls = len(bot.llm.requests)
    await bot.send.event(reply("2 shorter", parent_ts), event_id="E1")
    await bot.send.action(click(replies[0], ANOTHER_ACTION, bot.slack.response_url("another")))
    await bot.tasks.join()
    assert len(bot.llm.requests) == calls
    (refused,) = bot.slack.calls_to("chat.postEphemeral")
    assert "This workspace has used" in refused.params["text"]
    (answer,) = bot.slack.responses["another"]
    assert "This workspace has used" in answer["text"] and answer["response_type"] == "ephemeral"


@pytest.mark.parametrize("bot_env", [{"COPYBOT_MONTHLY_TOKEN_BUDGET": str(BUDGET)}])
async def test_another_workspace_has_its_own_budget(bot: Bot) -> None:
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    answer = await bot.send.command("Eco water bottle", team_id="T2")
    assert "Writing copy" in answer.body["text"]


@pytest.mark.parametrize("bot_env", [{"COPYBOT_USER_DAILY_RUNS": "2"}])
async def test_a_person_past_their_daily_runs_is_refused_others_are_not(bot: Bot) -> None:
    for product in ("Bottle one", "Bottle two"):
        assert "Writing copy" in (await bot.send.command(product)).body["text"]
    await bot.tasks.join()
    calls = len(bot.llm.requests)
    answer = await bot.send.command("Bottle three")
    tomorrow = day_start(datetime.now(UTC)) + timedelta(days=1)
    assert answer.body["text"] == (
        f":no_entry: You have started 2 of your 2 runs today; the limit resets at midnight UTC ({tomorrow.day} "
        f"{tomorrow:%B}, 00:00 UTC). Ask the person who runs copybot for your workspace if you need more."
    )
    await bot.tasks.join()
    assert len(bot.llm.requests) == calls
    assert "Writing copy" in (await bot.send.command("Bottle four", user_id="U2")).body["text"]
    await bot.tasks.join()
    assert (await scrape(bot.url)).value("copybot_refusals_total", reason="daily_runs") == 1


async def test_both_budgets_reset_at_the_turn_of_the_month_and_the_day(bot: Bot) -> None:
    """The services' check on the run the bot stored, with the clock now and then at the next day and month."""
    await bot.send.command("Eco water bottle")
    await bot.tasks.join()
    now = datetime.now(UTC)
    tokens, runs = Limits(monthly_tokens=BUDGET), Limits(daily_runs=1)

    async def check(limits: Limits, at: datetime, *, new_run: bool = True) -> Reason | None:
        refusal = await LimitService(bot.repository, limits, clock=lambda: at).check("T1", "C1", "U1", new_run=new_run)
        return refusal.reason if refusal is not None else None

    assert await check(tokens, now) == Reason.MONTHLY_TOKENS
    assert await check(tokens, now, new_run=False) == Reason.MONTHLY_TOKENS  # new versions spend tokens too
    assert await check(tokens, next_month(now)) is None
    assert await check(runs, now) == Reason.DAILY_RUNS
    assert await check(runs, now, new_run=False) is None  # a new version is no new run
    assert await check(runs, day_start(now) + timedelta(days=1)) is None


def test_the_month_after_december_is_january_of_the_next_year() -> None:
    assert next_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_month(datetime(2026, 2, 1, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)
