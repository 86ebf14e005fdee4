"""Two workspaces on one copybot (one SLACK_BOT_TOKEN, or OAuth mode with both installed): neither sees the other's
runs, votes, voice or App Home, and in OAuth mode each is posted to with its own token. Leaving a workspace
(app_uninstalled, the bot's token revoked) deletes its installation; COPYBOT_PURGE_ON_UNINSTALL=on also its runs,
votes and voices, never another workspace's. Threads owed after a restart are finished with their workspace's token."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection

from bot.slack.app import make_client
from bot.slack.healing import Healer
from bot.slack.install import installation_authorize
from bot.slack.workspaces import WorkspaceClients
from bot.workflow.records import Origin, RunSource
from bot.workflow.types import CopyRequest, RunFinished, RunStatus
from bot.workflow.voice import Voice
from tests.slack.conftest import Bot
from tests.slack.test_favourites import reaction, votes
from tests.storage.test_migrations import _sync
from tests.support.plans import ORCHESTRATOR
from tests.support.slack_oauth import install

PURGE = {"COPYBOT_PURGE_ON_UNINSTALL": "on"}


def tokens_by_channel(bot: Bot) -> dict[str, set[str]]:
    """For each channel, the workspaces whose tokens posted, updated or published there."""
    found: dict[str, set[str]] = {}
    for call in bot.slack.calls:
        if call.method in ("chat.postMessage", "chat.update", "views.publish"):
            where = str(call.params.get("channel") or f"home:{call.params.get('user_id')}")
            found.setdefault(where, set()).add(bot.slack.workspace_of(call))
    return found


async def run_in(bot: Bot, product: str, team: str, channel: str, **fields: Any) -> int:
    await bot.send.command(product, team_id=team, channel_id=channel, **fields)
    await bot.tasks.join()
    runs = [r for r in (await bot.repository.recent_runs(team)).runs if r.product == product]
    assert [r.status for r in runs] == ["done"]
    return runs[0].id


async def replies(bot: Bot, run_id: int) -> list[str]:
    detail = await bot.repository.run_detail(run_id)
    assert detail is not None
    return [v.slack_ts for v in detail.variations]


async def test_each_workspace_sees_only_its_own_and_is_posted_to_with_its_own_token(two_workspaces: Bot) -> None:
    bot = two_workspaces
    await bot.send.command("voice set Warm.", team_id="T1")
    await run_in(bot, "Eco bottle", "T1", "C1")
    theirs = await run_in(bot, "Trail shoes", "T2", "C2")
    if bot.settings.oauth:
        assert tokens_by_channel(bot) == {"C1": {"T1"}, "C2": {"T2"}}
    assert "Warm." in bot.llm.requests_for(ORCHESTRATOR)[0].prompt
    assert "Warm." not in bot.llm.requests_for(ORCHESTRATOR)[1].prompt  # T2's run: not T1's voice

    their_reply = (await replies(bot, theirs))[0]
    await bot.send.event(reaction("reaction_added", their_reply, channel="C2"), event_id="Ev1", team_id="T1")
    assert await votes(bot.repository, theirs) == {}  # a vote from another workspace does not count
    await bot.send.event(reaction("reaction_added", their_reply, channel="C2"), event_id="Ev2", team_id="T2")
    assert await votes(bot.repository, theirs) == {1: [("U2", "star")]}

    shown = await bot.send.command("voice show", team_id="T2")
    assert "Warm." not in shown.body["text"]
    home = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1.1"}
    await bot.send.event(home, event_id="EvHome", team_id="T2")
    await bot.slack.wait_for(lambda: "U1" in bot.slack.home)
    page = json.dumps(bot.slack.home["U1"])
    assert "Trail shoes" in page and "Eco bottle" not in page and "Warm." not in page
    if bot.settings.oauth:
        assert tokens_by_channel(bot)["home:U1"] == {"T2"}


async def test_uninstalling_deletes_the_installation_and_keeps_the_data_by_default(oauth_bot: Bot) -> None:
    bot = oauth_bot
    for team in ("T1", "T2"):
        await install(bot.send.session, bot.url, bot.slack, team)
    kept = await run_in(bot, "Eco bottle", "T1", "C1")
    assert bot.installations is not None
    store = bot.installations.store

    answer = await bot.send.event({"type": "app_uninstalled"}, event_id="EvGone", team_id="T1")
    assert answer.status == 200
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T2") is not None
    assert await bot.repository.run_detail(kept) is not None  # COPYBOT_PURGE_ON_UNINSTALL is off
    await bot.send.command("Eco bottle", team_id="T1", response="gone")
    await bot.tasks.join()
    assert "not installed" in bot.slack.responses["gone"][0]["text"]
    await run_in(bot, "Trail shoes", "T2", "C2")  # the other workspace is still served


@pytest.mark.parametrize("bot_env", [PURGE])
@pytest.mark.parametrize("leaving", ["app_uninstalled", "bot token revoked"])
async def test_with_purging_on_leaving_deletes_that_workspaces_runs_votes_and_voices_only(
    two_workspaces: Bot, leaving: str
) -> None:
    bot = two_workspaces
    gone, kept = await run_in(bot, "Eco bottle", "T1", "C1"), await run_in(bot, "Trail shoes", "T2", "C2")
    for team, run_id in (("T1", gone), ("T2", kept)):
        await bot.repository.set_favourite(run_id, 1, "U2", "star")
        await bot.send.command("voice set Warm.", team_id=team)
    event = {"type": "app_uninstalled"}
    if leaving != "app_uninstalled":
        event = {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}
    assert (await bot.send.event(event, event_id="EvLeave", team_id="T1")).status == 200

    assert await bot.repository.run_detail(gone) is None and (await bot.repository.recent_runs("T1")).runs == ()
    assert (await bot.repository.team.voice("T1", "")).empty
    assert await votes(bot.repository, kept) == {1: [("U2", "star")]}
    assert (await bot.repository.team.voice("T2", "")).text == "Warm."
    if bot.installations is not None:
        store = bot.installations.store
        assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
        assert await store.async_find_bot(enterprise_id=None, team_id="T2") is not None


@pytest.mark.parametrize("bot_env", [PURGE])
async def test_revoking_only_a_persons_token_is_not_leaving(oauth_bot: Bot) -> None:
    bot = oauth_bot
    await install(bot.send.session, bot.url, bot.slack, "T1")
    kept = await run_in(bot, "Eco bottle", "T1", "C1")
    event = {"type": "tokens_revoked", "tokens": {"oauth": ["UINSTALLER"]}}
    assert (await bot.send.event(event, event_id="EvUser", team_id="T1")).status == 200
    assert await bot.repository.run_detail(kept) is not None
    await run_in(bot, "Trail shoes", "T1", "C1")  # the bot's own token still serves the workspace


@pytest.mark.parametrize("bot_env", [PURGE])
async def test_an_organisation_uninstalling_an_org_wide_install_purges_its_workspaces_only(oauth_bot: Bot) -> None:
    bot = oauth_bot
    await install(bot.send.session, bot.url, bot.slack, "", enterprise_id="E1", org_wide=True)
    await install(bot.send.session, bot.url, bot.slack, "T2")
    grid = [await run_in(bot, f"Lamp {t}", t, f"C{t}", enterprise_id="E1", org_wide=True) for t in ("T5", "T6")]
    await bot.repository.team.save_voice("T5", "", Voice("Org voice."), "U1")
    kept = await run_in(bot, "Trail shoes", "T2", "C2")

    event = {"type": "app_uninstalled"}
    answer = await bot.send.event(event, event_id="EvOrg", team_id="T5", enterprise_id="E1", org_wide=True)
    assert answer.status == 200
    assert [await bot.repository.run_detail(run_id) for run_id in grid] == [None, None]
    assert (await bot.repository.team.voice("T5", "")).empty
    assert await bot.repository.run_detail(kept) is not None
    assert bot.installations is not None
    found = await bot.installations.store.async_find_installation(
        enterprise_id="E1", team_id=None, is_enterprise_install=True
    )
    assert found is None


async def test_threads_owed_after_a_restart_are_finished_with_their_workspaces_token(oauth_bot: Bot) -> None:
    bot = oauth_bot
    await install(bot.send.session, bot.url, bot.slack, "T2")
    await install(bot.send.session, bot.url, bot.slack, "", enterprise_id="E1", org_wide=True)
    assert bot.installations is not None
    client = make_client(bot.settings)  # as `copybot serve` builds the healer
    healer = Healer(
        WorkspaceClients(client, installation_authorize(bot.settings, bot.installations, client)), bot.services.runs
    )

    owed = {}
    for team, channel, enterprise in (("T2", "C2", ""), ("T5", "C5", "E1"), ("T9", "C9", "")):
        origin = Origin(RunSource.SLACK, team, channel, "U1", enterprise_id=enterprise)
        run_id = await bot.repository.start_run(CopyRequest("Eco bottle"), origin)
        await bot.repository.finish_run(run_id, RunFinished(RunStatus.INTERRUPTED, "The bot restarted."))
        detail = await bot.repository.run_detail(run_id)
        assert detail is not None and detail.slack_owed
        owed[team] = detail
    for detail in owed.values():
        assert await healer.heal(detail)
    assert tokens_by_channel(bot) == {"C2": {"T2"}, "C5": {"E1"}}  # T9 never installed copybot: nothing posted
    for detail in owed.values():
        after = await bot.repository.run_detail(detail.id)
        assert after is not None and not after.slack_owed


async def test_a_healing_round_skips_a_workspace_it_cannot_reach_now_and_the_next_finishes_it(
    oauth_bot: Bot, bot_database_url: str
) -> None:
    bot = oauth_bot
    for team in ("T2", "T3"):
        await install(bot.send.session, bot.url, bot.slack, team)
    assert bot.installations is not None
    client = make_client(bot.settings)
    healer = Healer(
        WorkspaceClients(client, installation_authorize(bot.settings, bot.installations, client)), bot.services.runs
    )
    ids = []
    for team in ("T2", "T3"):
        run_id = await bot.repository.start_run(
            CopyRequest("Eco bottle"), Origin(RunSource.SLACK, team, f"C{team}", "U1")
        )
        await bot.repository.finish_run(run_id, RunFinished(RunStatus.INTERRUPTED, "The bot restarted."))
        ids.append(run_id)
    await _sync(bot_database_url, _left_by_a_dead_process)
    bot.slack.drop("auth.test", times=4)  # T2's check, and each of its retries, loses its connection

    assert await healer.heal_all() == 1
    assert tokens_by_channel(bot) == {"CT3": {"T3"}}
    assert [(await bot.repository.run_detail(i)).slack_owed for i in ids] == [True, False]  # type: ignore[union-attr]
    await _sync(bot_database_url, _left_by_a_dead_process)  # the next round, once its claim has gone stale
    assert await healer.heal_all() == 1
    assert tokens_by_channel(bot) == {"CT2": {"T2"}, "CT3": {"T3"}}


def _left_by_a_dead_process(connection: Connection) -> None:
    runs = Table("runs", MetaData(), autoload_with=connection)
    connection.execute(runs.update().values(runner="", heartbeat_at=datetime(2026, 1, 1)))
