"""Healing threads a stopped or crashed copybot left unfinished (`copybot serve`, at start and every few minutes).

CopyService hands over the finished runs whose Slack thread is still owed posts, claimed for this process. For
each: the parent is posted if it never was; every variation that was written but never posted is posted as a
reply; the parent is updated to the final status (an interrupted run's says so, with a Retry button). The thread
is then marked delivered. When Slack cannot be reached it stays owed, and the next round tries again. Each thread
is posted with its own workspace's token (bot/slack/workspaces.py); a workspace copybot was uninstalled from is
owed nothing more.
"""

from __future__ import annotations

import logging

import aiohttp

from bot.errors import CopybotError
from bot.services import CopyService, RunDetail
from bot.slack.blocks import Shown
from bot.slack.parent import ParentState, parent_message
from bot.slack.poster import ThreadPoster
from bot.slack.workspaces import WorkspaceClients
from bot.workflow.types import Subtask, VariationStatus

log = logging.getLogger(__name__)


class Healer:
    def __init__(self, clients: WorkspaceClients, runs: CopyService) -> None:
        self._clients = clients
        self._runs = runs

    async def heal_all(self) -> int:
        """Heal every thread owed posts; return how many were finished."""
        healed = 0
        for run in await self._runs.owed_threads():
            try:
                healed += await self.heal(run)
            except (CopybotError, aiohttp.ClientError, TimeoutError):  # Slack's auth.test for its workspace too
                log.warning("run %d: its thread could not be finished now; the next round tries again", run.id)
        if healed:
            log.warning("finished %d Slack thread(s) a stopped copybot left unfinished", healed)
        return healed

    async def heal(self, run: RunDetail) -> bool:
        """Post what `run`'s thread is missing and its final status; True once nothing more is owed."""
        client = await self._clients.client_for(run.team_id, run.enterprise_id)
        if client is None:
            log.warning("run %d: copybot is no longer installed in its workspace; its thread is left as it is", run.id)
            await self._runs.thread_delivered(run.id)
            return True
        thread = ThreadPoster(client, None, channel=run.slack_channel or run.channel_id, parent_ts=run.slack_thread_ts)
        state = _state(run)
        if not thread.parent_ts and await thread.post_parent(parent_message(state)):
            await self._runs.attach_thread(run.id, thread.channel, thread.parent_ts)
        for v in run.variations:
            if v.status in (VariationStatus.DONE, VariationStatus.OVER_LIMIT) and not v.slack_ts and thread.parent_ts:
                subtask = Subtask(v.position, v.type, v.description, v.kind, v.parent_position, v.instruction)
                shown = Shown(subtask, v.text, v.truncated, v.fields, v.over_limit, v.violations)
                ts = await thread.post_variation(shown)
                if ts:
                    await self._runs.attach_message(run.id, v.position, ts)
        finished = thread.blocked or (
            bool(thread.parent_ts) and bool(await thread.post(parent_message(state), ts=thread.parent_ts))
        )
        if finished:
            await self._runs.thread_delivered(run.id)
        return finished


def _state(run: RunDetail) -> ParentState:
    """What the parent of a stored run shows."""
    return ParentState(
        user_id=run.user_id,
        product=run.product,
        audience=run.audience,
        tone=run.tone,
        features=run.features,
        analysis=run.analysis,
        planned=tuple(Subtask(v.position, v.type, v.description) for v in run.variations),
        plan_final=True,
        ready=sum(v.status is VariationStatus.DONE for v in run.variations),
        failed=sum(v.status is VariationStatus.FAILED for v in run.variations),
        status=run.status,
        error=run.error,
        run_id=run.id,
    )
