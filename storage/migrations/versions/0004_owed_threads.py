"""Slack threads owed posts, the orchestrator's reply when its plan failed, and usage a server did not report.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10

- runs.slack_owed: a Slack run whose thread is not fully posted yet (its process stopped or crashed first); the
  next start finishes it. Slack runs that are unfinished now (a crash before this upgrade) are owed.
- llm_calls.reply: the model's raw reply, kept when the plan it held could not be used.
- llm_calls.usage_reported: false when the server sent no token counts (the stored zeros are not real).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("slack_owed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_runs_slack_owed", ["slack_owed"])
    op.execute(
        sa.text(
            "UPDATE runs SET slack_owed = :owed WHERE source = 'slack' AND status IN ('planning', 'writing')"
        ).bindparams(owed=True)
    )
    with op.batch_alter_table("llm_calls") as batch:
        batch.add_column(sa.Column("reply", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("usage_reported", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.drop_column("usage_reported")
        batch.drop_column("reply")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_slack_owed")
        batch.drop_column("slack_owed")
