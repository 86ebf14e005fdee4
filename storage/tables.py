"""The schema, as SQLAlchemy 2 typed models. Migrations (storage/migrations) create exactly this.

Timestamps are timezone-aware UTC on both SQLite and PostgreSQL. History is
paged by run id (unique and growing with creation time), so its indexes end
with `id`: (team_id, channel_id, id), (team_id, user_id, id), (team_id, id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.workflow.records import RunSource
from bot.workflow.types import Role, RunStatus, VariationKind, VariationStatus, printable

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


PRODUCT_SEARCH_INDEX = "ix_runs_product_trgm"
"""PostgreSQL only, when pg_trgm can be installed: made by the migration, not by the models."""


SLACK_SDK_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})
"""slack_sdk's installation and OAuth state stores' tables (OAuth mode): made by migration 0008 after the stores' own
definitions, read and written by the stores only, so no model here describes them."""


def include_object(item: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    """Alembic autogenerate filter: leave the optional search index and slack_sdk's tables alone."""
    return not (kind == "index" and name == PRODUCT_SEARCH_INDEX) and not (kind == "table" and name in SLACK_SDK_TABLES)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime everywhere (SQLite keeps no zone: naive values read back as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PrintableText(TypeDecorator[str]):
    """Text stored without control characters but tab and newline, whoever wrote it: a NUL fails a PostgreSQL
    insert, and nothing the model or a user typed may drive the terminal that shows it later."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else printable(value)


class PrintableString(TypeDecorator[str]):
    """A VARCHAR(length) like PrintableText; a longer value (a hostile header, an odd server) is cut to fit."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        length = getattr(self.impl, "length", None)
        return None if value is None else printable(value)[:length]


E = TypeVar("E", bound=StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A StrEnum stored as its value in a VARCHAR; read back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def one_of(column: str, enum: type[StrEnum]) -> str:
    """A CHECK constraint's text: `column` holds one of `enum`'s values."""
    return f"{column} IN ({', '.join(repr(member.value) for member in enum)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), str: String()}


class Run(Base):
    """One run. `runner` is the process executing it (storage/runner.py); every write for the run moves
    `heartbeat_at`, so recovery can tell a live run in another process from one a crash left behind.
    `slack_owed`: a Slack run whose thread is not fully posted yet (the next start finishes it)."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(one_of("source", RunSource), name="source"),
        CheckConstraint(one_of("status", RunStatus), name="status"),
        Index("ix_runs_team_channel", "team_id", "channel_id", "id"),
        Index("ix_runs_team_user", "team_id", "user_id", "id"),
        Index("ix_runs_team_user_created", "team_id", "user_id", "created_at"),
        Index("ix_runs_team", "team_id", "id"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_slack_thread", "slack_channel", "slack_thread_ts"),
        Index("ix_runs_slack_owed", "slack_owed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[RunSource] = mapped_column(StrEnumType(RunSource, 8))
    team_id: Mapped[str] = mapped_column(PrintableString(32), default="")
    channel_id: Mapped[str] = mapped_column(PrintableString(32), default="")
    user_id: Mapped[str] = mapped_column(PrintableString(32), default="")
    user_name: Mapped[str] = mapped_column(PrintableString(255), default="")
    product: Mapped[str] = mapped_column(PrintableText())
    audience: Mapped[str] = mapped_column(PrintableText(), default="")
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    tone: Mapped[str] = mapped_column(PrintableText(), default="")
    max_variations: Mapped[int] = mapped_column(Integer)
    status: Mapped[RunStatus] = mapped_column(StrEnumType(RunStatus, 16), default=RunStatus.PLANNING)
    analysis: Mapped[str] = mapped_column(PrintableText(), default="")
    error: Mapped[str] = mapped_column(PrintableText(), default="")
    slack_channel: Mapped[str] = mapped_column(PrintableString(32), default="")
    slack_thread_ts: Mapped[str] = mapped_column(PrintableString(32), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    runner: Mapped[str] = mapped_column(PrintableString(255), default="", server_default="")
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    slack_owed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    estimated_cost_usd: Mapped[float | None] = mapped_column(Float, default=0.0)
    format: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # bot.workflow.formats.to_dict
    voice_versions: Mapped[list[int] | None] = mapped_column(JSON)  # the voice_versions ids it was written in
    enterprise_id: Mapped[str] = mapped_column(PrintableString(32), default="", server_default="")  # Grid's org


class VariationRow(Base):
    __tablename__ = "variations"
    __table_args__ = (
        CheckConstraint(one_of("status", VariationStatus), name="status"),
        CheckConstraint(one_of("kind", VariationKind), name="kind"),
        Index("ix_variations_slack_ts", "slack_ts"),
    )

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(PrintableText())
    description: Mapped[str] = mapped_column(PrintableText(), default="")
    text: Mapped[str] = mapped_column(PrintableText(), default="")
    status: Mapped[VariationStatus] = mapped_column(StrEnumType(VariationStatus, 16), default=VariationStatus.WRITING)
    error: Mapped[str] = mapped_column(PrintableText(), default="")
    truncated: Mapped[bool] = mapped_column(default=False)
    slack_ts: Mapped[str] = mapped_column(PrintableString(32), default="")
    model: Mapped[str] = mapped_column(PrintableString(255), default="")
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[VariationKind] = mapped_column(
        StrEnumType(VariationKind, 16), default=VariationKind.ORIGINAL, server_default=VariationKind.ORIGINAL.value
    )
    parent_position: Mapped[int | None] = mapped_column(Integer)
    instruction: Mapped[str] = mapped_column(PrintableText(), default="", server_default="")
    requested_by: Mapped[str] = mapped_column(PrintableString(32), default="", server_default="")
    fields: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # a format's field instances, written
    over_limit: Mapped[list[str] | None] = mapped_column(JSON)  # what is still wrong with them
    violations: Mapped[list[str] | None] = mapped_column(JSON)  # the brand voice's terms still broken


class CallRow(Base):
    """One model call. `reply` is the raw reply when the plan it held could not be used; `usage_reported` is false
    when the server sent no token counts (the zeros stored are not real)."""

    __tablename__ = "llm_calls"
    __table_args__ = (
        CheckConstraint(one_of("role", Role), name="role"),
        Index("ix_llm_calls_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(StrEnumType(Role, 16))
    position: Mapped[int | None] = mapped_column(Integer)
    prompt_name: Mapped[str] = mapped_column(PrintableString(64))
    prompt_sha256: Mapped[str] = mapped_column(PrintableString(64))
    provider: Mapped[str] = mapped_column(PrintableString(32))
    model: Mapped[str] = mapped_column(PrintableString(255))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer)
    stop_reason: Mapped[str] = mapped_column(PrintableString(32), default="")
    error: Mapped[str] = mapped_column(PrintableText(), default="")
    request_id: Mapped[str] = mapped_column(PrintableString(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply: Mapped[str] = mapped_column(PrintableText(), default="", server_default="")
    usage_reported: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class FavouriteRow(Base):
    """One vote per (run, user): picking another variation moves it."""

    __tablename__ = "favourites"
    __table_args__ = (
        ForeignKeyConstraint(["run_id", "position"], ["variations.run_id", "variations.position"], ondelete="CASCADE"),
    )

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(PrintableString(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    how: Mapped[str] = mapped_column(PrintableString(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedEvent(Base):
    """A Slack event id seen once; a redelivery finds it here and is dropped."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(PrintableString(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class VoiceVersionRow(Base):
    """One version of a scope's brand voice (a workspace: channel_id ""); the newest is the scope's voice."""

    __tablename__ = "voice_versions"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(PrintableString(32))
    channel_id: Mapped[str] = mapped_column(PrintableString(32))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(PrintableText())
    banned: Mapped[list[str]] = mapped_column(JSON)
    required: Mapped[list[str]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(PrintableString(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TasteSnapshot(Base):
    """What a run's orchestrator was shown of its team's taste: the styles, and the favourites (run, position)."""

    __tablename__ = "taste_snapshots"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    styles: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    shown: Mapped[list[list[int]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
