"""Formats: a run keeps the format it was written for, a variation its fields and what is still over the limits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Existing runs are free copy (no format); `over_limit` is a new variation status.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

STATUSES = ("writing", "done", "failed", "interrupted")


def _status_check(statuses: tuple[str, ...]) -> None:
    with op.batch_alter_table("variations") as batch:
        batch.drop_constraint(op.f("ck_variations_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_variations_status"), f"status IN ({', '.join(repr(s) for s in statuses)})"
        )


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("format", sa.JSON(), nullable=True))
    with op.batch_alter_table("variations") as batch:
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("over_limit", sa.JSON(), nullable=True))
    _status_check((*STATUSES, "over_limit"))


def downgrade() -> None:
    op.execute("UPDATE variations SET status = 'done' WHERE status = 'over_limit'")
    _status_check(STATUSES)
    with op.batch_alter_table("variations") as batch:
        batch.drop_column("over_limit")
        batch.drop_column("fields")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("format")
