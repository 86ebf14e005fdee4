"""Runs know their runner process and heartbeat, so recovery fails only runs whose process is gone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Existing runs get no runner and a heartbeat at their last known moment (finished_at, else created_at):
recovery then judges an unfinished one by its age alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("runner", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE runs SET heartbeat_at = COALESCE(finished_at, created_at)")
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("heartbeat_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("runner")
