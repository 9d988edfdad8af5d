"""Internal event schema v1: what ingress enqueues and the worker consumes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EVENT_SCHEMA_VERSION = "mw_event_v1"


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"
    SOCIAL = "social"
    TIKTOK = "tiktok"
    PHONE = "phone"


class InboundEvent(BaseModel):
    """One accepted webhook delivery, normalised. Carries identifiers only, never message text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal["mw_event_v1"] = "mw_event_v1"
    event_key: str = Field(min_length=1, description="dedup key; also the idempotency key")
    conversation_id: str = Field(min_length=1, max_length=512)
    message_id: str | None = Field(default=None, max_length=512)
    event_type: Literal["customer_message"] = "customer_message"
    channel: str | None = None
    ticket_url: str | None = None
    received_at: datetime
    correlation_id: str = Field(min_length=1)
