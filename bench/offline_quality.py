"""Offline copy quality (not a test): the bundled model on 20 varied products, scored in code.

    python bench/offline_quality.py [--products 20] [--timed 3] [--show 2]

Needs the `local` extra. Runs each product once through the same workflow as `copybot run` (the local provider,
with the COPYBOT_LOCAL_* settings of the environment) and prints, per criterion and overall, the share of
variations that pass (bot/workflow/quality.py is the scorer):

  names      the copy names the product (a word of its name) or a word of a given feature;
  no echo    none of the prompts' own words or labels (copywriter, guidelines, `<response>`, Headline:...);
  shape      no 4-word sequence three times or more, and 12-120 words;
  distinct   the word-set Jaccard index with every other variation of its run is under 0.6;
  analysis   the run's analysis (when one is shown) carries no template text;
  all        every criterion above (the issue's bar);
and two more the scorer checks, which a reader notices as well:
  whole      nothing cut off mid-phrase: the headline, or a sentence at its cap;
  own words  no 5 words in a row copied from the small prompts' example ads;
  all+       all of the seven.

Then the wall time of the README's main command, `copybot run "<product>"` as a new process on the bundled model
(median of --timed runs, each in a fresh temporary database), and --show runs printed in full.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: `python bench/offline_quality.py`

from bot.app import App
from bot.config import Settings
from bot.workflow import AnalysisReady, CopyRequest, PlanReady, RunFinished, VariationDone
from bot.workflow.quality import MAX_SIMILARITY, echoes, judge, similarity

PRODUCTS: tuple[CopyRequest, ...] = (
    CopyRequest("eco-friendly water bottle"),
    CopyRequest("noise-cancelling headphones", audience="commuters", features=("30-hour battery", "fold flat")),
    CopyRequest("cold brew coffee concentrate", features=("organic beans", "makes 16 cups")),
    CopyRequest("project management software", audience="small agencies"),
    CopyRequest("invoicing app for freelancers", features=("automatic reminders", "multi-currency")),
    CopyRequest("dog grooming service", audience="busy pet owners", features=("home visits",)),
    CopyRequest("sourdough bread subscription"),
    CopyRequest("running shoes", audience="marathon beginners", features=("cushioned sole", "breathable mesh")),
    CopyRequest("cloud backup for small businesses", features=("encrypted", "daily snapshots")),
    CopyRequest("vegan protein bar", audience="gym-goers"),
    CopyRequest("language learning app", features=("10-minute lessons", "speech practice")),
    CopyRequest("electric bike", audience="city commuters", features=("60 km range",)),
    CopyRequest("accounting firm for startups"),
    CopyRequest("scented soy candles", features=("hand-poured", "40-hour burn")),
    CopyRequest("CRM for real estate agents", audience="independent realtors"),
    CopyRequest("meal kit delivery", audience="young families", features=("15-minute recipes",)),
    CopyRequest("yoga studio membership"),
    CopyRequest("password manager", features=("works on every device", "breach alerts")),
    CopyRequest("artisan hot sauce", audience="foodies"),
    CopyRequest("home cleaning service", features=("eco-friendly products", "vetted cleaners")),
)
CRITERIA = ("names", "no echo", "shape", "distinct", "analysis", "all", "whole", "own words", "all+")


@dataclass
class Tally:
    passed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CRITERIA, 0))
    variations: int = 0
    runs: int = 0
    planned: int = 0
    seconds: list[float] = field(default_factory=list)


async def score_runs(products: tuple[CopyRequest, ...], show: int) -> Tally:
    tally = Tally()
    settings = Settings.from_env({**os.environ, "COPYBOT_LLM": "local"})
    async with App.open(settings) as app:
        workflow = await app.workflow()
        for number, request in enumerate(products, 1):
            started = time.monotonic()
            events = [event async for event in workflow.run(request)]
            tally.seconds.append(time.monotonic() - started)
            analysis = next((e.analysis for e in events if isinstance(e, AnalysisReady) and e.analysis), "")
            analysis = analysis or next((e.plan.analysis for e in events if isinstance(e, PlanReady)), "")
            texts = [e.variation.text for e in events if isinstance(e, VariationDone)]
            end = events[-1]
            assert isinstance(end, RunFinished)
            tally.runs += 1
            tally.planned += end.succeeded + end.failed
            clean_analysis = not echoes(analysis)
            pairs = combinations(range(len(texts)), 2)
            alike = {i for a, b in pairs if similarity(texts[a], texts[b]) >= MAX_SIMILARITY for i in (a, b)}
            for i, text in enumerate(texts):
                verdict = judge(text, request.product, request.features)
                marks = {
                    "names": verdict.names,
                    "no echo": not verdict.echoes,
                    "shape": not verdict.loop and verdict.length_ok,
                    "distinct": i not in alike,
                    "analysis": clean_analysis,
                }
                marks["all"] = all(marks.values())
                marks["whole"] = verdict.whole
                marks["own words"] = not verdict.copied
                marks["all+"] = marks["all"] and verdict.whole and not verdict.copied
                tally.variations += 1
                for name, ok in marks.items():
                    tally.passed[name] += ok
            if number <= show:
                print(f"\n=== {request.product} ({end.status}, {tally.seconds[-1]:.1f} s)\nanalysis: {analysis}")
                for i, text in enumerate(texts, 1):
                    problems = judge(text, request.product, request.features).problems
                    print(f"--- {i}: {'; '.join(problems) or 'ok'}\n{text}")
    return tally


def timed_runs(product: str, count: int) -> list[float]:
    """Wall seconds of `copybot run "<product>"`, each a new process on a fresh SQLite database."""
    walls = []
    for _ in range(count):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "COPYBOT_LLM": "local", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/copybot.db"}
            started = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "bot", "run", product], env=env, check=True, stdout=subprocess.DEVNULL
            )
            walls.append(time.monotonic() - started)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=len(PRODUCTS), help="how many of the 20 products to run")
    parser.add_argument("--timed", type=int, default=3, help="timed `copybot run` processes (0: none)")
    parser.add_argument("--show", type=int, default=0, help="print this many runs in full")
    args = parser.parse_args()
    tally = asyncio.run(score_runs(PRODUCTS[: args.products], args.show))
    print(f"\n{tally.runs} runs, {tally.variations} variations written of {tally.planned} planned")
    for name in CRITERIA:
        share = tally.passed[name] / tally.variations if tally.variations else 0.0
        print(f"  {name:<9} {share:6.1%}  ({tally.passed[name]}/{tally.variations})")
    print(f"  in-process run: {statistics.median(tally.seconds):.1f} s median (model loaded once)")
    if args.timed:
        walls = timed_runs(PRODUCTS[0].product, args.timed)
        each = ", ".join(f"{w:.1f}" for w in walls)
        print(f'`copybot run "{PRODUCTS[0].product}"`: {statistics.median(walls):.1f} s wall median ({each} s)')


if __name__ == "__main__":
    main()
