"""The local provider on the bundled SmolLM2-135M model (needs the `local` extra; CI installs it).

Tests marked slow run whole plans and runs (about a minute each on 2 cores); the others make short calls.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: pip install -e '.[local]'")

from llama_cpp import LogitsProcessorList

from bot.app import resolve_models, workflow_config
from bot.config import Settings
from bot.errors import ConfigError, LLMError
from bot.workflow import Workflow
from bot.workflow.llm.builtin import LOCAL
from bot.workflow.llm.grammar import response_grammar
from bot.workflow.llm.local import LocalLLM, bundled_model_path, open_model
from bot.workflow.llm.local_sampling import GrammarSampler, LineBreaks
from bot.workflow.llm.registry import ProviderConfig
from bot.workflow.plan import parse_plan, type_key
from bot.workflow.prompting import orchestrator_prompt, revision_prompt, worker_prompt
from bot.workflow.quality import echoes, judge
from bot.workflow.types import (
    CallRecorded,
    CopyRequest,
    PlanReady,
    Revision,
    RunFinished,
    Subtask,
    VariationDone,
    VariationKind,
)

MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1"
PRODUCTS = [
    "eco-friendly water bottle",
    "noise-cancelling headphones",
    "artisan sourdough bakery",
    "project management software for small teams",
    "electric cargo bike",
    "organic dog food",
    "a budget travel credit card",
    "handmade leather wallet",
    "online Spanish lessons for kids",
    "smart thermostat",
    "vegan protein powder",
    "a co-working space in Lisbon",
    "ergonomic office chair",
    "children's picture book about space",
    "cybersecurity training for hospitals",
    "luxury beach resort in Bali",
    "reusable coffee cup with a lid",
    "tax preparation app",
    "indoor climbing gym membership",
    "solar phone charger",
]


@pytest.fixture(scope="module")
def llm() -> Iterator[LocalLLM]:
    model = LocalLLM.from_config(ProviderConfig(env={"COPYBOT_LLM": "local"}))
    yield model
    asyncio.run(model.aclose())


def worker(product: str = "eco-friendly water bottle") -> tuple[CopyRequest, Subtask]:
    request = CopyRequest(product)
    return request, Subtask(1, "playful", "Write playful copy that makes people smile.")


def test_the_bundled_model_ships_in_the_wheel_and_is_described_by_name(llm: LocalLLM) -> None:
    path = bundled_model_path()
    assert path is not None and path.name == f"{MODEL_NAME}.gguf" and path.stat().st_size > 90_000_000
    assert llm.describe("claude-sonnet-5-5") == MODEL_NAME
    assert llm.provider == "local" and llm.capabilities.streams


def test_a_missing_model_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="COPYBOT_LOCAL_MODEL_PATH"):
        LocalLLM.from_config(ProviderConfig(env={"COPYBOT_LOCAL_MODEL_PATH": str(tmp_path / "nope.gguf")}))


async def test_a_file_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("not a model")
    llm = LocalLLM.from_config(ProviderConfig(env={"COPYBOT_LOCAL_MODEL_PATH": str(bogus)}))
    try:
        assert llm.describe("x") == "notes"
        request, subtask = worker()
        with pytest.raises(LLMError, match="Could not load the local model") as caught:
            await llm.complete(worker_prompt(request, subtask), model="x", max_tokens=5)
        assert "COPYBOT_LOCAL_MODEL_PATH" in caught.value.hint
    finally:
        await llm.aclose()


async def test_streamed_text_arrives_on_the_event_loop_in_order(llm: LocalLLM) -> None:
    loop_thread = threading.get_ident()
    pieces: list[tuple[str, int]] = []
    request, subtask = worker()
    completion = await llm.complete(
        worker_prompt(request, subtask),
        model="x",
        max_tokens=40,
        on_text=lambda text: pieces.append((text, threading.get_ident())),
    )
    assert len(pieces) > 5
    assert "".join(text for text, _ in pieces) == completion.text
    assert {thread for _, thread in pieces} == {loop_thread}
    assert completion.text.startswith("<response>\n")
    assert completion.model == MODEL_NAME
    assert completion.usage.output_tokens == len(pieces) and completion.usage.input_tokens > 100
    assert completion.truncated and completion.stop_reason == "length"


async def test_the_event_loop_keeps_ticking_while_the_model_generates(llm: LocalLLM) -> None:
    gaps: list[float] = []

    async def heartbeat() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(heartbeat())
    request, subtask = worker()
    started = time.monotonic()
    await llm.complete(worker_prompt(request, subtask), model="x", max_tokens=60)
    took = time.monotonic() - started
    ticking.cancel()
    await asyncio.gather(ticking, return_exceptions=True)
    assert took > 0.3, "the call must be long enough to show anything"
    assert len(gaps) > took / 0.05 and max(gaps) < 0.25


async def test_concurrent_calls_are_serialised_and_all_answered(llm: LocalLLM) -> None:
    request = CopyRequest("smart thermostat")
    prompts = [worker_prompt(request, Subtask(i, style, f"Write {style} copy.")) for i, style in enumerate("abc", 1)]
    completions = await asyncio.gather(*(llm.complete(p, model="x", max_tokens=20) for p in prompts))
    assert all(c.text.startswith("<response>\n") and c.usage.output_tokens == 20 for c in completions)


def test_the_bundled_model_asks_for_the_small_prompts_and_three_candidates(llm: LocalLLM) -> None:
    assert not llm.capabilities.follows_instructions and llm.capabilities.candidates == 3
    full = LocalLLM.from_config(ProviderConfig(env={"COPYBOT_LOCAL_PROMPTS": "full", "COPYBOT_LOCAL_CANDIDATES": "1"}))
    assert full.capabilities.follows_instructions and full.capabilities.candidates == 1


async def test_a_small_prompt_is_continued_into_a_headline_and_a_body_naming_the_product(llm: LocalLLM) -> None:
    request, subtask = worker()
    completion = await llm.complete(worker_prompt(request, subtask, small=True), model="x", max_tokens=1024)
    assert completion.stop_reason == "stop" and not completion.truncated, completion.text
    headline, body = completion.text.removeprefix("<response>\n").removesuffix("\n</response>").split("\n")
    assert headline.strip() and "<" not in headline
    assert body.startswith("Our eco-friendly water bottle ") and body[-1] in ".!?"


@pytest.mark.parametrize("kind", [VariationKind.REFINE, VariationKind.ANOTHER])
async def test_refinements_and_other_takes_run_under_the_worker_grammar(llm: LocalLLM, kind: VariationKind) -> None:
    request, subtask = worker()
    new = Subtask(4, subtask.type, subtask.description, kind, parent=1, instruction="shorter")
    revision = Revision(request, new, base="Sip happy: the bottle that makes water fun.", earlier=((1, "x"),))
    for small in (False, True):
        completion = await llm.complete(revision_prompt(revision, small=small), model="x", max_tokens=40)
        assert completion.text.startswith("<response>\n") and "<" not in completion.text[len("<response>") :]


async def test_a_call_cut_by_a_timeout_stops_generating(llm: LocalLLM) -> None:
    request, subtask = worker()
    prompt = worker_prompt(request, subtask)

    async def short_call() -> float:
        started = time.monotonic()
        await llm.complete(prompt, model="x", max_tokens=3)
        return time.monotonic() - started

    baseline = await short_call()  # relative, not absolute: the machine's load scales both
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(llm.complete(prompt, model="x", max_tokens=450), 0.3)
    after = await short_call()
    # had the abandoned call gone on, this one would queue behind ~450 tokens (many times a short call)
    assert after < 2 * baseline + 1.0, (after, baseline)


@pytest.mark.slow
async def test_the_grammar_yields_a_parseable_plan_for_20_products(llm: LocalLLM) -> None:
    for product in PRODUCTS:
        request = CopyRequest(product)
        completion = await llm.complete(orchestrator_prompt(request, small=True), model="x", max_tokens=2048)
        assert completion.stop_reason == "stop", (product, completion.text)
        plan = parse_plan(completion.text, 5)
        assert plan.analysis, (product, completion.text)
        keys = {type_key(s.type) for s in plan.subtasks}
        assert 2 <= len(keys) == len(plan.subtasks) <= 5, (product, completion.text)
        assert all(len(s.description) > 20 for s in plan.subtasks), (product, completion.text)


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_",
    [
        CopyRequest("eco-friendly water bottle"),
        CopyRequest("invoicing app for freelancers", features=("automatic reminders",)),
        CopyRequest("dog grooming service", audience="busy pet owners"),
    ],
    ids=["consumer", "software", "service"],
)
async def test_full_runs_on_the_bundled_model_write_ads_that_echo_no_prompt_and_never_loop(
    llm: LocalLLM, request_: CopyRequest
) -> None:
    settings = Settings.from_env({"COPYBOT_LLM": "local"})
    workflow = Workflow(llm, workflow_config(settings, resolve_models(settings, LOCAL)))
    events = [event async for event in workflow.run(request_)]

    [ready] = [e for e in events if isinstance(e, PlanReady)]
    assert ready.plan.analysis and len({type_key(s.type) for s in ready.plan.subtasks}) >= 2
    assert echoes(ready.plan.analysis) == (), ready.plan.analysis
    done = [e.variation for e in events if isinstance(e, VariationDone)]
    assert len(done) == len(ready.plan.subtasks)
    for variation in done:
        verdict = judge(variation.text, request_.product, request_.features)
        assert verdict.echoes == () and not verdict.loop, (verdict.problems, variation.text)
    calls = [e.call for e in events if isinstance(e, CallRecorded)]
    assert {(c.provider, c.model) for c in calls} == {("local", MODEL_NAME)}
    assert len([c for c in calls if c.position]) == 3 * len(done)  # three candidates each, all recorded
    assert isinstance(events[-1], RunFinished) and events[-1].status == "done"


@pytest.mark.slow
async def test_copybot_run_works_offline_without_a_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPYBOT_", "ANTHROPIC_", "OPENAI_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "eco-friendly water bottle", "--json", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)

    assert process.returncode == 0, err.decode()
    assert f"local · orchestrator {MODEL_NAME}, workers {MODEL_NAME}" in err.decode()
    document = json.loads(out)
    assert document["status"] == "done" and document["analysis"]
    variations = document["variations"]
    assert len({type_key(v["type"]) for v in variations}) == len(variations) >= 2
    assert all(v["status"] == "done" and len(v["text"]) > 50 for v in variations)


def test_line_breaks_end_a_headline_where_the_model_pauses() -> None:
    path = bundled_model_path()
    assert path is not None
    llama = open_model(path, 1)
    breaks = LineBreaks.of(llama)
    assert {llama.detokenize([t]).strip() for t in breaks.pauses} >= {b",", b";", b":", b"-"}
    assert llama.tokenize(b"-", add_bos=False, special=False)[0] not in breaks.pauses  # inside a word: no pause
    assert {llama.detokenize([t]) for t in breaks.sentence_ends} >= {b".", b"!", b"?"}
    text = worker_prompt(*worker(), small=True).text

    def headlines(with_breaks: LineBreaks | None) -> list[str]:
        found = []
        for seed in range(6):
            sampler = GrammarSampler(llama, response_grammar(), seed=seed, temperature=0.6, breaks=with_breaks)
            try:
                reply = llama.create_completion(
                    prompt=text, max_tokens=30, temperature=0.0, logits_processor=LogitsProcessorList([sampler])
                )
            finally:
                sampler.close()
            found.append(str(reply["choices"][0]["text"]).removeprefix("<response>\n").split("\n")[0])
        return found

    try:
        ended = headlines(breaks)
        assert not any(line.rstrip().endswith((",", ";", ":")) for line in ended), ended
        assert sum(map(len, ended)) < sum(map(len, headlines(None))), ended
    finally:
        llama.close()
