"""Indexes for the budgets: a workspace's model calls this month, a person's runs today.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03

- ix_llm_calls_created_at: COPYBOT_MONTHLY_TOKEN_BUDGET sums the tokens of the calls made since the month began.
- ix_runs_team_user_created: COPYBOT_USER_DAILY_RUNS counts a person's runs started since midnight (UTC).
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_llm_calls_created_at", "llm_calls", ["created_at"])
    op.create_index("ix_runs_team_user_created", "runs", ["team_id", "user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_team_user_created", table_name="runs")
    op.drop_index("ix_llm_calls_created_at", table_name="llm_calls")
