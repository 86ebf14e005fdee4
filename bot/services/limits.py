"""Who may start model work, and how much: the allow-lists and the budgets, checked before any model call.

COPYBOT_ALLOWED_CHANNELS / COPYBOT_ALLOWED_USERS (empty: everyone, everywhere), COPYBOT_MONTHLY_TOKEN_BUDGET (a
workspace's input + output tokens this calendar month, UTC) and COPYBOT_USER_DAILY_RUNS (the runs a person started
today, UTC). A refusal says why, when the limit resets and who to ask; it stores nothing and is only counted
(`on_refusal`: the metrics). Limits are checked when work starts, never during it: a run in flight is never cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.services.stats import month_start

if TYPE_CHECKING:
    from storage import Repository

ADMIN = "the person who runs copybot for your workspace"


class Reason(StrEnum):
    """Why a request was refused (the metrics' `reason` label)."""

    CHANNEL = "channel"
    USER = "user"
    MONTHLY_TOKENS = "monthly_tokens"
    DAILY_RUNS = "daily_runs"


@dataclass(frozen=True)
class Limits:
    allowed_channels: frozenset[str] = frozenset()
    allowed_users: frozenset[str] = frozenset()
    monthly_tokens: int | None = None
    daily_runs: int | None = None


@dataclass(frozen=True)
class Refusal:
    reason: Reason
    message: str


def next_month(now: datetime) -> datetime:
    start = month_start(now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


class LimitService:
    def __init__(
        self,
        repository: Repository,
        limits: Limits,
        *,
        on_refusal: Callable[[Reason], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.repository = repository
        self.limits = limits
        self._on_refusal = on_refusal
        self._clock = clock

    async def check(self, team_id: str, channel_id: str, user_id: str, *, new_run: bool) -> Refusal | None:
        """Why this person may not start model work here now, or None when they may. `new_run`: the work is a new
        run (it counts against the person's daily runs); a new version of a run's variation only spends tokens."""
        refusal = self._allowed(channel_id, user_id) or await self._budgets(team_id, user_id, new_run=new_run)
        if refusal is not None and self._on_refusal is not None:
            self._on_refusal(refusal.reason)
        return refusal

    def _allowed(self, channel_id: str, user_id: str) -> Refusal | None:
        limits = self.limits
        if limits.allowed_channels and channel_id not in limits.allowed_channels:
            return Refusal(
                Reason.CHANNEL,
                "copybot is not turned on in this conversation. Use it in a channel where it is on, or ask "
                f"{ADMIN} to turn it on here.",
            )
        if limits.allowed_users and user_id not in limits.allowed_users:
            return Refusal(
                Reason.USER, f"You are not on the list of people who may use copybot. Ask {ADMIN} to add you."
            )
        return None

    async def _budgets(self, team_id: str, user_id: str, *, new_run: bool) -> Refusal | None:
        now = self._clock()
        budget = self.limits.monthly_tokens
        if budget is not None:
            used = await self.repository.team.tokens_used(team_id, month_start(now))
            if used >= budget:
                resets = next_month(now)
                return Refusal(
                    Reason.MONTHLY_TOKENS,
                    f"This workspace has used {used:,} of its {budget:,} tokens this month; the budget resets on "
                    f"{resets:%-d %B} (UTC). Ask {ADMIN} if you need more sooner.",
                )
        runs = self.limits.daily_runs
        if new_run and runs is not None:
            started = await self.repository.team.runs_started(team_id, user_id, day_start(now))
            if started >= runs:
                resets = day_start(now) + timedelta(days=1)
                return Refusal(
                    Reason.DAILY_RUNS,
                    f"You have started {started:,} of your {runs:,} runs today; the limit resets at midnight UTC "
                    f"({resets:%-d %B}, 00:00 UTC). Ask {ADMIN} if you need more.",
                )
        return None
