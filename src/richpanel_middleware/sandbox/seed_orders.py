"""Seed orders: one JSON shape that feeds both the Shopify and the Richpanel emulators.

A `SeedOrder` is what demo inputs and tests write. `to_shopify_node` turns it into the
Admin GraphQL `Order` node that the Shopify emulator serves, and `to_richpanel_order`
into the body of Richpanel's ``GET /v1/order/{appClientId}/{orderId}``. Naive datetimes
are taken as UTC. Status values are Shopify's enum values, written in lower case in the
seed (``"paid"``, ``"partially_fulfilled"``, ``"in_transit"``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

JsonObject = dict[str, Any]

# Shopify Admin API enum values (OrderDisplayFinancialStatus, OrderDisplayFulfillmentStatus,
# FulfillmentDisplayStatus as of 2026-10), lower-cased. The emulator's schema uses the same sets.
FINANCIAL_STATUSES: Final = frozenset(
    {
        "authorized",
        "expired",
        "paid",
        "partially_paid",
        "partially_refunded",
        "pending",
        "refunded",
        "voided",
    }
)
ORDER_FULFILLMENT_STATUSES: Final = frozenset(
    {
        "fulfilled",
        "in_progress",
        "on_hold",
        "open",
        "partially_fulfilled",
        "pending_fulfillment",
        "request_declined",
        "restocked",
        "scheduled",
        "unfulfilled",
    }
)
FULFILLMENT_DISPLAY_STATUSES: Final = frozenset(
    {
        "attempted_delivery",
        "canceled",
        "carrier_picked_up",
        "confirmed",
        "delayed",
        "delivered",
        "failure",
        "fulfilled",
        "in_transit",
        "label_printed",
        "label_purchased",
        "label_voided",
        "marked_as_fulfilled",
        "not_delivered",
        "out_for_delivery",
        "picked_up",
        "ready_for_pickup",
        "submitted",
    }
)
# Shopify's FulfillmentStatus values (the lifecycle enum behind `Fulfillment.status`),
# lower-cased. A seed may give one of these in place of a display status.
FULFILLMENT_LIFECYCLE_STATUSES: Final = frozenset(
    {"cancelled", "error", "failure", "open", "pending", "success"}
)
# FulfillmentStatus for display statuses that are not a success.
_LIFECYCLE_FOR_DISPLAY: Final = {"canceled": "CANCELLED", "failure": "FAILURE"}
_ORDER_NUMBER: Final = re.compile(r"#?\s*(\d+)")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_SHOP_DOMAIN: Final = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


class SeedFulfillment(BaseModel):
    """One shipment of a seed order. Every field is optional.

    `status` is a FulfillmentDisplayStatus (``"in_transit"``) or a FulfillmentStatus
    (``"success"``). The Shopify node puts a display status in `displayStatus` and a
    lifecycle status in `status`, leaving `displayStatus` null.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        allowed = FULFILLMENT_DISPLAY_STATUSES | FULFILLMENT_LIFECYCLE_STATUSES
        return _enum_value(value, allowed, "fulfillment status")

    @field_validator("tracking_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"tracking_url must start with http:// or https://, got {value!r}")
        return value

    @field_validator("shipped_at", "delivered_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _as_utc(value)

    @model_validator(mode="after")
    def _delivered_after_shipped(self) -> SeedFulfillment:
        if self.shipped_at and self.delivered_at and self.delivered_at < self.shipped_at:
            raise ValueError("delivered_at must not be earlier than shipped_at")
        return self

    @property
    def has_tracking(self) -> bool:
        return any((self.carrier, self.tracking_number, self.tracking_url))


class SeedOrder(BaseModel):
    """One order as seeded into the emulators. Only `number` and `created_at` are required.

    `number` accepts ``"#1001"`` or ``"1001"`` and is stored as ``"#1001"``. When
    `fulfillment_status` is missing, the Shopify node derives it: ``UNFULFILLED`` without
    fulfillments, ``FULFILLED`` with any, because Shopify never leaves it empty.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: str
    email: str | None = None
    phone: str | None = None
    created_at: datetime
    shipping_method: str | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    cancelled: bool = False
    tags: list[str] = []
    fulfillments: list[SeedFulfillment] = []

    @field_validator("number")
    @classmethod
    def _normalized_number(cls, value: str) -> str:
        match = _ORDER_NUMBER.fullmatch(value.strip())
        if match is None:
            raise ValueError(
                f"number must be digits with an optional leading '#', such as '#1001', "
                f"got {value!r}"
            )
        return f"#{match.group(1)}"

    @field_validator("email")
    @classmethod
    def _plausible_email(cls, value: str | None) -> str | None:
        # The value is not echoed, because seeds may contain real addresses.
        if value is not None and "@" not in value:
            raise ValueError("email must contain '@'")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware_created(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_validator("financial_status")
    @classmethod
    def _known_financial(cls, value: str | None) -> str | None:
        return _enum_value(value, FINANCIAL_STATUSES, "financial_status")

    @field_validator("fulfillment_status")
    @classmethod
    def _known_fulfillment(cls, value: str | None) -> str | None:
        return _enum_value(value, ORDER_FULFILLMENT_STATUSES, "fulfillment_status")

    def effective_fulfillment_status(self) -> str:
        """Return `fulfillment_status`, or the value derived from the fulfillments."""
        if self.fulfillment_status is not None:
            return self.fulfillment_status
        return "fulfilled" if self.fulfillments else "unfulfilled"

    def to_shopify_node(self, order_id: int, *, shop_domain: str) -> JsonObject:
        """Build the Admin GraphQL `Order` node with every field the emulator serves.

        `shippingLines` has the connection shape with `nodes`, and `fulfillments` and
        `trackingInfo` are plain lists, as in Shopify's schema. The seed has no
        cancellation time, so `cancelledAt` repeats `createdAt` for a cancelled order,
        and a fulfillment without `shipped_at` gets the order's `createdAt`, because
        Shopify's `Fulfillment.createdAt` is never null. Raises ValueError for an
        `order_id` below 1 or a `shop_domain` that is not a bare host name.
        """
        if order_id < 1:
            raise ValueError(f"order_id must be at least 1, got {order_id}")
        if not _SHOP_DOMAIN.fullmatch(shop_domain):
            raise ValueError(
                f"shop_domain must be a host name such as 'example.myshopify.com', "
                f"got {shop_domain!r}"
            )

        created = _iso(self.created_at)
        shipping_lines = [{"title": self.shipping_method}] if self.shipping_method else []
        return {
            "id": f"gid://shopify/Order/{order_id}",
            "name": self.number,
            "email": self.email,
            "phone": self.phone,
            "createdAt": created,
            "cancelledAt": created if self.cancelled else None,
            "displayFinancialStatus": _upper(self.financial_status),
            "displayFulfillmentStatus": self.effective_fulfillment_status().upper(),
            "statusPageUrl": f"https://{shop_domain}/orders/{status_page_token(order_id)}",
            "tags": list(self.tags),
            "shippingLines": {"nodes": shipping_lines},
            "fulfillments": [_shopify_fulfillment(item, created) for item in self.fulfillments],
        }

    def to_richpanel_order(self, order_id: str, *, status_url: str | None = None) -> JsonObject:
        """Build Richpanel's order body, with times in epoch milliseconds.

        `status` is ``"cancelled"`` or ``"open"``. A fulfillment without tracking details
        gets an empty `tracking` list, so its `shipped_at` has no place in this format.
        """
        created_ms = _epoch_ms(self.created_at)
        return {
            "orderId": order_id,
            "orderName": self.number,
            "status": "cancelled" if self.cancelled else "open",
            "fulfillmentStatus": self.effective_fulfillment_status(),
            "financialStatus": self.financial_status,
            "statusUrl": status_url,
            "createdAt": created_ms,
            "shippingMethod": self.shipping_method,
            "cancelledAt": created_ms if self.cancelled else None,
            "tags": list(self.tags),
            "customer": {"email": self.email, "phone": self.phone},
            "fulfillment": [_richpanel_fulfillment(item) for item in self.fulfillments],
        }


def status_page_token(order_id: int) -> str:
    """Return the path token of an order's status page: 32 hex digits derived from the id."""
    return hashlib.sha256(f"order-status:{order_id}".encode()).hexdigest()[:32]


def _shopify_fulfillment(item: SeedFulfillment, order_created: str) -> JsonObject:
    tracking = []
    if item.has_tracking:
        tracking.append(
            {"company": item.carrier, "number": item.tracking_number, "url": item.tracking_url}
        )
    if item.status in FULFILLMENT_DISPLAY_STATUSES:
        status = _LIFECYCLE_FOR_DISPLAY.get(item.status, "SUCCESS")
        display_status: str | None = item.status.upper()
    else:
        status = (item.status or "success").upper()
        display_status = None
    return {
        "status": status,
        "displayStatus": display_status,
        "createdAt": _iso(item.shipped_at) if item.shipped_at else order_created,
        "deliveredAt": _iso(item.delivered_at) if item.delivered_at else None,
        "estimatedDeliveryAt": None,
        "trackingInfo": tracking,
    }


def _richpanel_fulfillment(item: SeedFulfillment) -> JsonObject:
    tracking = []
    if item.has_tracking:
        tracking.append(
            {
                "trackingNumber": item.tracking_number,
                "trackingCompany": item.carrier,
                "trackingUrl": item.tracking_url,
                "shippingDate": _epoch_ms(item.shipped_at) if item.shipped_at else None,
            }
        )
    return {
        "status": item.status,
        "tracking": tracking,
        "deliveredAt": _epoch_ms(item.delivered_at) if item.delivered_at else None,
    }


def _enum_value(value: str | None, allowed: frozenset[str], name: str) -> str | None:
    if value is None:
        return None
    normalized = value.strip().lower().replace(" ", "_").replace("-", "_")
    if normalized not in allowed:
        raise ValueError(f"unknown {name} {value!r}, expected one of: {', '.join(sorted(allowed))}")
    return normalized


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _epoch_ms(value: datetime) -> int:
    # Integer division keeps whole milliseconds exact, where float seconds could round down.
    return (value - _EPOCH) // timedelta(milliseconds=1)


def _upper(value: str | None) -> str | None:
    return None if value is None else value.upper()
