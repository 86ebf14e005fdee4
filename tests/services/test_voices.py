"""Voices (versions, editors, scopes) and the team's taste feeding the next plan, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import RequestError
from bot.services import CopyService, Origin, RunContext, RunSource, Scope, VoiceService
from bot.services.voices import NotAnEditor
from bot.workflow.types import Role
from storage import Repository
from storage.tables import TasteSnapshot, VoiceVersionRow
from tests.storage.backends import database_url_fixture
from tests.storage.conftest import repository_fixture
from tests.support.plans import plan_reply
from tests.support.scripted import REQUEST, ScriptedLLM, workflow

__all__ = ["database_url_fixture", "repository_fixture"]
A = Origin(RunSource.SLACK, "T1", "CA", "U1")
B = Origin(RunSource.SLACK, "T1", "CB", "U1")
OTHER = Origin(RunSource.SLACK, "T2", "CA", "U1")


async def test_every_change_is_a_new_version_and_the_scopes_stay_apart(repository: Repository) -> None:
    voices = VoiceService(repository)
    workspace, channel = Scope("T1"), Scope("T1", "CA")
    await voices.change(workspace, "set", "Warm and plain.")
    await voices.change(workspace, "ban", "cheap, best ever")
    await voices.change(workspace, "ban", "Cheap, synergy")
    await voices.change(workspace, "require", "AquaFlask™")
    await voices.change(channel, "set", "For hikers.")
    shown = await voices.show(workspace)
    assert (shown.text, shown.banned, shown.required) == (
        "Warm and plain.",
        ("cheap", "best ever", "synergy"),
        ("AquaFlask™",),
    )
    await voices.change(workspace, "unban", "BEST EVER")
    assert (await voices.show(workspace)).banned == ("cheap", "synergy")
    combined = await voices.for_run("T1", "CA")
    assert combined.text == "Warm and plain.\n\nFor hikers." and combined.banned == ("cheap", "synergy")
    assert (await voices.for_run("T2", "CA")).empty  # another workspace never sees it
    await voices.change(workspace, "clear", "")
    assert (await voices.show(workspace)).empty and not (await voices.show(channel)).empty
    async with repository._db.read() as session:
        rows = (await session.execute(select(VoiceVersionRow.channel_id, VoiceVersionRow.version))).all()
    assert sorted(rows) == [("", 1), ("", 2), ("", 3), ("", 4), ("", 5), ("", 6), ("CA", 1)]


async def test_bad_changes_are_refused_with_what_to_do(repository: Repository) -> None:
    voices = VoiceService(repository)
    with pytest.raises(RequestError, match="the limit is 4,000"):
        await voices.change(Scope("T1"), "set", "x" * 4001)
    with pytest.raises(RequestError, match="Say which terms to ban"):
        await voices.change(Scope("T1"), "ban", " , ")
    with pytest.raises(RequestError, match="is not banned"):
        await voices.change(Scope("T1"), "unban", "cheap")
    with pytest.raises(RequestError, match="longer than 60 characters"):
        await voices.change(Scope("T1"), "require", "y" * 61)


async def test_only_editors_may_change_a_voice_when_editors_are_set(repository: Repository) -> None:
    voices = VoiceService(repository, editors=("U7",))
    with pytest.raises(NotAnEditor, match="COPYBOT_VOICE_EDITORS"):
        await voices.change(Scope("T1"), "set", "Loud.", user_id="U1")
    await voices.change(Scope("T1"), "set", "Calm.", user_id="U7")
    await voices.change(Scope("T1"), "ban", "loud")  # the CLI (no user) is the operator's
    assert (await voices.show(Scope("T1"))).text == "Calm."


async def run_in(repository: Repository, origin: Origin, llm: ScriptedLLM, *, taste: bool = True) -> int:
    context = RunContext(repository, VoiceService(repository), taste=taste)
    outcome = await CopyService(workflow(llm), repository, context).run(REQUEST, origin)
    assert outcome.status == "done"
    return outcome.run_id


async def test_votes_in_a_channel_teach_its_next_plan_only(repository: Repository) -> None:
    llm = ScriptedLLM(plans=[plan_reply(["benefit-led", "technical", "playful"])])
    first = await run_in(repository, A, llm)
    await repository.set_favourite(first, 1, "U2", "star")
    await repository.set_favourite(first, 1, "U3", "star")
    await run_in(repository, A, llm)
    plan = [p for p in llm.prompts if p.role is Role.ORCHESTRATOR][-1].text
    assert "benefit-led: won 1 run (2 votes)" in plan and "<copy>Copy in the benefit-led style.</copy>" in plan
    for origin in (B, OTHER):
        await run_in(repository, origin, llm)
        assert "team_taste" not in [p for p in llm.prompts if p.role is Role.ORCHESTRATOR][-1].text
    await run_in(repository, A, llm, taste=False)  # COPYBOT_TEAM_TASTE=off
    assert "team_taste" not in [p for p in llm.prompts if p.role is Role.ORCHESTRATOR][-1].text


async def test_a_run_stores_the_voice_versions_it_used_and_the_taste_it_was_shown(repository: Repository) -> None:
    voices = VoiceService(repository)
    await voices.change(Scope("T1"), "set", "Warm.")
    await voices.change(Scope("T1", "CA"), "ban", "cheap")
    llm = ScriptedLLM()
    first = await run_in(repository, A, llm)
    await repository.set_favourite(first, 2, "U2", "star")
    second = await run_in(repository, A, llm)
    detail = await repository.run_detail(second)
    assert detail is not None and len(detail.voice_versions) == 2
    assert (await repository.team.voice_of_versions(detail.voice_versions)).banned == ("cheap",)
    async with repository._db.read() as session:
        snapshot = await session.get(TasteSnapshot, second)
    assert snapshot is not None and snapshot.shown == [[first, 2]]
    assert "<brand_voice>" in llm.prompts[-1].text and "Warm." in llm.prompts[-1].text
