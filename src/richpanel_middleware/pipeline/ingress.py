"""Ingress: authenticate, validate, normalise, derive the dedup key, enqueue.

Framework-free: the HTTP adapter hands over headers and raw bytes and maps the result
to a response. The service never calls a vendor, so an acknowledgement costs one SQLite
commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from richpanel_middleware.domain.events import Channel, InboundEvent
from richpanel_middleware.observability.redaction import reference
from richpanel_middleware.pipeline.ports import EnqueueOutcome, Queue
from richpanel_middleware.pipeline.webhook_auth import WebhookAuthenticator

_logger = logging.getLogger(__name__)


class WebhookPayload(BaseModel):
    """The webhook body. Unknown fields are ignored; known fields must have the right type."""

    model_config = ConfigDict(extra="ignore", strict=True)

    ticket_id: str | None = Field(default=None, min_length=1, max_length=512)
    conversation_id: str | None = Field(default=None, min_length=1, max_length=512)
    event_type: str
    message_id: str | None = Field(default=None, min_length=1, max_length=512)
    ticket_url: str | None = Field(default=None, max_length=2048)
    channel: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _check(self) -> WebhookPayload:
        if self.ticket_id is None and self.conversation_id is None:
            raise ValueError("ticket_id is required (conversation_id is accepted as an alias)")
        if (
            self.ticket_id is not None
            and self.conversation_id is not None
            and self.ticket_id != self.conversation_id
        ):
            raise ValueError("ticket_id and conversation_id differ; send one of them")
        if self.event_type != "customer_message":
            raise ValueError(
                f"event_type {self.event_type!r} is not supported; only 'customer_message' is "
                "accepted (set the Richpanel rule to fire on customer messages only)"
            )
        if self.channel is not None and self.channel.lower() not in {c.value for c in Channel}:
            allowed = ", ".join(c.value for c in Channel)
            raise ValueError(f"channel {self.channel!r} is unknown; use one of {allowed}")
        return self

    @property
    def conversation(self) -> str:
        value = self.ticket_id or self.conversation_id
        assert value is not None  # guaranteed by the validator
        return value


@dataclass(frozen=True, slots=True)
class IngressResult:
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


class _StrictJsonError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _StrictJsonError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _StrictJsonError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_strict_json(raw: bytes) -> Any:
    """Parse UTF-8 JSON, rejecting NaN, Infinity and duplicate keys."""
    text = raw.decode("utf-8")
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def dedup_key(payload: WebhookPayload, document: Mapping[str, Any]) -> str:
    """Key for "the same delivery": conversation + message id, or a fresh key without one.

    Without a message id nothing in the body reliably tells two messages of a conversation
    apart: a tenant's template may add constant fields, and merging two deliveries would
    drop the later message, possibly a chargeback. So every such delivery is its own event.
    A repeated delivery is harmless, because the worker never replies twice to one
    customer message.
    """
    if payload.message_id is None:
        return f"delivery-{uuid.uuid4().hex}"
    material = f"msg\x1f{payload.conversation}\x1f{payload.message_id}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class IngressService:
    def __init__(
        self,
        *,
        queue: Queue,
        tokens: Sequence[str],
        hmac_secrets: Sequence[str] = (),
        max_body_bytes: int = 32 * 1024,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._queue = queue
        self._auth = WebhookAuthenticator(
            tokens=tokens, hmac_secrets=hmac_secrets, clock=lambda: clock().timestamp()
        )
        self.max_body_bytes = max_body_bytes
        self._clock = clock

    def authenticate(self, presented: str | None) -> bool:
        """Check a static token; signed requests are checked in `handle`, which has the body."""
        return self._auth.token_valid(presented)

    def handle(
        self,
        *,
        token: str | None,
        raw_body: bytes,
        correlation_id: str | None = None,
        signature: str | None = None,
        timestamp: str | None = None,
    ) -> IngressResult:
        """Authenticate, validate and enqueue one delivery.

        A request that carries a signature is judged by the signature alone, so a bad
        signature is rejected even when a valid token comes with it.
        """
        if signature is not None:
            authenticated = self._auth.signature_valid(signature, timestamp, raw_body)
        else:
            authenticated = self._auth.token_valid(token)
        if not authenticated:
            return IngressResult(401, {"error": "unauthorized"})
        if len(raw_body) > self.max_body_bytes:
            return too_large(self.max_body_bytes)
        try:
            document = parse_strict_json(raw_body)
        except (UnicodeDecodeError, ValueError) as error:
            return IngressResult(400, {"error": f"body is not valid JSON: {error}"})
        except RecursionError:
            return IngressResult(
                400, {"error": "body is nested too deeply; send a flat JSON object"}
            )
        if not isinstance(document, dict):
            return IngressResult(
                400, {"error": f"body must be a JSON object, got {type(document).__name__}"}
            )
        try:
            payload = WebhookPayload.model_validate(document)
        except ValidationError as error:
            return IngressResult(400, {"error": "invalid webhook body", "details": _details(error)})

        key = dedup_key(payload, document)
        event = InboundEvent(
            event_key=key,
            conversation_id=payload.conversation,
            message_id=payload.message_id,
            channel=payload.channel.lower() if payload.channel else None,
            ticket_url=payload.ticket_url,
            received_at=self._clock(),
            correlation_id=correlation_id or uuid.uuid4().hex,
        )
        try:
            outcome = self._queue.enqueue(
                group_id=event.conversation_id, dedup_key=key, body=event.model_dump_json()
            )
        except Exception:
            _logger.exception(
                "enqueue failed",
                extra={
                    "event": "enqueue_failed",
                    "conversation_ref": reference(event.conversation_id),
                },
            )
            return IngressResult(503, {"error": "event could not be stored; retry the delivery"})
        _logger.info(
            "webhook accepted",
            extra={
                "event": "webhook_accepted",
                "outcome": outcome.value,
                "conversation_ref": reference(event.conversation_id),
                "event_key": key[:16],
            },
        )
        status = "duplicate" if outcome is EnqueueOutcome.DUPLICATE else "accepted"
        return IngressResult(
            202 if outcome is EnqueueOutcome.ENQUEUED else 200, {"status": status, "event_key": key}
        )


def too_large(limit: int) -> IngressResult:
    return IngressResult(413, {"error": f"body exceeds the {limit} byte limit"})


def _details(error: ValidationError) -> list[dict[str, str]]:
    details = []
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        details.append({"field": location, "problem": item["msg"]})
    return details
