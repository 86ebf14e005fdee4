"""The repository on its own: writes in any event order, favourites, dedupe, history pages, cost."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from bot.errors import StorageError
from bot.services import MessageRef, Origin, RunDetail, RunSource
from bot.workflow import CopyRequest, LLMCall, Plan, RunFinished, Subtask, Usage, Variation
from bot.workflow.llm import prices
from bot.workflow.types import INTERRUPTED_REASON, Role, RunStatus
from storage import Repository

SLACK = Origin(RunSource.SLACK, team_id="T1", channel_id="C1", user_id="U1", user_name="ana")
SUBTASKS = (Subtask(1, "benefit-led", "Lead with benefits."), Subtask(2, "technical", "Specs first."))


USAGE = Usage(input_tokens=1000, output_tokens=200, cache_read_input_tokens=30, cache_creation_input_tokens=40)


def call(position: int | None, *, model: str = "claude-haiku-4-5", provider: str = "anthropic") -> LLMCall:
    """A stored call; its cost as the workflow estimates it (Anthropic's price table; a local model is free)."""
    price = prices.FREE if provider == "local" else prices.lookup(prices.PER_MILLION, model)
    return LLMCall(
        role=Role.ORCHESTRATOR if position is None else Role.WORKER,
        prompt_name="orchestrator" if position is None else "worker",
        prompt_sha256="ab" * 32,
        provider=provider,
        model=model,
        usage=USAGE,
        duration_ms=1234,
        stop_reason="end_turn",
        request_id=f"req-{position}",
        position=position,
        cost_usd=None if price is None else price.cost(USAGE),
    )


async def detail(repository: Repository, run_id: int) -> RunDetail:
    found = await repository.run_detail(run_id)
    assert found is not None
    return found


async def test_a_run_is_stored_even_when_a_variation_arrives_before_its_plan(repository: Repository) -> None:
    run_id = await repository.start_run(CopyRequest("bottle", features=("light", "steel")), SLACK)
    assert (await detail(repository, run_id)).status == "planning"
    await repository.record_analysis(run_id, "")
    await repository.record_subtask(run_id, SUBTASKS[0])
    await repository.record_subtask(run_id, SUBTASKS[0])  # idempotent
    await repository.record_variation_done(run_id, Variation(SUBTASKS[0], "Drink better.", True, call(1)))
    await repository.record_subtask(run_id, SUBTASKS[1])
    await repository.record_variation_failed(run_id, SUBTASKS[1], "timed out", None)
    await repository.record_plan(run_id, Plan("The analysis.", SUBTASKS))  # after both variations
    await repository.record_llm_call(run_id, call(None))
    await repository.finish_run(run_id, RunFinished(RunStatus.PARTIAL, "", 1, 1, 900))

    run = await detail(repository, run_id)
    assert (run.status, run.analysis, run.features, run.user_name) == (
        "partial",
        "The analysis.",
        ("light", "steel"),
        "ana",
    )
    assert run.finished_at is not None and run.finished_at >= run.created_at
    first, second = run.variations
    assert (first.status, first.text, first.truncated, first.model, first.latency_ms) == (
        "done",
        "Drink better.",
        True,
        "claude-haiku-4-5",
        1234,
    )
    assert (second.status, second.error, second.type) == ("failed", "timed out", "technical")
    assert [c.role for c in run.calls] == ["orchestrator"]
    assert run.calls[0].cache_write_tokens == 40
    assert all(dataclasses.is_dataclass(v) for v in (run, *run.variations, *run.calls))


async def test_token_totals_and_cost_are_summed_and_an_unknown_model_makes_the_cost_unknown(
    repository: Repository,
) -> None:
    priced = await repository.start_run(CopyRequest("bottle"), SLACK)
    for position in (None, 1):
        await repository.record_llm_call(priced, call(position))
    run = await detail(repository, priced)
    assert (run.input_tokens, run.output_tokens, run.cache_read_tokens, run.cache_write_tokens) == (2000, 400, 60, 80)
    expected = 2 * call(1).cost_usd  # type: ignore[operator]
    assert run.estimated_cost_usd == pytest.approx(expected)
    assert expected == pytest.approx(2 * (1000 * 1 + 200 * 5 + 40 * 1.25 + 30 * 0.1) / 1e6)

    unknown = await repository.start_run(CopyRequest("bottle"), SLACK)
    await repository.record_llm_call(unknown, call(None, model="mystery-model-9"))
    await repository.record_llm_call(unknown, call(1))
    assert (await detail(repository, unknown)).estimated_cost_usd is None
    local = await repository.start_run(CopyRequest("bottle"), SLACK)
    await repository.record_llm_call(local, call(None, model="smollm2", provider="local"))
    assert (await detail(repository, local)).estimated_cost_usd == 0.0


async def _run_with_variations(repository: Repository, origin: Origin = SLACK, product: str = "bottle") -> int:
    run_id = await repository.start_run(CopyRequest(product), origin)
    await repository.record_plan(run_id, Plan("analysis", SUBTASKS))
    return run_id


async def test_favourites_move_and_clear(repository: Repository) -> None:
    run_id = await _run_with_variations(repository)
    await repository.set_favourite(run_id, 1, "U1", "star")
    await repository.set_favourite(run_id, 1, "U2", "button")
    await repository.set_favourite(run_id, 2, "U1", "heart")  # U1 changes their mind: the vote moves
    run = await detail(repository, run_id)
    assert [(v.user_id, v.how) for v in run.variations[0].votes] == [("U2", "button")]
    assert [(v.user_id, v.how) for v in run.variations[1].votes] == [("U1", "heart")]

    assert not await repository.clear_favourite(run_id, "U1", position=1)  # a stale reaction removal: kept
    assert await repository.clear_favourite(run_id, "U1", position=2)
    assert await repository.clear_favourite(run_id, "U2")
    assert not await repository.clear_favourite(run_id, "U2")
    run = await detail(repository, run_id)
    assert [v.votes for v in run.variations] == [(), ()]
    with pytest.raises(StorageError, match="no variation 7"):
        await repository.set_favourite(run_id, 7, "U1", "star")


async def test_a_vote_and_its_event_mark_commit_together(repository: Repository) -> None:
    run_id = await _run_with_variations(repository)
    assert await repository.set_favourite(run_id, 1, "U1", "star", event_id="Ev1")
    assert await repository.set_favourite(run_id, 2, "U1", "heart", event_id="Ev2")  # the vote moves
    assert not await repository.set_favourite(run_id, 1, "U1", "star", event_id="Ev1")  # redelivered: no change
    assert not await repository.clear_favourite(run_id, "U1", position=2, event_id="Ev2")  # a reused id: no change
    run = await detail(repository, run_id)
    assert [[v.user_id for v in variation.votes] for variation in run.variations] == [[], ["U1"]]

    with pytest.raises(StorageError, match="no variation 7"):
        await repository.set_favourite(run_id, 7, "U1", "star", event_id="Ev3")
    assert await repository.mark_event_processed("Ev3")  # the failed vote left its event unmarked for a retry

    assert await repository.clear_favourite(run_id, "U1", position=2, event_id="Ev4")
    assert not await repository.clear_favourite(run_id, "U1", position=2, event_id="Ev4")
    assert [v.votes for v in (await detail(repository, run_id)).variations] == [(), ()]


async def test_summary_shows_the_most_voted_variation(repository: Repository) -> None:
    run_id = await _run_with_variations(repository)
    for user, position in (("U1", 2), ("U2", 1), ("U3", 2)):
        await repository.set_favourite(run_id, position, user, "star")
    await repository.record_variation_done(run_id, Variation(SUBTASKS[0], "copy", False, call(1)))
    (summary,) = (await repository.recent_runs("T1")).runs
    assert (summary.favourite_position, summary.favourite_type, summary.favourite_votes) == (2, "technical", 2)
    assert (summary.variation_count, summary.done_count) == (2, 1)


async def test_variation_is_found_by_its_slack_message(repository: Repository) -> None:
    run_id = await _run_with_variations(repository)
    await repository.set_slack_thread(run_id, "C1", "100.1")
    await repository.set_variation_message(run_id, 2, "100.3")
    assert await repository.find_variation_by_message("C1", "100.3") == MessageRef(run_id, 2)
    assert await repository.find_variation_by_message("C1", "100.3", team_id="T1") == MessageRef(run_id, 2)
    assert await repository.find_variation_by_message("C1", "100.3", team_id="T2") is None
    assert await repository.find_variation_by_message("C1", "100.1") is None  # the thread parent is no variation
    assert await repository.find_variation_by_message("C9", "100.3") is None
    assert await repository.find_variation_by_message("C1", "") is None


async def test_an_event_is_processed_once_even_when_delivered_concurrently(repository: Repository) -> None:
    results = await asyncio.gather(*(repository.mark_event_processed("Ev1") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]
    assert await repository.mark_event_processed("Ev2")
    assert not await repository.mark_event_processed("Ev2")


async def test_history_is_scoped_searched_and_paged_by_cursor(repository: Repository) -> None:
    products = [f"{'Steel Bottle' if i % 3 == 0 else 'Running shoe'} no. {i}" for i in range(25)]
    ids = [await repository.start_run(CopyRequest(p), SLACK) for p in products]
    other_channel = await repository.start_run(
        CopyRequest("steel bottle elsewhere"), dataclasses.replace(SLACK, channel_id="C2")
    )
    other_user = await repository.start_run(CopyRequest("steel bottle mine"), dataclasses.replace(SLACK, user_id="U9"))
    other_team = await repository.start_run(
        CopyRequest("steel bottle secret"), dataclasses.replace(SLACK, team_id="T2")
    )

    seen: list[int] = []
    before = None
    while True:
        page = await repository.recent_runs("T1", channel_id="C1", limit=10, before=before)
        seen += [run.id for run in page.runs]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == sorted([*ids, other_user], reverse=True)

    found = await repository.recent_runs("T1", channel_id="C1", search="  BOTTLE steel ")
    assert [r.id for r in found.runs] == [other_user, *reversed(ids[::3])]
    assert [r.id for r in (await repository.recent_runs("T1", user_id="U9")).runs] == [other_user]
    assert [r.id for r in (await repository.recent_runs("T1", search="elsewhere")).runs] == [other_channel]
    assert [r.id for r in (await repository.recent_runs("T2")).runs] == [other_team]
    assert (await repository.recent_runs("T1", search="100%")).runs == ()  # % is a character, not a wildcard
    assert len((await repository.recent_runs(None, limit=200)).runs) == 28
    with pytest.raises(ValueError, match="limit"):
        await repository.recent_runs("T1", limit=0)


async def test_mark_interrupted_fails_unfinished_runs_only(repository: Repository) -> None:
    finished = await _run_with_variations(repository)
    await repository.finish_run(finished, RunFinished(RunStatus.DONE))
    planning = await repository.start_run(CopyRequest("bottle"), SLACK)
    writing = await _run_with_variations(repository)
    await repository.record_variation_done(writing, Variation(SUBTASKS[0], "copy", False, call(1)))

    assert await repository.mark_interrupted(stale_after=timedelta(hours=1)) == 0  # this live process runs them
    await asyncio.sleep(0.01)
    assert await repository.mark_interrupted(stale_after=timedelta(0)) == 2  # silent for longer than allowed
    assert await repository.mark_interrupted(stale_after=timedelta(0)) == 0
    assert (await detail(repository, finished)).status == "done"
    for run_id in (planning, writing):
        run = await detail(repository, run_id)
        assert (run.status, run.error) == ("interrupted", INTERRUPTED_REASON)
    variations = (await detail(repository, writing)).variations
    assert [(v.status, v.error) for v in variations] == [("done", ""), ("interrupted", INTERRUPTED_REASON)]
