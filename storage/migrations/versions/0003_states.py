"""States as types: `interrupted` is a run and variation status, no longer an error string.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Runs and variations that 0002 stored as status failed with error "interrupted" become status interrupted;
their error says in words what happened. The CHECK constraints admit the new status.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

OLD_ERROR = "interrupted"
NEW_ERROR = "The bot stopped before this run finished."
RUN_STATUSES = ("planning", "writing", "done", "partial", "failed")
VARIATION_STATUSES = ("writing", "done", "failed")


def _check(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _constraints(run_statuses: tuple[str, ...], variation_statuses: tuple[str, ...]) -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("ck_runs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_runs_status"), _check("status", run_statuses))
    with op.batch_alter_table("variations") as batch:
        batch.drop_constraint(op.f("ck_variations_status"), type_="check")
        batch.create_check_constraint(op.f("ck_variations_status"), _check("status", variation_statuses))


def upgrade() -> None:
    _constraints((*RUN_STATUSES, "interrupted"), (*VARIATION_STATUSES, "interrupted"))
    for table in ("runs", "variations"):
        op.execute(
            sa.text(
                f"UPDATE {table} SET status = 'interrupted', error = :new WHERE status = 'failed' AND error = :old"
            ).bindparams(new=NEW_ERROR, old=OLD_ERROR)
        )


def downgrade() -> None:
    for table in ("runs", "variations"):
        op.execute(
            sa.text(f"UPDATE {table} SET status = 'failed', error = :old WHERE status = 'interrupted'").bindparams(
                old=OLD_ERROR
            )
        )
    _constraints(RUN_STATUSES, VARIATION_STATUSES)
