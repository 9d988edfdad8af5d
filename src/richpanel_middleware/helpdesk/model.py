"""Conversation (ticket) shapes as the middleware sees them, independent of the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Comment:
    """One message in a conversation.

    `is_operator` is None when Richpanel omitted the flag. The reference documents a
    default of true, so only an explicit False marks a customer message.
    """

    comment_id: str
    author_id: str | None
    plain_body: str
    created_at: datetime
    is_operator: bool | None
    channel: str | None = None

    @property
    def is_customer(self) -> bool:
        return self.is_operator is False


@dataclass(frozen=True, slots=True)
class Ticket:
    ticket_id: str
    status: str
    channel: str | None
    tags: tuple[str, ...]
    assignee_id: str | None
    comments: tuple[Comment, ...]
    customer_email: str | None = None
    customer_phone: str | None = None
    customer_first_name: str | None = None
    customer_last_name: str | None = None
    conversation_no: int | None = None
    subject: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def is_closed(self) -> bool:
        return self.status.upper() == "CLOSED"
