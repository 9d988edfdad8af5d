"""Ports: the interfaces the core needs from the outside world.

Each runtime supplies adapters (SQLite and HTTP for the embedded runtime). The core
imports these protocols only, so it never touches sqlite3, httpx or a web framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from richpanel_middleware.classify.result import Classification, ModelUsage
from richpanel_middleware.domain.decision import Tier2Verdict
from richpanel_middleware.helpdesk.model import Ticket
from richpanel_middleware.policy.config import Flags


class EnqueueOutcome(StrEnum):
    ENQUEUED = "enqueued"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """A received queue message. `receipt` identifies this delivery for delete or release."""

    message_id: int
    group_id: str
    dedup_key: str
    body: str
    receive_count: int
    receipt: str
    transient_failures: int = 0


@dataclass(frozen=True, slots=True)
class QueueStats:
    pending: int
    in_flight: int
    dead_lettered: int


class Queue(Protocol):
    """FIFO per message group, one message of a group in flight, dead-letter after N receives."""

    def enqueue(self, *, group_id: str, dedup_key: str, body: str) -> EnqueueOutcome: ...

    def receive(self, *, max_messages: int, visibility_timeout_s: float) -> list[QueueMessage]: ...

    def delete(self, receipt: str) -> bool: ...

    def release(self, receipt: str, *, delay_s: float = 0.0, transient: bool = False) -> bool:
        """Make the message receivable again after `delay_s`.

        `transient=True` marks a failure outside the message (a vendor outage, a rate limit):
        that receive does not count toward dead-lettering, so an outage cannot exhaust it.
        """
        ...

    def dead_letter(self, receipt: str, *, reason: str) -> bool: ...

    def extend_visibility(self, receipt: str, *, visibility_timeout_s: float) -> bool:
        """Keep an in-flight message invisible for another `visibility_timeout_s` seconds."""
        ...

    def stats(self) -> QueueStats: ...

    def ping(self) -> None: ...


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    """The caller owns the key now."""
    RECLAIMED = "reclaimed"
    """The caller owns the key, but an earlier attempt's lease expired: its outcome is unknown."""
    IN_PROGRESS = "in_progress"
    """Another worker holds a live lease."""
    COMPLETED = "completed"
    """Work for the key is done; skip it."""


class IdempotencyStore(Protocol):
    def claim(self, key: str, *, lease_s: float) -> ClaimOutcome: ...

    def complete(self, key: str, *, result: str = "") -> None: ...

    def extend_lease(self, key: str, *, lease_s: float) -> bool:
        """Renew an IN_PROGRESS claim for another `lease_s` seconds."""
        ...

    def release(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ConversationState:
    """State the middleware keeps about one conversation between events."""

    conversation_id: str
    auto_reply_times: tuple[datetime, ...] = ()
    replied_message_ids: tuple[str, ...] = ()
    auto_closed_at: datetime | None = None


class ConversationStore(Protocol):
    def get(self, conversation_id: str) -> ConversationState | None: ...

    def put(self, state: ConversationState, *, ttl_s: float) -> None: ...


class DecisionLog(Protocol):
    def record(
        self, *, event_key: str, conversation_id: str, record: Mapping[str, object]
    ) -> None: ...


class Helpdesk(Protocol):
    """The Richpanel calls the worker makes. Ids are passed raw; adapters encode them."""

    def get_ticket(self, ticket_id: str) -> Ticket: ...

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None: ...

    def remove_tags(self, ticket_id: str, tags: Sequence[str]) -> None: ...

    def send_message(self, ticket_id: str, *, body: str, author_id: str) -> None: ...

    def close_ticket(self, ticket_id: str) -> None: ...

    def add_internal_note(self, ticket_id: str, *, body: str) -> None: ...

    def assign(self, ticket_id: str, *, assignee_id: str) -> None: ...


class FlagSource(Protocol):
    def load(self) -> Flags:
        """Return the current flags; implementations return `Flags.safe()` when unreadable."""
        ...


class Classifier(Protocol):
    version: str

    def classify(
        self,
        text: str,
        *,
        channel: str | None = None,
        language_hint: str | None = None,
        customer_names: Sequence[str] = (),
    ) -> Classification:
        """Classify `text`. `customer_names` come from the customer profile and are replaced
        before any text reaches a hosted model."""
        ...


class OrderReplyVerifier(Protocol):
    """A second opinion on a verified order reply; it can only deny."""

    version: str

    def verify(
        self,
        text: str,
        *,
        primary_intent: str,
        intents_present: Sequence[str],
        order_match: str,
        template_id: str,
        customer_names: Sequence[str] = (),
    ) -> tuple[Tier2Verdict, ModelUsage]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class EstimateClock(Protocol):
    """The present for delivery estimates of one conversation.

    Production uses the wall clock. The demo and tests pin a time per conversation, so
    business-day windows do not depend on the day they run.
    """

    def now_for(self, conversation_id: str) -> datetime: ...


class Metrics(Protocol):
    def increment(
        self, name: str, *, labels: Mapping[str, str] | None = None, value: float = 1.0
    ) -> None: ...

    def observe(
        self, name: str, value: float, *, labels: Mapping[str, str] | None = None
    ) -> None: ...
