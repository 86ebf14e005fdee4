"""Write statements, built once (their compiled form is cached) with their values as parameters.

An UPDATE sets the columns named by its parameters, besides those in .values(); b_* parameters are not
columns.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Executable, Float, Integer, bindparam, case, insert, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.workflow.types import RunStatus, Subtask, VariationStatus
from storage.tables import Base, CallRow, ProcessedEvent, Run, VariationRow, utcnow

Insert = postgresql.Insert | sqlite.Insert
Step = tuple[Executable, dict[str, Any] | list[dict[str, Any]]]

RUN_ID: BindParameter[int] = bindparam("b_run_id", type_=Integer())
TOUCH = update(Run).where(Run.id == RUN_ID)
BEGIN_WRITING = TOUCH.values(status=case((Run.status == RunStatus.PLANNING, RunStatus.WRITING), else_=Run.status))
ADD_USAGE = TOUCH.values(
    input_tokens=Run.input_tokens + bindparam("b_input"),
    output_tokens=Run.output_tokens + bindparam("b_output"),
    cache_read_tokens=Run.cache_read_tokens + bindparam("b_cache_read"),
    cache_write_tokens=Run.cache_write_tokens + bindparam("b_cache_write"),
    estimated_cost_usd=Run.estimated_cost_usd + bindparam("b_cost", type_=Float()),
)
NEW_RUN = insert(Run).returning(Run.id)
NEW_CALL = insert(CallRow)
FAIL_WRITING = update(VariationRow).where(VariationRow.run_id == RUN_ID, VariationRow.status == VariationStatus.WRITING)
SET_MESSAGE = update(VariationRow).where(
    VariationRow.run_id == RUN_ID, VariationRow.position == bindparam("b_position")
)


def touch(run_id: int, now: datetime | None = None, **values: Any) -> Step:
    """An UPDATE of the run that moves its heartbeat and sets `values`."""
    return TOUCH, {"b_run_id": run_id, "heartbeat_at": now or utcnow(), **values}


def analysis(run_id: int, analysis: str) -> Step:
    parameters = {"b_run_id": run_id, "heartbeat_at": utcnow()}
    if analysis:
        parameters["analysis"] = analysis
    return BEGIN_WRITING, parameters


def dialect_insert(dialect: str, table: type[Base]) -> Insert:
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@functools.cache
def new_subtasks(dialect: str) -> Insert:
    return dialect_insert(dialect, VariationRow).on_conflict_do_nothing(index_elements=["run_id", "position"])


@functools.cache
def variation_upsert(dialect: str, columns: tuple[str, ...]) -> Insert:
    """INSERT a variation, or UPDATE `columns` of the existing one."""
    statement = dialect_insert(dialect, VariationRow)
    return statement.on_conflict_do_update(
        index_elements=["run_id", "position"], set_={column: statement.excluded[column] for column in columns}
    )


def variation_keys(run_id: int, subtask: Subtask) -> dict[str, Any]:
    """The columns a variation's row gets from its subtask: identity, style and lineage."""
    return {
        "run_id": run_id,
        "position": subtask.position,
        "type": subtask.type,
        "description": subtask.description,
        "kind": subtask.kind,
        "parent_position": subtask.parent,
        "instruction": subtask.instruction,
    }


def claim_event(dialect: str, event_id: str) -> Executable:
    """INSERT the event id unless it is there; returns a row only the first time."""
    return (
        dialect_insert(dialect, ProcessedEvent)
        .values(event_id=event_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.event_id)
    )
