"""Brand voices (every change a new version), the versions each run used, and the taste each run was shown.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Existing runs used no voice and were shown no taste.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "voice_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("banned", sa.JSON(), nullable=False),
        sa.Column("required", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_versions")),
        sa.UniqueConstraint(
            "team_id", "channel_id", "version", name=op.f("uq_voice_versions_team_id_channel_id_version")
        ),
    )
    op.create_table(
        "taste_snapshots",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("styles", sa.JSON(), nullable=False),
        sa.Column("shown", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_taste_snapshots_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_taste_snapshots")),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("voice_versions", sa.JSON(), nullable=True))
    with op.batch_alter_table("variations") as batch:
        batch.add_column(sa.Column("violations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("variations") as batch:
        batch.drop_column("violations")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("voice_versions")
    op.drop_table("taste_snapshots")
    op.drop_table("voice_versions")
