"""New versions of a variation: refinements and "another take" are variations with a lineage.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Every existing variation is an original. Runs are found by their Slack thread (a reply in it is a refinement).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("variations") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="original"))
        batch.add_column(sa.Column("parent_position", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("instruction", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("requested_by", sa.String(32), nullable=False, server_default=""))
        batch.create_check_constraint(op.f("ck_variations_kind"), "kind IN ('original', 'refine', 'another')")
    op.create_index("ix_runs_slack_thread", "runs", ["slack_channel", "slack_thread_ts"])


def downgrade() -> None:
    op.drop_index("ix_runs_slack_thread", "runs")
    with op.batch_alter_table("variations") as batch:
        batch.drop_constraint(op.f("ck_variations_kind"), type_="check")
        batch.drop_column("requested_by")
        batch.drop_column("instruction")
        batch.drop_column("parent_position")
        batch.drop_column("kind")
