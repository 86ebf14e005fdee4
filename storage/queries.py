"""Read queries behind history and Slack reactions; every result is a plain record (storage/records.py)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.workflow.formats import FieldText, from_dict
from bot.workflow.records import CallRecord, MessageRef, RunDetail, RunPage, RunSummary, VariationRecord, Vote
from bot.workflow.types import VariationKind, VariationStatus
from storage.tables import CallRow, FavouriteRow, Run, VariationRow

MAX_PAGE = 200

_SUMMARY_COLUMNS = (
    Run.id,
    Run.created_at,
    Run.finished_at,
    Run.source,
    Run.team_id,
    Run.channel_id,
    Run.user_id,
    Run.user_name,
    Run.product,
    Run.status,
    Run.error,
    Run.slack_channel,
    Run.slack_thread_ts,
)


async def recent_runs(
    session: AsyncSession,
    team_id: str | None,
    channel_id: str | None,
    user_id: str | None,
    search: str | None,
    limit: int,
    before: int | None,
) -> RunPage:
    """Newest first, keyset-paged by run id. `search`: every word must occur in the product (any case)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be 1-{MAX_PAGE}, not {limit}")
    statement = select(*_SUMMARY_COLUMNS).order_by(Run.id.desc()).limit(limit + 1)
    if team_id is not None:
        statement = statement.where(Run.team_id == team_id)
    if channel_id is not None:
        statement = statement.where(Run.channel_id == channel_id)
    if user_id is not None:
        statement = statement.where(Run.user_id == user_id)
    for word in (search or "").split():
        statement = statement.where(Run.product.icontains(word, autoescape=True))
    if before is not None:
        statement = statement.where(Run.id < before)
    rows = (await session.execute(statement)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [row.id for row in rows]
    counts: dict[int, tuple[int, int]] = {}
    favourites: dict[int, tuple[int | None, str | None, int]] = {}
    if ids:
        done = func.sum(case((VariationRow.status.in_((VariationStatus.DONE, VariationStatus.OVER_LIMIT)), 1), else_=0))
        originals = VariationRow.kind == VariationKind.ORIGINAL  # new versions are not counted as planned ones
        per_run = select(VariationRow.run_id, func.count(), done).where(VariationRow.run_id.in_(ids), originals)
        for run_id, total, done_count in await session.execute(per_run.group_by(VariationRow.run_id)):
            counts[run_id] = (total, int(done_count or 0))
        votes = (
            select(FavouriteRow.run_id, FavouriteRow.position, VariationRow.type, func.count().label("votes"))
            .join(
                VariationRow,
                and_(VariationRow.run_id == FavouriteRow.run_id, VariationRow.position == FavouriteRow.position),
            )
            .where(FavouriteRow.run_id.in_(ids))
            .group_by(FavouriteRow.run_id, FavouriteRow.position, VariationRow.type)
            .order_by(FavouriteRow.run_id, func.count().desc(), FavouriteRow.position)
        )
        for run_id, position, kind, count in await session.execute(votes):
            favourites.setdefault(run_id, (position, kind, count))
    summaries = []
    for row in rows:
        total, done_count = counts.get(row.id, (0, 0))
        favourite = favourites.get(row.id, (None, None, 0))
        summaries.append(
            RunSummary(
                **row._asdict(),
                variation_count=total,
                done_count=done_count,
                favourite_position=favourite[0],
                favourite_type=favourite[1],
                favourite_votes=favourite[2],
            )
        )
    return RunPage(runs=tuple(summaries), next_before=ids[-1] if more else None)


async def run_detail(session: AsyncSession, run_id: int) -> RunDetail | None:
    run = await session.get(Run, run_id)
    if run is None:
        return None
    votes: dict[int, list[Vote]] = {}
    for vote in await session.scalars(
        select(FavouriteRow).where(FavouriteRow.run_id == run_id).order_by(FavouriteRow.created_at)
    ):
        votes.setdefault(vote.position, []).append(Vote(vote.user_id, vote.position, vote.how, vote.created_at))
    variations = tuple(
        VariationRecord(
            **_columns(v, VariationRow, exclude={"run_id", "fields", "over_limit", "violations"}),
            fields=tuple(FieldText.from_dict(f) for f in v.fields or ()),
            over_limit=tuple(v.over_limit or ()),
            violations=tuple(v.violations or ()),
            votes=tuple(votes.get(v.position, ())),
        )
        for v in await session.scalars(
            select(VariationRow).where(VariationRow.run_id == run_id).order_by(VariationRow.position)
        )
    )
    calls = tuple(
        CallRecord(**_columns(c, CallRow, exclude={"run_id"}))
        for c in await session.scalars(select(CallRow).where(CallRow.run_id == run_id).order_by(CallRow.id))
    )
    values = _columns(run, Run, exclude={"format", "voice_versions"})
    values["features"] = tuple(values["features"])
    values["voice_versions"] = tuple(run.voice_versions or ())
    values["format"] = from_dict(run.format) if run.format else None
    return RunDetail(**values, variations=variations, calls=calls)


async def find_run_by_thread(session: AsyncSession, team_id: str, channel: str, thread_ts: str) -> int | None:
    if not (channel and thread_ts):
        return None
    statement = select(Run.id).where(
        Run.slack_channel == channel, Run.slack_thread_ts == thread_ts, Run.team_id == team_id
    )
    return (await session.execute(statement.limit(1))).scalar_one_or_none()


async def find_variation_by_message(
    session: AsyncSession, channel: str, ts: str, team_id: str | None
) -> MessageRef | None:
    if not ts:
        return None
    statement = (
        select(VariationRow.run_id, VariationRow.position)
        .join(Run, Run.id == VariationRow.run_id)
        .where(VariationRow.slack_ts == ts, Run.slack_channel == channel)
        .limit(1)
    )
    if team_id is not None:
        statement = statement.where(Run.team_id == team_id)
    row = (await session.execute(statement)).first()
    return None if row is None else MessageRef(row.run_id, row.position)


def _columns(row: object, model: Any, *, exclude: set[str]) -> dict[str, Any]:
    """An ORM row's column values as a dict (it never leaves this module)."""
    return {c.key: getattr(row, c.key) for c in cast(Any, model).__table__.columns if c.key not in exclude}
