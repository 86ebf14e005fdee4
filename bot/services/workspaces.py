"""WorkspaceService: what becomes of a workspace's data when copybot leaves it (app_uninstalled, or its bot token
revoked). Its installation is deleted by the Slack adapter (Bolt's installation store); its runs, votes and brand
voices stay unless COPYBOT_PURGE_ON_UNINSTALL is on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage import Repository

log = logging.getLogger(__name__)


class WorkspaceService:
    def __init__(self, repository: Repository, *, purge: bool) -> None:
        self.repository = repository
        self.purge = purge

    async def left(self, team_id: str, enterprise_id: str = "") -> int:
        """copybot was uninstalled from workspace `team_id` (team "": from Enterprise Grid organisation
        `enterprise_id`, installed org-wide). With purging on, delete its runs, votes and voices; return how many
        runs were deleted (0 with purging off, or when Slack named no workspace and no organisation)."""
        if not self.purge or not (team_id or enterprise_id):
            return 0
        deleted = await self.repository.team.purge(team_id, enterprise_id)
        log.warning(
            "copybot was uninstalled from %s: deleted its %d run(s), their votes and its brand voices",
            f"workspace {team_id}" if team_id else f"organisation {enterprise_id}",
            deleted,
        )
        return deleted
