"""Orders in the middleware's own shape, whichever system they came from.

Only the fields a verified reply or a match needs are kept. Addresses, line items and
payment details are never read into these shapes, so they cannot reach a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class OrderSourceName(StrEnum):
    RICHPANEL = "richpanel"
    SHOPIFY = "shopify"


@dataclass(frozen=True, slots=True)
class Shipment:
    """One fulfillment. `carrier`, `tracking_number` and `tracking_url` may each be missing."""

    status: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def has_tracking(self) -> bool:
        return bool(self.tracking_number and self.tracking_number.strip())


@dataclass(frozen=True, slots=True)
class Order:
    """One order. `number` is the customer-facing name such as ``#1001``.

    Datetimes are timezone-aware (UTC when the source gave no offset). Status strings
    are upper-case Shopify-style values (``FULFILLED``, ``PARTIALLY_FULFILLED``,
    ``UNFULFILLED``, ``PAID``...) or None when the source gave none.
    """

    number: str
    source: OrderSourceName
    created_at: datetime
    email: str | None = None
    phone: str | None = None
    cancelled: bool = False
    financial_status: str | None = None
    fulfillment_status: str | None = None
    shipping_method: str | None = None
    status_url: str | None = None
    tags: tuple[str, ...] = ()
    shipments: tuple[Shipment, ...] = field(default=())


def normalize_order_number(value: str) -> str:
    """Compare order numbers without the leading ``#``, spaces or letter case."""
    return value.strip().lstrip("#").strip().casefold()
