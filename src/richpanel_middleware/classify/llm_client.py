"""Client for OpenAI-compatible servers that returns one JSON object matching a strict schema.

The client speaks either Chat Completions (``api="chat"``) or the Responses API
(``api="responses"``) through the official `openai` SDK, with the SDK's own retries off.
Every request sends the schema as a strict structured-output format, and every reply is
parsed and checked against that schema before it is returned.

Failure kinds, and whether the client retries them::

    kind              retried  cause
    TIMEOUT           yes      no response within timeout_s, or HTTP 408
    CONNECTION        yes      the connection to the server failed
    RATE_LIMITED      yes      429 rate_limit_exceeded (or a 429 without a code)
    SERVER_ERROR      yes      5xx, or a Responses reply with status "failed"
    QUOTA_EXCEEDED    no       429 insufficient_quota (alert)
    BAD_REQUEST       no       400 (such as an invalid schema) or another 4xx (alert)
    AUTH              no       401 or 403 (alert)
    REFUSAL           no       the model refused, or a content filter withheld the reply
    TRUNCATED         no       finish_reason "length", or Responses status "incomplete"
    INVALID_JSON      no       reply text that is missing or not a JSON object
    SCHEMA_MISMATCH   no       a JSON object that breaks the schema sent

Retries wait for the server's ``retry-after-ms`` or ``retry-after`` header when it sends
one, else for an exponential backoff with jitter, and no wait exceeds `max_wait_s`.

Messages and log lines never contain the prompt, the reply text or the API key. They
never contain the server's error message either, because it may echo the request.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Final, Literal, NoReturn
from urllib.parse import urlsplit

import openai
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)
from openai.types.responses import EasyInputMessageParam, Response

from richpanel_middleware.helpdesk.richpanel import parse_retry_after

__all__ = [
    "LlmClient",
    "LlmFailure",
    "LlmFailureKind",
    "LlmResponse",
    "LlmUsage",
    "first_schema_violation",
]

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]

# First backoff ceiling in seconds. Without a retry hint, attempt n waits between half and
# all of BACKOFF_BASE_S * 2 ** (n - 1), capped by max_wait_s.
BACKOFF_BASE_S: Final = 0.5


class LlmFailureKind(StrEnum):
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXCEEDED = "quota_exceeded"
    SERVER_ERROR = "server_error"
    BAD_REQUEST = "bad_request"
    AUTH = "auth"
    REFUSAL = "refusal"
    TRUNCATED = "truncated"
    INVALID_JSON = "invalid_json"
    SCHEMA_MISMATCH = "schema_mismatch"


# Kinds that a later attempt may not repeat.
RETRYABLE_KINDS: Final = frozenset(
    {
        LlmFailureKind.TIMEOUT,
        LlmFailureKind.CONNECTION,
        LlmFailureKind.RATE_LIMITED,
        LlmFailureKind.SERVER_ERROR,
    }
)
# Kinds that every later call repeats until someone fixes the configuration or the account.
ALERT_KINDS: Final = frozenset(
    {LlmFailureKind.QUOTA_EXCEEDED, LlmFailureKind.BAD_REQUEST, LlmFailureKind.AUTH}
)


class LlmFailure(Exception):
    """An LLM call ended without a JSON object that matches the schema.

    `attempts` counts the requests sent, including the failed last one. `status_code` is
    the HTTP status when a response arrived, and `error_code` the server's error code,
    such as ``insufficient_quota``. `usage` contains the tokens of the last reply, which
    the server bills even when the reply is refused, cut off or invalid. The message never
    contains the prompt, the reply text or the API key.
    """

    def __init__(
        self,
        kind: LlmFailureKind,
        message: str,
        *,
        attempts: int = 1,
        status_code: int | None = None,
        error_code: str | None = None,
        usage: LlmUsage | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.attempts = attempts
        self.status_code = status_code
        self.error_code = error_code
        self.usage = usage or LlmUsage(input_tokens=0, output_tokens=0)

    @property
    def retryable(self) -> bool:
        """Whether a later call may succeed without a change on our side."""
        return self.kind in RETRYABLE_KINDS


@dataclass(frozen=True, slots=True)
class LlmUsage:
    """Tokens the server reported for one request, 0 where it reported none."""

    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class LlmResponse:
    """A reply that matches the schema.

    `usage` and `model` come from the successful request, and `model` is the name the
    server reported. `latency_ms` is the wall time of the whole call, including failed
    attempts and the waits between them.
    """

    data: dict[str, Any]
    usage: LlmUsage
    model: str
    latency_ms: float
    attempts: int


@dataclass(frozen=True, slots=True)
class _Reply:
    text: str
    usage: LlmUsage
    model: str


class _AttemptFailed(Exception):
    """One request failed. `detail` is safe to log: it names no prompt, reply or key."""

    def __init__(
        self,
        kind: LlmFailureKind,
        detail: str,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        retry_after_s: float | None = None,
        usage: LlmUsage | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status_code = status_code
        self.error_code = error_code
        self.request_id = request_id
        self.retry_after_s = retry_after_s
        self.usage = usage or LlmUsage(0, 0)


class LlmClient:
    """Synchronous client that asks an OpenAI-compatible server for schema-conforming JSON.

    `base_url` includes the API prefix, such as ``https://api.openai.com/v1``. `model` is
    the default for `complete_json`. `max_attempts` counts the first attempt, and
    `max_wait_s` caps every wait between attempts. `sleep` is meant for tests. Close the
    client, or use it as a context manager, to release its connection pool.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        api: Literal["responses", "chat"] = "chat",
        timeout_s: float = 20.0,
        max_attempts: int = 3,
        max_wait_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check_base_url(base_url)
        if not api_key:
            raise ValueError(
                "api_key must not be empty. Pass a placeholder such as 'not-needed' when the server "
                "ignores it"
            )
        if not model:
            raise ValueError("model must not be empty")
        if api not in ("responses", "chat"):
            raise ValueError(f"api must be 'responses' or 'chat', got {api!r}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if max_wait_s < 0:
            raise ValueError(f"max_wait_s must not be negative, got {max_wait_s}")

        self._base_url = base_url
        self._model = model
        self._api = api
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._random = random.Random()
        # NOTE: the SDK applies timeout_s to each phase (connect, read, write, pool), so a
        # server that keeps sending bytes slowly can make one request last longer.
        self._openai = openai.OpenAI(
            base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0
        )

    def __repr__(self) -> str:
        return (
            f"LlmClient(base_url={self._base_url!r}, model={self._model!r}, "
            f"api={self._api!r}, api_key='***')"
        )

    def close(self) -> None:
        self._openai.close()

    def __enter__(self) -> LlmClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def complete_json(
        self,
        *,
        schema_name: str,
        schema: dict[str, Any],
        system: str,
        user: str,
        model: str | None = None,
    ) -> LlmResponse:
        """Send one system and one user message and return the reply's JSON object.

        `schema` is sent as a strict structured-output schema named `schema_name`, and
        the reply is checked against it with `first_schema_violation`. `model` overrides
        the client's default model for this call. Raises LlmFailure once `max_attempts`
        are used up for a retryable kind, and at once for any other kind.
        """
        model_name = model or self._model
        call_started = time.perf_counter()
        attempt = 1
        while True:
            attempt_started = time.perf_counter()
            try:
                reply = self._send(model_name, schema_name, schema, system, user)
                data = _decode_reply(reply, schema, schema_name)
            except _AttemptFailed as failure:
                self._handle_failure(failure, attempt, attempt_started, model_name, schema_name)
                attempt += 1
                continue

            self._log_success(reply, attempt, attempt_started, schema_name)
            return LlmResponse(
                data=data,
                usage=reply.usage,
                model=reply.model,
                latency_ms=_elapsed_ms(call_started),
                attempts=attempt,
            )

    # Requests

    def _send(
        self, model: str, schema_name: str, schema: JsonObject, system: str, user: str
    ) -> _Reply:
        try:
            if self._api == "chat":
                completion = self._openai.chat.completions.create(
                    model=model,
                    messages=[
                        ChatCompletionSystemMessageParam(role="system", content=system),
                        ChatCompletionUserMessageParam(role="user", content=user),
                    ],
                    response_format={
                        "type": "json_schema",
                        "json_schema": {"name": schema_name, "schema": schema, "strict": True},
                    },
                )
                return _chat_reply(completion, model)
            response = self._openai.responses.create(
                model=model,
                input=[
                    EasyInputMessageParam(role="system", content=system),
                    EasyInputMessageParam(role="user", content=user),
                ],
                text={
                    "format": {
                        "type": "json_schema",
                        "name": schema_name,
                        "schema": schema,
                        "strict": True,
                    }
                },
                # OpenAI stores Responses API replies unless the request sets store to
                # false, and the input contains customer text.
                store=False,
            )
            return _responses_reply(response, model)
        except openai.OpenAIError as error:
            _raise_translated(error, self._timeout_s)

    # Retries and logging

    def _handle_failure(
        self,
        failure: _AttemptFailed,
        attempt: int,
        started: float,
        model: str,
        schema_name: str,
    ) -> None:
        """Log a failed attempt, then wait before the next one or raise LlmFailure."""
        retry = failure.kind in RETRYABLE_KINDS and attempt < self._max_attempts
        wait_s = self._retry_wait_s(failure, attempt) if retry else None
        alert = not retry and failure.kind in ALERT_KINDS
        extra = self._log_fields(
            outcome="retrying" if retry else "failed",
            attempt=attempt,
            started=started,
            usage=failure.usage,
            schema_name=schema_name,
            model=model,
        )
        extra.update(
            kind=failure.kind.value,
            status_code=failure.status_code,
            error_code=failure.error_code,
            request_id=failure.request_id,
            wait_s=None if wait_s is None else round(wait_s, 3),
            alert=alert,
        )

        if wait_s is not None:
            logger.warning(
                "LLM %s call for %s failed with %s (attempt %d of %d): %s. Retrying in %.2f s",
                self._api,
                schema_name,
                failure.kind.value,
                attempt,
                self._max_attempts,
                failure.detail,
                wait_s,
                extra=extra,
            )
            self._sleep(wait_s)
            return

        message = (
            f"LLM {self._api} call for {schema_name} with model {model!r} failed with "
            f"{failure.kind.value} after {attempt} attempt{'s' if attempt > 1 else ''}: "
            f"{failure.detail}"
        )
        logger.log(logging.ERROR if alert else logging.WARNING, message, extra=extra)
        raise LlmFailure(
            failure.kind,
            message,
            attempts=attempt,
            status_code=failure.status_code,
            error_code=failure.error_code,
            usage=failure.usage,
        )

    def _retry_wait_s(self, failure: _AttemptFailed, attempt: int) -> float:
        """Return the server's retry hint, or a random time between half and all of an
        exponential backoff ("equal jitter"), in seconds and at most `max_wait_s`."""
        if failure.retry_after_s is not None:
            return min(failure.retry_after_s, self._max_wait_s)
        ceiling_s = min(self._max_wait_s, BACKOFF_BASE_S * 2 ** (attempt - 1))
        return self._random.uniform(ceiling_s / 2, ceiling_s)

    def _log_success(self, reply: _Reply, attempt: int, started: float, schema_name: str) -> None:
        extra = self._log_fields(
            outcome="ok",
            attempt=attempt,
            started=started,
            usage=reply.usage,
            schema_name=schema_name,
            model=reply.model,
        )
        extra.update(kind=None, alert=False)
        logger.info(
            "LLM %s call for %s succeeded in %.0f ms (attempt %d, %d input and %d output tokens)",
            self._api,
            schema_name,
            extra["latency_ms"],
            attempt,
            reply.usage.input_tokens,
            reply.usage.output_tokens,
            extra=extra,
        )

    def _log_fields(
        self,
        *,
        outcome: str,
        attempt: int,
        started: float,
        usage: LlmUsage,
        schema_name: str,
        model: str,
    ) -> JsonObject:
        return {
            "event": "llm_call",
            "outcome": outcome,
            "api": self._api,
            "model": model,
            "schema_name": schema_name,
            "attempt": attempt,
            "max_attempts": self._max_attempts,
            "latency_ms": round(_elapsed_ms(started), 1),
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
        }


# Error translation


def _raise_translated(error: openai.OpenAIError, timeout_s: float) -> NoReturn:
    """Raise the _AttemptFailed for an SDK error, most specific class first.

    The server's error message is dropped, because it may echo the request. Errors the
    SDK raises for other reasons (a bug, a missing argument) propagate unchanged.
    """
    if isinstance(error, openai.APITimeoutError):
        raise _AttemptFailed(
            LlmFailureKind.TIMEOUT, f"timed out after {timeout_s:g} s without a response"
        ) from None
    if isinstance(error, openai.APIConnectionError):
        raise _AttemptFailed(
            LlmFailureKind.CONNECTION, f"connection to the server failed ({type(error).__name__})"
        ) from None
    if isinstance(error, openai.APIStatusError):
        raise _status_failure(error) from None
    if isinstance(error, openai.APIResponseValidationError):
        raise _AttemptFailed(
            LlmFailureKind.INVALID_JSON,
            "the response body does not have the expected shape",
            status_code=error.status_code,
        ) from None
    raise error


def _status_failure(error: openai.APIStatusError) -> _AttemptFailed:
    """Map an HTTP error status, and the OpenAI error code in its body, to a failure kind."""
    status = error.status_code
    code = error.code or getattr(error, "type", None)
    described = f"HTTP {status}" + (f" {code}" if code else "")
    fields: dict[str, Any] = {
        "status_code": status,
        "error_code": code,
        "request_id": error.request_id,
    }

    if status == 429:
        if "insufficient_quota" in (error.code, getattr(error, "type", None)):
            return _AttemptFailed(
                LlmFailureKind.QUOTA_EXCEEDED,
                f"{described}: the account's quota is used up. Check the plan and billing",
                **fields,
            )
        return _AttemptFailed(
            LlmFailureKind.RATE_LIMITED,
            f"{described}: rate limited",
            retry_after_s=_retry_after_s(error.response.headers),
            **fields,
        )
    if status in (401, 403):
        return _AttemptFailed(
            LlmFailureKind.AUTH,
            f"{described}: the server rejected the API key. Check the key and its permissions",
            **fields,
        )
    if status == 408:
        return _AttemptFailed(LlmFailureKind.TIMEOUT, f"{described}: request timeout", **fields)
    if status >= 500:
        return _AttemptFailed(
            LlmFailureKind.SERVER_ERROR,
            f"{described}: server error",
            retry_after_s=_retry_after_s(error.response.headers),
            **fields,
        )
    param = f" (param {error.param})" if error.param else ""
    return _AttemptFailed(
        LlmFailureKind.BAD_REQUEST,
        f"{described}{param}: the server rejected the request. Check the schema, the model "
        "name and the base URL",
        **fields,
    )


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Read the wait the server requests: ``retry-after-ms`` first, then ``retry-after``.

    ``retry-after-ms`` is OpenAI's header in milliseconds. ``retry-after`` contains
    seconds or an HTTP date. Returns None when neither header is present and valid.
    """
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            value = float(milliseconds)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value / 1000
    return parse_retry_after(headers.get("retry-after"))


# Reply parsing


def _chat_reply(completion: ChatCompletion, requested_model: str) -> _Reply:
    """Return a Chat Completions reply's text. Raises _AttemptFailed for refusal,
    truncation and missing text."""
    usage = _usage(getattr(completion, "usage", None), "prompt_tokens", "completion_tokens")
    choices = getattr(completion, "choices", None) or []
    if not choices:
        raise _AttemptFailed(LlmFailureKind.INVALID_JSON, "the reply has no choices", usage=usage)
    choice = choices[0]
    message = getattr(choice, "message", None)
    finish_reason = getattr(choice, "finish_reason", None)

    if getattr(message, "refusal", None):
        raise _AttemptFailed(LlmFailureKind.REFUSAL, "the model refused the request", usage=usage)
    if finish_reason == "content_filter":
        raise _AttemptFailed(
            LlmFailureKind.REFUSAL, "a content filter withheld the reply", usage=usage
        )
    if finish_reason == "length":
        raise _AttemptFailed(
            LlmFailureKind.TRUNCATED,
            "the reply was cut off at the output token limit (finish_reason 'length')",
            usage=usage,
        )
    text = getattr(message, "content", None)
    if not isinstance(text, str) or not text:
        raise _AttemptFailed(LlmFailureKind.INVALID_JSON, "the reply has no text", usage=usage)
    return _Reply(text, usage, _reported_model(completion, requested_model))


def _responses_reply(response: Response, requested_model: str) -> _Reply:
    """Return a Responses API reply's output text. Raises _AttemptFailed for refusal,
    truncation, a failed response and missing text."""
    usage = _usage(getattr(response, "usage", None), "input_tokens", "output_tokens")
    texts: list[str] = []
    refused = False
    for item in getattr(response, "output", None) or []:
        if getattr(item, "type", None) != "message":
            continue
        for part in getattr(item, "content", None) or []:
            part_type = getattr(part, "type", None)
            if part_type == "refusal":
                refused = True
            elif part_type == "output_text" and isinstance(getattr(part, "text", None), str):
                texts.append(part.text)

    status = getattr(response, "status", None)
    if refused:
        raise _AttemptFailed(LlmFailureKind.REFUSAL, "the model refused the request", usage=usage)
    if status == "incomplete":
        details = getattr(response, "incomplete_details", None)
        reason = getattr(details, "reason", None)
        if reason == "content_filter":
            raise _AttemptFailed(
                LlmFailureKind.REFUSAL, "a content filter withheld the reply", usage=usage
            )
        raise _AttemptFailed(
            LlmFailureKind.TRUNCATED,
            f"the reply is incomplete (reason {reason or 'not given'})",
            usage=usage,
        )
    if status == "failed":
        error_code = getattr(getattr(response, "error", None), "code", None)
        raise _AttemptFailed(
            LlmFailureKind.SERVER_ERROR,
            f"the server reported the response as failed (code {error_code or 'not given'})",
            error_code=error_code if isinstance(error_code, str) else None,
            usage=usage,
        )
    text = "".join(texts)
    if not text:
        raise _AttemptFailed(
            LlmFailureKind.INVALID_JSON, "the reply has no output text", usage=usage
        )
    return _Reply(text, usage, _reported_model(response, requested_model))


def _usage(usage: object, input_name: str, output_name: str) -> LlmUsage:
    """Read token counts from a usage object, with 0 for a count that is missing."""

    def count(name: str) -> int:
        value = getattr(usage, name, None)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return LlmUsage(input_tokens=count(input_name), output_tokens=count(output_name))


def _reported_model(reply: object, requested_model: str) -> str:
    model = getattr(reply, "model", None)
    return model if isinstance(model, str) and model else requested_model


def _decode_reply(reply: _Reply, schema: JsonObject, schema_name: str) -> JsonObject:
    """Parse the reply text as a JSON object that matches `schema`. Raises _AttemptFailed."""
    try:
        data = json.loads(reply.text, parse_constant=_reject_constant)
    except ValueError as exc:
        # JSONDecodeError is a ValueError; its message gives the position but not the text.
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise _AttemptFailed(
            LlmFailureKind.INVALID_JSON,
            f"the reply is not valid JSON ({reason})",
            usage=reply.usage,
        ) from None
    if not isinstance(data, dict):
        raise _AttemptFailed(
            LlmFailureKind.INVALID_JSON,
            f"the reply is a JSON {_json_type(data)}, not an object",
            usage=reply.usage,
        )
    violation = first_schema_violation(data, schema)
    if violation is not None:
        raise _AttemptFailed(
            LlmFailureKind.SCHEMA_MISMATCH,
            f"the reply breaks {schema_name}: {violation}",
            usage=reply.usage,
        )
    return data


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


# Schema check


def first_schema_violation(instance: object, schema: Mapping[str, Any]) -> str | None:
    """Return where `instance` first breaks `schema`, or None when it conforms.

    Checks the keywords that strict structured outputs allow: type, enum, const,
    properties, required, additionalProperties (false), items, anyOf, local $ref,
    minimum, maximum, minItems, maxItems, minLength, maxLength and pattern. Other
    keywords, such as format, are not checked. The result names the JSON path and the
    rule, never the value, because values come from customer text.
    """
    return _violation(instance, schema, schema, "$")


def _violation(instance: object, node: object, root: Mapping[str, Any], path: str) -> str | None:
    if not isinstance(node, Mapping):
        return None
    if "$ref" in node:
        target = _resolve_ref(root, node["$ref"])
        if target is None:
            return f"{path}: the schema reference {node['$ref']!r} cannot be resolved"
        problem = _violation(instance, target, root, path)
        if problem is not None:
            return problem
    if "anyOf" in node:
        branches = node["anyOf"]
        if not any(_violation(instance, branch, root, path) is None for branch in branches):
            return f"{path}: matches none of the {len(branches)} anyOf branches"
    if "const" in node and not _json_equal(instance, node["const"]):
        return f"{path}: differs from the required constant"
    if "enum" in node and not any(_json_equal(instance, value) for value in node["enum"]):
        return f"{path}: is not one of the {len(node['enum'])} allowed values"
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_has_type(instance, name) for name in types):
            return f"{path}: expected {' or '.join(types)}, got {_json_type(instance)}"

    if isinstance(instance, dict):
        return _object_violation(instance, node, root, path)
    if isinstance(instance, list):
        return _array_violation(instance, node, root, path)
    if isinstance(instance, str):
        return _string_violation(instance, node, path)
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        return _number_violation(instance, node, path)
    return None


def _object_violation(
    instance: dict[str, Any], node: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> str | None:
    properties = node.get("properties", {})
    for name in node.get("required", []):
        if name not in instance:
            return f"{path}: required property {name!r} is missing"
    if node.get("additionalProperties") is False:
        unexpected = len(set(instance) - set(properties))
        if unexpected:
            return f"{path}: has {unexpected} properties that the schema does not list"
    for name, subschema in properties.items():
        if name in instance:
            problem = _violation(instance[name], subschema, root, f"{path}.{name}")
            if problem is not None:
                return problem
    return None


def _array_violation(
    instance: list[Any], node: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> str | None:
    if "minItems" in node and len(instance) < node["minItems"]:
        return f"{path}: has {len(instance)} items, fewer than minItems {node['minItems']}"
    if "maxItems" in node and len(instance) > node["maxItems"]:
        return f"{path}: has {len(instance)} items, more than maxItems {node['maxItems']}"
    if "items" in node:
        for index, item in enumerate(instance):
            problem = _violation(item, node["items"], root, f"{path}[{index}]")
            if problem is not None:
                return problem
    return None


def _string_violation(instance: str, node: Mapping[str, Any], path: str) -> str | None:
    if "minLength" in node and len(instance) < node["minLength"]:
        return f"{path}: is shorter than minLength {node['minLength']}"
    if "maxLength" in node and len(instance) > node["maxLength"]:
        return f"{path}: is longer than maxLength {node['maxLength']}"
    # NOTE: `pattern` is run with Python's re module, whose syntax differs from the
    # ECMA-262 regular expressions of JSON Schema in rare constructs.
    if "pattern" in node and re.search(node["pattern"], instance) is None:
        return f"{path}: does not match the pattern"
    return None


def _number_violation(instance: float, node: Mapping[str, Any], path: str) -> str | None:
    if "minimum" in node and instance < node["minimum"]:
        return f"{path}: is below the minimum {node['minimum']}"
    if "maximum" in node and instance > node["maximum"]:
        return f"{path}: is above the maximum {node['maximum']}"
    if "exclusiveMinimum" in node and instance <= node["exclusiveMinimum"]:
        return f"{path}: is not above the exclusive minimum {node['exclusiveMinimum']}"
    if "exclusiveMaximum" in node and instance >= node["exclusiveMaximum"]:
        return f"{path}: is not below the exclusive maximum {node['exclusiveMaximum']}"
    return None


def _resolve_ref(root: Mapping[str, Any], ref: object) -> object | None:
    """Resolve a reference inside the same document, such as ``#/$defs/Routing``."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    node: object = root
    for token in filter(None, ref[1:].split("/")):
        key = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _has_type(instance: object, name: object) -> bool:
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if name == "number":
        return isinstance(instance, int | float)
    return False


def _json_equal(left: object, right: object) -> bool:
    """Compare JSON values, keeping true and 1 apart as JSON does."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return left == right


def _json_type(value: object) -> str:
    for name in ("null", "boolean", "object", "array", "string", "integer", "number"):
        if _has_type(value, name):
            return name
    return type(value).__name__


# Helpers


def _check_base_url(base_url: str) -> None:
    """Raise ValueError unless `base_url` is an http:// or https:// URL with a host."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            # The value is not echoed: a URL may carry credentials.
            "base_url must be an http:// or https:// URL including the API prefix, such as "
            f"https://api.openai.com/v1; got a URL with scheme {parts.scheme or 'none'!r}"
        )


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
