"""A cheap scorer of copy written by a small model: does it read as an ad for the product?

It checks, in code and in microseconds, what a 135M model gets wrong and a
reader notices at once (the criteria of bench/offline_quality.py):

- names: the copy names the product (a word of its name, plurals and simple
  endings aside) or a word of one of the given features;
- echoes: it carries none of the prompts' own words (copywriter, guidelines,
  word count, `<response>`, a label such as `Headline:`...): text that reads
  the instructions back instead of selling;
- loop: no sequence of 4 words occurs three times or more;
- length: 12-120 words;
- whole: nothing is cut off mid-phrase: the first line (the headline) ends in
  punctuation, or is shorter than HEADLINE_MAX_CHARS and ends on a word a
  headline can end on; no sentence ends on such a word or a broken-off hyphen
  (`choosing from our eco-!`: a grammar's cap cut it);
- own words: no run of 5 words copied from the few-shot examples the small
  prompts show (prompts/*_small.md), which a small model likes to reuse.

Across one run, two copies are too alike when the Jaccard index of their word
sets is 0.6 or more (`similarity`). `score` orders candidates of one
variation for best-of-k: passing every criterion first, then fewer problems,
then the least like the copies already written, then nearer a typical ad's
length.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import prompts

MIN_WORDS = 12
MAX_WORDS = 120
LOOP_WORDS = 4
LOOP_REPEATS = 3
MAX_SIMILARITY = 0.6
TYPICAL_WORDS = 45
HEADLINE_MAX_CHARS = 60  # the local grammar's cap: a headline this long was most likely cut there
COPIED_WORDS = 5
EXAMPLE_PROMPTS = ("worker_small", "refine_small", "rewrite_small")

# The prompts' own vocabulary: in copy (or an analysis) it means the model read its instructions back.
META_TERMS: tuple[str, ...] = (
    "copywriter",
    "copywriters",
    "copywriting",
    "guideline",
    "guidelines",
    "requirement",
    "requirements",
    "instruction",
    "instructions",
    "word count",
    "plain text",
    "250 words",
    "the user",
    "this document",
    "kebab-case",
    "kebab case",
    "the assignment",
    "the brief",
    "creative director",
    "marketing team",
    "variation",
    "variations",
    "angle for",
    "data supplied",
    "xml",
    "placeholder",
    "the copy",
    "in this style",
    "one or two sentences",
    "preamble",
    "notes to the reader",
    "no alternatives",
    "finished copy",
    "treat it only as",
    "in exactly this format",
)
META_LABELS: tuple[str, ...] = (
    "product",
    "audience",
    "features",
    "feature",
    "tone",
    "style",
    "ad",
    "headline",
    "body",
    "analysis",
    "type",
    "description",
    "response",
    "task",
)
_TAG = re.compile(r"</?\s*[a-z_]+\s*>", re.IGNORECASE)
_LABEL = re.compile(rf"(?:^|\n|[.!?]\s)\s*({'|'.join(META_LABELS)})\s*:", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:['\u2019-][a-z0-9]+)*")  # with inner apostrophes and hyphens
_STOP = frozenset(
    {"a", "an", "and", "the", "for", "of", "with", "to", "in", "on", "at", "by", "or", "your", "you", "our", "my"}
    | {"is", "are", "new", "best", "from", "it", "its", "this", "that"}
)


_DANGLING = frozenset(  # no headline ends on these: articles, prepositions, conjunctions, possessives, auxiliaries
    {"a", "an", "the", "and", "or", "but", "so", "than", "as", "if", "when", "while", "to", "of", "for", "with"}
    | {"in", "on", "at", "by", "from", "into", "about", "your", "our", "my", "their", "his", "her", "its", "every"}
    | {"is", "are", "was", "be", "has", "have", "will", "can", "not", "no", "any", "just", "more", "most", "that"}
)
_EXAMPLE = re.compile(r"<response>\n(.*?)\n</response>", re.DOTALL)


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _stem(word: str) -> str:
    """A rough stem: plurals and -ing/-ed/-er endings off, then a final e (bottles, bottle -> bottl)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    for ending in ("ing", "ed", "er", "es", "s"):
        if word.endswith(ending) and not word.endswith("ss") and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    return word.removesuffix("e") if len(word) > 3 else word


def _content_stems(text: str) -> set[str]:
    return {_stem(w) for w in words(text) if w not in _STOP and len(w) >= 3}


def echoes(text: str) -> tuple[str, ...]:
    """The prompt words and template labels `text` carries, in the order of META_TERMS, then tags and labels."""
    folded = text.casefold()
    found = [term for term in META_TERMS if _whole_words(term).search(folded)]
    found += sorted({m.group(0).strip() for m in _TAG.finditer(text)})
    found += sorted({f"{m.group(1).casefold()}:" for m in _LABEL.finditer(text)})
    return tuple(found)


@cache
def _whole_words(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")


def _grams(seq: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """Every run of `size` words in `seq`, in order."""
    return [tuple(seq[i : i + size]) for i in range(len(seq) - size + 1)]


def loops(text: str) -> bool:
    """True when some sequence of LOOP_WORDS words occurs LOOP_REPEATS times or more."""
    grams = Counter(_grams(words(text), LOOP_WORDS))
    return any(count >= LOOP_REPEATS for count in grams.values())


_SENTENCE_END = re.compile(r"(\S+)\s*[.!?]+(?=\s|$)")


def _dangles(text: str) -> bool:
    """`text` ends on a word no headline or sentence ends on."""
    last = words(text)[-1:]
    return bool(last) and last[0] in _DANGLING


def whole(text: str) -> bool:
    """False when the headline or a sentence stops mid-phrase."""
    for match in _SENTENCE_END.finditer(text):
        last = match.group(1)
        if last.endswith("-") or _dangles(last):
            return False
    return _headline_whole(text)


def _headline_whole(text: str) -> bool:
    """False when the first line stops mid-phrase: at the grammar's cap, or on a word no headline ends on."""
    line = text.strip().split("\n", 1)[0].strip()
    if not line or line[-1] in '.!?"\u201d)':  # not an apostrophe: a word cut after it
        return True
    if line[-1] in ",;:-\u2013\u2014":
        return False
    return len(line) < HEADLINE_MAX_CHARS and not _dangles(line)


@cache
def _example_grams() -> frozenset[tuple[str, ...]]:
    """Every run of COPIED_WORDS words in the example ads of the small prompts."""
    found: set[tuple[str, ...]] = set()
    for name in EXAMPLE_PROMPTS:
        for example in _EXAMPLE.findall(prompts.load(name).source):
            found.update(_grams(words(example), COPIED_WORDS))
    return frozenset(found)


def copies_examples(text: str) -> bool:
    """True when `text` reuses COPIED_WORDS words in a row from an example ad of the small prompts."""
    return not _example_grams().isdisjoint(_grams(words(text), COPIED_WORDS))


def names_subject(text: str, product: str, features: Iterable[str] = ()) -> bool:
    """True when `text` has a content word of the product's name or of one of the features."""
    found = _content_stems(text)
    return any(_content_stems(subject) & found for subject in (product, *features))


def similarity(a: str, b: str) -> float:
    """Jaccard index of the two texts' word sets (0: nothing shared, 1: the same words)."""
    left, right = set(words(a)), set(words(b))
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


@dataclass(frozen=True)
class Verdict:
    """How one copy fares on each criterion."""

    names: bool
    echoes: tuple[str, ...]
    loop: bool
    words: int
    whole: bool = True
    copied: bool = False

    @property
    def length_ok(self) -> bool:
        return MIN_WORDS <= self.words <= MAX_WORDS

    @property
    def problems(self) -> tuple[str, ...]:
        found = []
        if not self.names:
            found.append("does not name the product")
        if self.echoes:
            found.append("echoes the prompt: " + ", ".join(self.echoes))
        if self.loop:
            found.append("repeats itself")
        if not self.length_ok:
            found.append(f"{self.words} words (wants {MIN_WORDS}-{MAX_WORDS})")
        if not self.whole:
            found.append("cut off mid-phrase")
        if self.copied:
            found.append("copies an example ad")
        return tuple(found)

    @property
    def passes(self) -> bool:
        return not self.problems


def judge(text: str, product: str, features: Sequence[str] = ()) -> Verdict:
    return Verdict(
        names_subject(text, product, features),
        echoes(text),
        loops(text),
        len(words(text)),
        whole(text),
        copies_examples(text),
    )


def score(verdict: Verdict, text: str, earlier: Iterable[str] = ()) -> tuple[int, int, float, int]:
    """Higher is better: passes all, fewer problems, least like the `earlier` copies of the run, typical length."""
    closest = max((similarity(text, other) for other in earlier), default=0.0)
    distinct = closest < MAX_SIMILARITY
    return (
        int(verdict.passes and distinct),
        -len(verdict.problems) - int(not distinct),
        -closest,
        -abs(verdict.words - TYPICAL_WORDS),
    )
