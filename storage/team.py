"""What a team wants: its brand voices (every change a new version) and its recent favourites (its taste).

A scope is a workspace (`channel_id` "") or one of its channels; the CLI's own scope is team "" and channel "".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, delete, exists, func, insert, select

from bot.workflow.records import Usage, Winner
from bot.workflow.voice import Taste, Voice
from storage.db import Database
from storage.tables import CallRow, FavouriteRow, Run, TasteSnapshot, VariationRow, VoiceVersionRow, utcnow


def _voice(row: VoiceVersionRow) -> Voice:
    return Voice(row.text, tuple(row.banned), tuple(row.required), (row.id,))


class TeamStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def voice(self, team_id: str, channel_id: str) -> Voice:
        """The scope's current voice (its newest version); an empty Voice when it never had one."""
        statement = (
            select(VoiceVersionRow)
            .where(VoiceVersionRow.team_id == team_id, VoiceVersionRow.channel_id == channel_id)
            .order_by(VoiceVersionRow.version.desc())
            .limit(1)
        )
        async with self._db.read() as session:
            row = (await session.scalars(statement)).first()
        return _voice(row) if row is not None else Voice()

    async def voice_of_versions(self, ids: Sequence[int]) -> Voice:
        """The voice a run was written in: its stored versions, combined in the order it used them."""
        if not ids:
            return Voice()
        async with self._db.read() as session:
            rows = {
                row.id: row for row in await session.scalars(select(VoiceVersionRow).where(VoiceVersionRow.id.in_(ids)))
            }
        combined = Voice()
        for version_id in ids:
            if version_id in rows:
                combined = combined.then(_voice(rows[version_id]))
        return combined

    async def save_voice(self, team_id: str, channel_id: str, voice: Voice, author: str) -> int:
        """Store `voice` as the scope's next version; return its version number (1 for the first)."""
        of_scope = and_(VoiceVersionRow.team_id == team_id, VoiceVersionRow.channel_id == channel_id)
        latest = select(func.coalesce(func.max(VoiceVersionRow.version), 0)).where(of_scope)

        def op(connection: Connection) -> int:
            version = int(connection.scalar(latest) or 0) + 1
            row = {
                "team_id": team_id,
                "channel_id": channel_id,
                "version": version,
                "text": voice.text,
                "banned": list(voice.banned),
                "required": list(voice.required),
                "author": author,
                "created_at": utcnow(),
            }
            connection.execute(insert(VoiceVersionRow), row)
            return version

        return await self._db.transact(op)

    async def winners(
        self, team_id: str | None, channel_id: str | None, user_id: str | None, runs: int
    ) -> list[Winner]:
        """The winners of the scope's last `runs` runs that have favourites, newest first (team None: all)."""
        voted = exists().where(FavouriteRow.run_id == Run.id)
        recent = select(Run.id).where(voted).order_by(Run.id.desc()).limit(runs)
        if team_id is not None:
            recent = recent.where(Run.team_id == team_id)
        if channel_id is not None:
            recent = recent.where(Run.channel_id == channel_id)
        if user_id is not None:
            recent = recent.where(Run.user_id == user_id)
        votes = func.count().label("votes")
        statement = (
            select(FavouriteRow.run_id, FavouriteRow.position, VariationRow.type, VariationRow.text, votes)
            .join(
                VariationRow,
                and_(VariationRow.run_id == FavouriteRow.run_id, VariationRow.position == FavouriteRow.position),
            )
            .where(FavouriteRow.run_id.in_(recent.scalar_subquery()))
            .group_by(FavouriteRow.run_id, FavouriteRow.position, VariationRow.type, VariationRow.text)
            .order_by(FavouriteRow.run_id.desc(), votes.desc(), FavouriteRow.position)
        )
        found: dict[int, Winner] = {}
        async with self._db.read() as session:
            for run_id, position, style, text, count in await session.execute(statement):
                found.setdefault(run_id, Winner(run_id, position, style, text, count))
        return list(found.values())

    async def usage(self, team_id: str | None, since: datetime) -> Usage:
        """Runs started since `since` (team None: every workspace), their variations and tokens, the cost of those
        whose cost is known (None when no run's is) and how many runs' cost is unknown."""
        runs = select(
            func.count(Run.id),
            func.coalesce(func.sum(Run.input_tokens), 0),
            func.coalesce(func.sum(Run.output_tokens), 0),
            func.sum(Run.estimated_cost_usd),
            func.count(Run.id) - func.count(Run.estimated_cost_usd),
        ).where(Run.created_at >= since)
        variations = select(func.count()).select_from(VariationRow).join(Run, Run.id == VariationRow.run_id)
        variations = variations.where(Run.created_at >= since)
        if team_id is not None:
            runs, variations = runs.where(Run.team_id == team_id), variations.where(Run.team_id == team_id)
        async with self._db.read() as session:
            count, tokens_in, tokens_out, cost, unpriced = (await session.execute(runs)).one()
            written = int(await session.scalar(variations) or 0)
        known = float(cost) if cost is not None else (None if unpriced else 0.0)  # SUM skips the unknowns
        return Usage(int(count), written, int(tokens_in), int(tokens_out), known, int(unpriced))

    async def tokens_used(self, team_id: str, since: datetime) -> int:
        """Input + output tokens of the workspace's model calls made since `since` (new versions of older runs
        included: they are counted when they are written)."""
        statement = (
            select(func.coalesce(func.sum(CallRow.input_tokens + CallRow.output_tokens), 0))
            .join(Run, Run.id == CallRow.run_id)
            .where(CallRow.created_at >= since, Run.team_id == team_id)
        )
        async with self._db.read() as session:
            return int(await session.scalar(statement) or 0)

    async def runs_started(self, team_id: str, user_id: str, since: datetime) -> int:
        """How many runs the person started in the workspace since `since`."""
        statement = select(func.count(Run.id)).where(
            Run.team_id == team_id, Run.user_id == user_id, Run.created_at >= since
        )
        async with self._db.read() as session:
            return int(await session.scalar(statement) or 0)

    async def record_taste(self, run_id: int, taste: Taste) -> None:
        """Store what the run was shown of its team's taste."""
        row = {
            "run_id": run_id,
            "styles": [{"style": s.style, "runs": s.runs, "votes": s.votes} for s in taste.styles],
            "shown": [list(pair) for pair in taste.shown],
            "created_at": utcnow(),
        }
        await self._db.transact(lambda connection: connection.execute(insert(TasteSnapshot), row))

    async def purge(self, team_id: str, enterprise_id: str = "") -> int:
        """Delete a workspace's runs (their variations, model calls, votes and taste go with them: the schema
        cascades) and its brand voices; return how many runs went. With team_id "" and an enterprise_id, an
        Enterprise Grid organisation's: the runs of each of its workspaces and those workspaces' voices. The CLI's
        own scope (team and organisation "") is never purged."""
        if team_id:
            runs = delete(Run).where(Run.team_id == team_id)
            voices = delete(VoiceVersionRow).where(VoiceVersionRow.team_id == team_id)
        elif enterprise_id:
            runs = delete(Run).where(Run.enterprise_id == enterprise_id)
            teams = select(Run.team_id).where(Run.enterprise_id == enterprise_id, Run.team_id != "")
            voices = delete(VoiceVersionRow).where(VoiceVersionRow.team_id.in_(teams.scalar_subquery()))
        else:
            raise ValueError("a purge needs a workspace or an organisation")

        def op(connection: Connection) -> int:
            connection.execute(voices)  # first: an organisation's workspaces are found through its runs
            return int(connection.execute(runs).rowcount)

        return await self._db.transact(op)
