"""In-memory state of the LLM sandbox: the scripted behaviour queue and the request log.

Every method takes one lock, so the HTTP app on the server thread and a test on its own
thread can share the state. The HTTP layer validates request bodies, and the methods here
apply changes that are already known to be valid.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

JsonObject = dict[str, Any]

DEFAULT_MODEL: Final = "sandbox-model"
DEFAULT_SLOW_RESPONSE_S: Final = 30.0
# Oldest entries are dropped beyond this many, so a long run does not grow without bound.
MAX_REQUEST_LOG_ENTRIES: Final = 10_000
# Maximum number of behaviours one `POST /_sandbox/llm/script` may queue.
MAX_SCRIPT_ENTRIES: Final = 1_000


class LlmBehaviour(StrEnum):
    """The sandbox's response mode for one generation request."""

    VALID = "valid"
    PROPOSE_TIER2 = "propose_tier2"
    UNFLAGGED_RISK = "unflagged_risk"
    DENY = "deny"
    INVALID_JSON = "invalid_json"
    REFUSAL = "refusal"
    TRUNCATION = "truncation"
    WRONG_ENUM = "wrong_enum"
    RATE_LIMIT = "rate_limit"
    INSUFFICIENT_QUOTA = "insufficient_quota"
    SERVER_ERROR = "server_error"
    BAD_REQUEST = "bad_request"
    SLOW = "slow"


@dataclass(frozen=True, slots=True)
class LlmSandboxSettings:
    """Start-up settings of the LLM sandbox.

    `api_key` is the only bearer token the sandbox accepts. `model` is the model that
    ``GET /v1/models`` lists, but generation requests may name any model and get it echoed
    back. `slow_response_s` is how long the `slow` behaviour waits before it responds.
    """

    api_key: str
    model: str = DEFAULT_MODEL
    slow_response_s: float = DEFAULT_SLOW_RESPONSE_S

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ValueError("api_key must not be empty")
        if not self.model:
            raise ValueError("model must not be empty")
        if self.slow_response_s < 0:
            raise ValueError(f"slow_response_s must not be negative, got {self.slow_response_s}")

    def __repr__(self) -> str:
        return (
            f"LlmSandboxSettings(model={self.model!r}, slow_response_s={self.slow_response_s}, "
            "api_key='***')"
        )


@dataclass(frozen=True, slots=True)
class ScriptedBehaviour:
    """One queued behaviour, with optional retry hints for `rate_limit` and `server_error`.

    Without hints, `rate_limit` sends ``retry-after: 1`` and `server_error` sends none.
    `retry_after_ms` sends ``retry-after-ms`` and a ``retry-after`` rounded up to seconds.
    """

    behaviour: LlmBehaviour
    retry_after_s: float | None = None
    retry_after_ms: float | None = None

    def as_dict(self) -> JsonObject:
        return {
            "behaviour": self.behaviour.value,
            "retry_after_s": self.retry_after_s,
            "retry_after_ms": self.retry_after_ms,
        }


class LlmSandboxState:
    """Thread-safe store behind the LLM sandbox's OpenAI and admin endpoints."""

    def __init__(self, settings: LlmSandboxSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._reset_locked()

    def reset(self) -> None:
        """Empty the script queue and the request log."""
        with self._lock:
            self._reset_locked()

    def _reset_locked(self) -> None:
        self._script: deque[ScriptedBehaviour] = deque()
        self._requests: deque[JsonObject] = deque(maxlen=MAX_REQUEST_LOG_ENTRIES)
        self._response_counter = 0

    # Script queue

    def set_script(self, entries: list[ScriptedBehaviour]) -> int:
        """Replace the queue with `entries` and return its new length."""
        with self._lock:
            self._script = deque(entries)
            return len(self._script)

    def take_scripted(self) -> ScriptedBehaviour | None:
        """Remove and return the next queued behaviour, or None when the queue is empty."""
        with self._lock:
            return self._script.popleft() if self._script else None

    def script(self) -> list[ScriptedBehaviour]:
        """Return the behaviours still queued, next first."""
        with self._lock:
            return list(self._script)

    def next_response_number(self) -> int:
        """Return a new number for response ids, counted from 1 since the last reset."""
        with self._lock:
            self._response_counter += 1
            return self._response_counter

    # Request log

    def record_request(
        self,
        *,
        path: str,
        status: int,
        model: str | None = None,
        schema_name: str | None = None,
        behaviour: LlmBehaviour | None = None,
        prompt: JsonObject | None = None,
    ) -> None:
        """Log one request to an OpenAI endpoint. The API key itself is never stored.

        `prompt` contains the request's ``messages`` (Chat Completions) or ``input`` and
        ``instructions`` (Responses), copied as received.
        """
        entry: JsonObject = {
            "path": path,
            "status": status,
            "model": model,
            "schema_name": schema_name,
            "behaviour": None if behaviour is None else behaviour.value,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        entry.update(copy.deepcopy(prompt or {}))
        with self._lock:
            self._requests.append(entry)

    def requests(self) -> list[JsonObject]:
        """Return every request received, oldest first, including rejected ones."""
        with self._lock:
            return copy.deepcopy(list(self._requests))
