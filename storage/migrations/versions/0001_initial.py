"""Initial schema: runs, variations, llm_calls, favourites, processed_events.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

from storage.tables import PRODUCT_SEARCH_INDEX

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("tone", sa.Text(), nullable=False),
        sa.Column("max_variations", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("slack_channel", sa.String(32), nullable=False),
        sa.Column("slack_thread_ts", sa.String(32), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("estimated_cost_usd", sa.Float(), nullable=True),
        sa.CheckConstraint("source IN ('slack', 'cli')", name=op.f("ck_runs_source")),
        sa.CheckConstraint(
            "status IN ('planning', 'writing', 'done', 'partial', 'failed')", name=op.f("ck_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index("ix_runs_team_channel", "runs", ["team_id", "channel_id", "id"])
    op.create_index("ix_runs_team_user", "runs", ["team_id", "user_id", "id"])
    op.create_index("ix_runs_team", "runs", ["team_id", "id"])
    op.create_index("ix_runs_status", "runs", ["status"])
    _product_search_index()

    op.create_table(
        "variations",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("slack_ts", sa.String(32), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('writing', 'done', 'failed')", name=op.f("ck_variations_status")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_variations_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_variations")),
    )
    op.create_index("ix_variations_slack_ts", "variations", ["slack_ts"])

    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("prompt_name", sa.String(64), nullable=False),
        sa.Column("prompt_sha256", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("stop_reason", sa.String(32), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("role IN ('orchestrator', 'worker')", name=op.f("ck_llm_calls_role")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_llm_calls_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_calls")),
    )
    op.create_index(op.f("ix_llm_calls_run_id"), "llm_calls", ["run_id"])

    op.create_table(
        "favourites",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id", "position"],
            ["variations.run_id", "variations.position"],
            name=op.f("fk_favourites_run_id_position_variations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "user_id", name=op.f("pk_favourites")),
    )

    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
    )
    op.create_index(op.f("ix_processed_events_created_at"), "processed_events", ["created_at"])


def _product_search_index() -> None:
    """PostgreSQL: a trigram index serves `product ILIKE '%word%'` (history search) without a scan.

    pg_trgm is a trusted extension (a database owner may create it); where it cannot be created, the
    migration goes on without the index and search scans the runs (SQLite always does: see README).
    """
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        logging.getLogger(__name__).warning("pg_trgm is not available (%s): history search will scan", exc.orig)
        return
    op.create_index(
        PRODUCT_SEARCH_INDEX, "runs", ["product"], postgresql_using="gin", postgresql_ops={"product": "gin_trgm_ops"}
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_table("favourites")
    op.drop_table("llm_calls")
    op.drop_table("variations")
    op.drop_table("runs")
