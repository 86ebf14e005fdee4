"""Claude through the official SDK (AsyncAnthropic).

The SDK retries 408/409/429/5xx (529 overloaded included) and connection
errors with backoff, honouring retry-after; we set the retry count and an
explicit timeout. An error event inside a stream is not retried by the SDK:
it surfaces here as a retryable LLMError and the workflow decides.
"""

from __future__ import annotations

import json

import anthropic

from bot.errors import ConfigError, LLMError
from bot.workflow.llm import prices
from bot.workflow.llm.base import Capabilities, Completion, Price, Prompt, TextSink
from bot.workflow.llm.connect import unreachable
from bot.workflow.llm.registry import ProviderConfig
from bot.workflow.types import Usage

_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


class AnthropicLLM:
    """LLM protocol on AsyncAnthropic."""

    provider = "anthropic"
    capabilities = Capabilities(streams=True)

    def __init__(self, *, api_key: str, base_url: str = "", max_retries: int = 3, timeout_s: float = 120.0) -> None:
        if not api_key:
            raise ConfigError(
                "ANTHROPIC_API_KEY is not set.",
                hint="Set ANTHROPIC_API_KEY to your Anthropic API key, or COPYBOT_LLM=local to run offline.",
            )
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url or None, max_retries=max_retries, timeout=timeout_s
        )

    @classmethod
    def from_config(cls, config: ProviderConfig) -> AnthropicLLM:
        return cls(
            api_key=config.get("ANTHROPIC_API_KEY"),
            base_url=config.get("ANTHROPIC_BASE_URL"),
            max_retries=config.max_retries,
            timeout_s=config.timeout_s,
        )

    def describe(self, model: str) -> str:
        return model

    def price(self, model: str) -> Price | None:
        return prices.lookup(prices.PER_MILLION, model)

    async def complete(
        self, prompt: Prompt, *, model: str, max_tokens: int, on_text: TextSink | None = None
    ) -> Completion:
        messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": prompt.text}]
        try:
            if on_text is None:
                message = await self._client.messages.create(model=model, max_tokens=max_tokens, messages=messages)
                request_id = message._request_id or message.id  # a gateway may send no request-id header
            else:
                async with self._client.messages.stream(
                    model=model, max_tokens=max_tokens, messages=messages
                ) as stream:
                    async for text in stream.text_stream:
                        on_text(text)
                    message = await stream.get_final_message()
                request_id = stream.request_id or message.id  # a streamed message has no _request_id attribute
        except anthropic.APIStatusError as exc:
            raise _status_error(exc) from exc
        except anthropic.APITimeoutError as exc:
            raise LLMError("The Anthropic API did not answer in time.", retryable=True) from exc
        except anthropic.APIConnectionError as exc:
            if (why := unreachable(exc)) is not None:
                raise LLMError(
                    f"Could not connect to the Anthropic API at {self._client.base_url} ({why}).",
                    hint="That is a setting, not a passing outage: check ANTHROPIC_BASE_URL (unset, it is "
                    "Anthropic's API) and this machine's network.",
                ) from exc
            raise LLMError(f"Could not reach the Anthropic API ({exc}).", retryable=True) from exc
        except (anthropic.APIResponseValidationError, json.JSONDecodeError) as exc:
            raise LLMError(f"The Anthropic API sent a reply that could not be read ({exc}).", retryable=True) from exc
        text = "".join(block.text for block in message.content if block.type == "text")
        usage = message.usage
        return Completion(
            text=text,
            model=message.model,
            usage=Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_input_tokens=usage.cache_read_input_tokens or 0,
                cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
            ),
            stop_reason=message.stop_reason or "",
            truncated=message.stop_reason == "max_tokens",
            request_id=request_id,
        )

    async def aclose(self) -> None:
        await self._client.close()


def _status_error(exc: anthropic.APIStatusError) -> LLMError:
    status = exc.status_code
    body = exc.body if isinstance(exc.body, dict) else {}
    nested = body.get("error")
    error: dict[str, object] = nested if isinstance(nested, dict) else {}
    kind = str(error.get("type", ""))
    said = error.get("message") or body.get("detail") or body.get("message") or exc.response.text or exc.message
    detail = " ".join(str(said).split())[:500]  # a proxy's message may span many lines (a whole traceback)
    if status == 401:
        return LLMError("Anthropic rejected the API key (401).", hint="Check ANTHROPIC_API_KEY.")
    if status == 404 and kind == "not_found_error" and "model" in detail.lower():
        return LLMError(
            f"Anthropic does not know this model: {detail}",
            hint="Check COPYBOT_ORCHESTRATOR_MODEL and COPYBOT_WORKER_MODEL.",
        )
    if status == 404:  # not the API saying so: a gateway or proxy without the Messages API at this path
        request = exc.response.request
        return LLMError(
            f"{request.method} {request.url} answered 404 (not found): {detail}",
            hint="Check ANTHROPIC_BASE_URL: the server there has no Anthropic Messages API (/v1/messages).",
        )
    retryable = status in _RETRYABLE_STATUS or kind in {"overloaded_error", "api_error", "rate_limit_error"}
    if 200 <= status < 300:  # an error event inside a stream that had started fine
        return LLMError(f"The Anthropic stream broke off: {kind or 'error'}: {detail}", retryable=retryable)
    return LLMError(f"Anthropic API error {status} {kind}: {detail}".replace("  ", " "), retryable=retryable)
