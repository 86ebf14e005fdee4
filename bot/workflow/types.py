"""Frozen value types of the workflow: the request, the plan, calls and events."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import RequestError
from bot.workflow.formats import FieldText, Format
from bot.workflow.voice import NO_TASTE, NO_VOICE, Taste, Voice

MAX_PRODUCT_CHARS = 1000
MAX_FIELD_CHARS = 300
MAX_FEATURES = 20
MAX_VARIATIONS = 5
MIN_VARIATIONS = 1
INTERRUPTED_REASON = "The bot stopped before this run finished."
MAX_INSTRUCTION_CHARS = 1000
MIN_STYLES = 2  # a plan needs this many distinct styles (or all the variations asked for, if fewer)


class Role(StrEnum):
    """Which part of the workflow made a model call."""

    ORCHESTRATOR = "orchestrator"
    WORKER = "worker"


class RunStatus(StrEnum):
    """A run's state machine: planning -> writing -> done | partial | failed | interrupted."""

    PLANNING = "planning"
    WRITING = "writing"
    DONE = "done"  # every variation written
    PARTIAL = "partial"  # some variations written, some failed
    FAILED = "failed"  # nothing written (or the plan failed)
    INTERRUPTED = "interrupted"  # a shutdown or crash cut the run short

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.PLANNING, RunStatus.WRITING)


class VariationKind(StrEnum):
    """How a variation came about: planned by the orchestrator, or a new version of one in the run."""

    ORIGINAL = "original"
    REFINE = "refine"  # rewritten from another version, following a person's instruction
    ANOTHER = "another"  # a new take in the same style, different from every earlier one


class VariationStatus(StrEnum):
    """A variation's state machine: writing -> done | failed | interrupted."""

    WRITING = "writing"
    DONE = "done"
    OVER_LIMIT = "over_limit"  # written, but a field is still over its format's limit after the rewrites
    FAILED = "failed"
    INTERRUPTED = "interrupted"


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def printable(text: str) -> str:
    """`text` without control characters but tab and newline (a NUL fails every PostgreSQL insert; an escape
    sequence would drive the terminal that prints it): model output and user input pass here before storage."""
    return _CONTROL.sub("", text)


def _clean(value: str) -> str:
    return " ".join(printable(value).split())


@dataclass(frozen=True)
class CopyRequest:
    """What a marketer asked for. Construction validates and normalises whitespace."""

    product: str
    audience: str = ""
    features: tuple[str, ...] = ()
    tone: str = ""
    max_variations: int = MAX_VARIATIONS
    format: Format | None = None  # fields with hard character limits; None: free copy
    voice: Voice = NO_VOICE  # the team's brand voice (workspace, then channel): prompts and the terminology check
    taste: Taste = NO_TASTE  # what the team picked before: the orchestrator plans with it in mind

    def __post_init__(self) -> None:
        product = _clean(self.product)
        if not product:
            raise RequestError(
                "The product is empty.",
                hint='Say what to write about, e.g. copybot run "eco-friendly water bottle".',
            )
        if len(product) > MAX_PRODUCT_CHARS:
            raise RequestError(
                f"The product is {len(product):,} characters; the limit is {MAX_PRODUCT_CHARS:,}.",
                hint="Shorten it and put details in audience, features or tone.",
            )
        features = tuple(f for f in (_clean(x) for x in self.features) if f)
        if len(features) > MAX_FEATURES:
            raise RequestError(f"{len(features)} features given; the limit is {MAX_FEATURES}.")
        for name, value in (("audience", self.audience), ("tone", self.tone), *(("feature", f) for f in features)):
            if len(_clean(value)) > MAX_FIELD_CHARS:
                raise RequestError(f"The {name} is longer than {MAX_FIELD_CHARS} characters.", hint="Shorten it.")
        if not MIN_VARIATIONS <= self.max_variations <= MAX_VARIATIONS:
            raise RequestError(
                f"{self.max_variations} variations asked for; copybot writes {MIN_VARIATIONS}-{MAX_VARIATIONS}."
            )
        object.__setattr__(self, "product", product)
        object.__setattr__(self, "audience", _clean(self.audience))
        object.__setattr__(self, "tone", _clean(self.tone))
        object.__setattr__(self, "features", features)


@dataclass(frozen=True)
class Subtask:
    """One variation to write: planned by the orchestrator, or a new version of variation `parent`.

    Positions start at 1 and are unique in a run: a new version takes the run's next free number."""

    position: int
    type: str
    description: str
    kind: VariationKind = VariationKind.ORIGINAL
    parent: int | None = None  # the version it was made from (refine, another)
    instruction: str = ""  # what the person asked for (refine)


@dataclass(frozen=True)
class Plan:
    """The orchestrator's parsed reply."""

    analysis: str
    subtasks: tuple[Subtask, ...]


@dataclass(frozen=True)
class Usage:
    """Tokens a call used; `reported` False when the server sent no counts (the zeros are then unknowns)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    reported: bool = True


@dataclass(frozen=True)
class LLMCall:
    """One model call, as it is stored: who called what, with what cost and outcome."""

    role: Role
    prompt_name: str
    prompt_sha256: str
    provider: str
    model: str
    usage: Usage
    duration_ms: int
    stop_reason: str = ""
    request_id: str = ""
    error: str = ""
    position: int | None = None  # the variation a worker call wrote
    cost_usd: float | None = 0.0  # estimated from the provider's prices; None when a price is unknown
    reply: str = ""  # the raw reply, kept when the plan it held could not be used


@dataclass(frozen=True)
class Variation:
    """A written variation. With a format, `fields` holds each field instance and `over_limit` what is still wrong
    after the rewrites (then its status is over_limit); `text` is the whole copy."""

    subtask: Subtask
    text: str
    truncated: bool
    call: LLMCall
    fields: tuple[FieldText, ...] = ()
    over_limit: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()  # the brand voice's terms still broken after the rewrites (shown with ⚠)

    @property
    def status(self) -> VariationStatus:
        return VariationStatus.OVER_LIMIT if self.over_limit else VariationStatus.DONE


@dataclass(frozen=True)
class Revision:
    """A new version of a written variation of a run: `subtask` holds its reserved position and lineage (kind,
    parent, instruction); it is written from the parent's text `base`, and must differ from every copy in
    `earlier` (position, text: the run's written variations). An `another` take sees the earlier texts of its
    style (`same_style`) in its prompt."""

    request: CopyRequest
    subtask: Subtask
    base: str
    earlier: tuple[tuple[int, str], ...] = ()
    same_style: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisReady:
    """The orchestrator's analysis, as soon as it is known; always before any VariationStarted."""

    analysis: str


@dataclass(frozen=True)
class PlanReady:
    """The final plan, after every VariationStarted of the run."""

    plan: Plan


@dataclass(frozen=True)
class VariationStarted:
    subtask: Subtask


@dataclass(frozen=True)
class VariationText:
    """A variation's copy so far, while it is written (live text only; throttled; never stored).

    Comes after the variation's VariationStarted and before its VariationDone/VariationFailed. The text is
    already free of the `<response>` tag; the final copy always comes in VariationDone.
    """

    subtask: Subtask
    text: str


@dataclass(frozen=True)
class VariationDone:
    variation: Variation


@dataclass(frozen=True)
class VariationFailed:
    subtask: Subtask
    error: str
    call: LLMCall | None = None


@dataclass(frozen=True)
class CallRecorded:
    """Every model call, successful or not, exactly once."""

    call: LLMCall


@dataclass(frozen=True)
class RunFinished:
    status: RunStatus
    error: str = ""
    succeeded: int = 0
    failed: int = 0
    wall_ms: int = 0
    over_limit: int = 0


Event = (
    AnalysisReady
    | PlanReady
    | VariationStarted
    | VariationText
    | VariationDone
    | VariationFailed
    | CallRecorded
    | RunFinished
)

Emit = Callable[[Event], None]
"""Where a run's events go as they happen."""
