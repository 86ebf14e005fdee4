"""What an operator scrapes from `copybot serve`: Prometheus metrics on a registry of the App's own.

`Metrics` holds every instrument; it is fed by the services (`RunMetrics`, an observer of every run's and new
version's events, and the limits' refusals) and by the Slack adapter (acknowledgement time, Web API calls:
bot/slack/metered.py). `render()` is the text format GET /metrics answers with. Only `copybot serve` builds one:
the CLI's commands never import prometheus_client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.services.limits import Reason
from bot.workflow import (
    CallRecorded,
    Event,
    PlanReady,
    RunFinished,
    VariationDone,
    VariationFailed,
    VariationStarted,
)
from bot.workflow.types import LLMCall, VariationStatus

QUICK = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)  # Slack wants an ack within 3 s
MODEL = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter("copybot_runs", "Runs finished, by status.", ["status"], registry=r)
        self.variations = Counter(
            "copybot_variations", "Variations finished (new versions included), by status.", ["status"], registry=r
        )
        self.model_calls = Counter(
            "copybot_model_calls",
            "Model calls by role, provider and outcome (ok; unused: answered, but the reply was retried or "
            "rewritten; failed).",
            ["role", "provider", "outcome"],
            registry=r,
        )
        self.tokens = Counter(
            "copybot_tokens", "Tokens of model calls, by role and direction (input, output).", ["role", "direction"],
            registry=r,
        )  # fmt: skip
        self.ack_seconds = Histogram(
            "copybot_slack_ack_seconds", "Time from a Slack request to its acknowledgement.", buckets=QUICK, registry=r
        )
        self.plan_seconds = Histogram(
            "copybot_plan_seconds", "Time from a run's start to its complete plan.", buckets=MODEL, registry=r
        )
        self.worker_seconds = Histogram(
            "copybot_worker_seconds", "Time a variation took to write, from its start.", buckets=MODEL, registry=r
        )
        self.first_variation_seconds = Histogram(
            "copybot_first_variation_seconds",
            "Time from a run's start to its first written variation.",
            buckets=MODEL,
            registry=r,
        )
        self.slack_calls = Counter(
            "copybot_slack_api_calls",
            "Slack Web API responses by method and outcome (ok, ratelimited for a 429, server_error, "
            "connection_error, or Slack's error code); each attempt of a retried call counts.",
            ["method", "outcome"],
            registry=r,
        )
        self.runs_in_flight = Gauge("copybot_runs_in_flight", "Runs executing now.", registry=r)
        self.refusals = Counter(
            "copybot_refusals", "Requests refused before any model call, by reason.", ["reason"], registry=r
        )
        for reason in Reason:  # every reason shows, at 0, before the first refusal
            self.refusals.labels(reason.value)

    def refused(self, reason: Reason) -> None:
        self.refusals.labels(reason.value).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def outcome(call: LLMCall) -> str:
    if not call.error:
        return "ok"
    return "unused" if call.stop_reason else "failed"


@dataclass
class _Run:
    started: float
    written: bool = False


class RunMetrics:
    """The services' observer: every run's events (and every new version's) become metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._runs: dict[int, _Run] = {}
        self._writing: dict[tuple[int, int], float] = {}  # (run, position): when its writing started

    def started(self, run_id: int) -> None:
        self._runs[run_id] = _Run(time.monotonic())
        self.metrics.runs_in_flight.inc()

    def ended(self, run_id: int) -> None:
        if self._runs.pop(run_id, None) is not None:
            self.metrics.runs_in_flight.dec()
        for key in [key for key in self._writing if key[0] == run_id]:
            del self._writing[key]

    async def handle(self, run_id: int, event: Event) -> None:
        m, now, run = self.metrics, time.monotonic(), self._runs.get(run_id)
        match event:
            case CallRecorded(call=call):
                m.model_calls.labels(call.role.value, call.provider, outcome(call)).inc()
                m.tokens.labels(call.role.value, "input").inc(call.usage.input_tokens)
                m.tokens.labels(call.role.value, "output").inc(call.usage.output_tokens)
            case PlanReady() if run is not None:
                m.plan_seconds.observe(now - run.started)
            case VariationStarted(subtask=subtask):
                self._writing[(run_id, subtask.position)] = now
            case VariationDone(variation=variation):
                m.variations.labels(variation.status.value).inc()
                self._finished_writing(run_id, variation.subtask.position, now)
                if run is not None and not run.written:
                    run.written = True
                    m.first_variation_seconds.observe(now - run.started)
            case VariationFailed(subtask=subtask):
                m.variations.labels(VariationStatus.FAILED.value).inc()
                self._finished_writing(run_id, subtask.position, now)
            case RunFinished(status=status):
                m.runs.labels(status.value).inc()

    def _finished_writing(self, run_id: int, position: int, now: float) -> None:
        started = self._writing.pop((run_id, position), None)
        if started is not None:
            self.metrics.worker_seconds.observe(now - started)
