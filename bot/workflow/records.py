"""Stored runs as plain frozen values: what storage returns and the application's read models show.

They are domain values (no ORM object ever leaves storage/): storage builds
them, the application services hand them to the adapters (history, Slack).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.workflow.formats import FieldText, Format
from bot.workflow.types import RunStatus, VariationKind, VariationStatus


class RunSource(StrEnum):
    SLACK = "slack"
    CLI = "cli"


@dataclass(frozen=True)
class Origin:
    """Who asked, and from where; stored with the run. `enterprise_id`: the Enterprise Grid organisation of the
    workspace `team_id` ("" outside Grid), which finds the installation whose token answers there."""

    source: RunSource
    team_id: str = ""
    channel_id: str = ""
    user_id: str = ""
    user_name: str = ""
    enterprise_id: str = ""


@dataclass(frozen=True)
class MessageRef:
    """The variation a Slack message shows."""

    run_id: int
    position: int


@dataclass(frozen=True)
class Vote:
    """One user's favourite in a run; `how` is a reaction emoji name or "button"."""

    user_id: str
    position: int
    how: str
    created_at: datetime


@dataclass(frozen=True)
class VariationRecord:
    position: int
    type: str
    description: str
    text: str
    status: VariationStatus
    error: str
    truncated: bool
    slack_ts: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: int | None
    kind: VariationKind = VariationKind.ORIGINAL
    parent_position: int | None = None
    instruction: str = ""
    requested_by: str = ""
    fields: tuple[FieldText, ...] = ()
    over_limit: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()
    votes: tuple[Vote, ...] = ()


@dataclass(frozen=True)
class CallRecord:
    """One stored model call."""

    id: int
    role: str
    position: int | None
    prompt_name: str
    prompt_sha256: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    duration_ms: int
    stop_reason: str
    error: str
    request_id: str
    created_at: datetime
    reply: str  # the raw reply, kept when the plan it held could not be used
    usage_reported: bool  # False: the server sent no token counts (the zeros are not real)


@dataclass(frozen=True)
class RunSummary:
    """One line of history. The favourite is the most-voted variation (lowest position on a tie)."""

    id: int
    created_at: datetime
    finished_at: datetime | None
    source: RunSource
    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    product: str
    status: RunStatus
    error: str
    slack_channel: str
    slack_thread_ts: str
    variation_count: int
    done_count: int
    favourite_position: int | None
    favourite_type: str | None
    favourite_votes: int


@dataclass(frozen=True)
class RunPage:
    """A page of history, newest first; pass `next_before` as `before` for the next page (None: no more)."""

    runs: tuple[RunSummary, ...]
    next_before: int | None


@dataclass(frozen=True)
class RunDetail:
    """One run in full: the request, the outcome, every variation with its votes, every model call.

    `runner` is the process that executed it ("<host>:<pid>:<boot>", storage/runner.py; "" before 0002)
    and `heartbeat_at` its last write; `slack_owed`: its Slack thread is not fully posted yet."""

    id: int
    source: RunSource
    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    product: str
    audience: str
    features: tuple[str, ...]
    tone: str
    max_variations: int
    status: RunStatus
    analysis: str
    error: str
    slack_channel: str
    slack_thread_ts: str
    created_at: datetime
    finished_at: datetime | None
    runner: str
    heartbeat_at: datetime
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    estimated_cost_usd: float | None
    slack_owed: bool
    variations: tuple[VariationRecord, ...]
    calls: tuple[CallRecord, ...]
    format: Format | None = None
    voice_versions: tuple[int, ...] = ()  # the brand voice versions it was written in
    enterprise_id: str = ""  # the Enterprise Grid organisation of team_id ("" outside Grid)


@dataclass(frozen=True)
class Usage:
    """What a workspace used over a period."""

    runs: int
    variations: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # of the runs whose cost is known; None when no run's is
    unpriced_runs: int = 0  # runs whose cost is unknown (a model's price or a call's usage was not known)


@dataclass(frozen=True)
class Winner:
    """A run's most-voted variation (lowest position on a tie)."""

    run_id: int
    position: int
    style: str
    text: str
    votes: int
