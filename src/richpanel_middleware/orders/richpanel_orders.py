"""Read Richpanel's order bodies (``GET /v1/order/{appClientId}/{orderId}``) into `Order`.

Richpanel passes through what the connected store app reports, so field shapes vary.
`createdAt` is often epoch milliseconds and sometimes ISO text, and the customer's
contact may sit at the top level or under `customer`. Anything this module cannot read with
certainty raises `OrderParseError`, and the caller treats the link as unusable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from richpanel_middleware.helpdesk.errors import RichpanelNotFound
from richpanel_middleware.helpdesk.richpanel import parse_timestamp
from richpanel_middleware.orders.model import Order, OrderSourceName, Shipment

_logger = logging.getLogger(__name__)

_CANCELLED = frozenset({"CANCELLED", "CANCELED"})
# Epoch values below this are seconds, not milliseconds, because in milliseconds they
# would fall in early 1973, long before any order this service handles.
_EPOCH_SECONDS_BELOW = 100_000_000_000

# Richpanel's bodies carry at most this many fulfillments and tracking entries that we read.
_MAX_FULFILLMENTS = 20


class OrderParseError(ValueError):
    """An order body lacks a field a verified reply needs, or has it in an unknown shape."""


def parse_richpanel_order(body: Mapping[str, Any]) -> Order:
    """Parse one order body. Raises OrderParseError naming the field."""
    nested = body.get("order")
    raw: Mapping[str, Any] = nested if isinstance(nested, dict) else body
    name = _text(raw.get("orderName")) or _text(raw.get("name"))
    if not name:
        raise OrderParseError("order has no `orderName`")
    number = name if name.startswith("#") else f"#{name}"
    created = raw.get("createdAt")
    if created is None:
        raise OrderParseError("order has no `createdAt`")
    profile = raw.get("customer")
    customer: Mapping[str, Any] = profile if isinstance(profile, dict) else {}
    fulfillments = raw.get("fulfillment") or raw.get("fulfillments") or []
    if not isinstance(fulfillments, list):
        raise OrderParseError("`fulfillment` is not a list")
    status = _upper(raw.get("status"))
    return Order(
        number=number,
        source=OrderSourceName.RICHPANEL,
        created_at=_timestamp(created, "createdAt"),
        email=_text(customer.get("email")) or _text(raw.get("email")),
        phone=_text(customer.get("phone")) or _text(raw.get("phone")),
        cancelled=raw.get("cancelledAt") not in (None, "", 0) or status in _CANCELLED,
        financial_status=_upper(raw.get("financialStatus")),
        fulfillment_status=_upper(raw.get("fulfillmentStatus")),
        shipping_method=_text(raw.get("shippingMethod")),
        status_url=_text(raw.get("statusUrl")),
        tags=_tags(raw.get("tags")),
        shipments=tuple(
            shipment
            for index, item in enumerate(fulfillments[:_MAX_FULFILLMENTS])
            for shipment in _shipments(item, index)
        ),
    )


def _shipments(raw: object, index: int) -> list[Shipment]:
    where = f"fulfillment[{index}]"
    if not isinstance(raw, dict):
        raise OrderParseError(f"`{where}` is not an object")
    status = _text(raw.get("status"))
    delivered = _optional_timestamp(raw.get("deliveredAt"), f"{where}.deliveredAt")
    tracking = raw.get("tracking") or []
    if not isinstance(tracking, list):
        raise OrderParseError(f"`{where}.tracking` is not a list")
    if not tracking:
        return [Shipment(status=status, delivered_at=delivered)]
    shipments = []
    for position, entry in enumerate(tracking):
        if not isinstance(entry, dict):
            raise OrderParseError(f"`{where}.tracking[{position}]` is not an object")
        shipments.append(
            Shipment(
                status=status,
                carrier=_text(entry.get("trackingCompany")),
                tracking_number=_text(entry.get("trackingNumber")),
                tracking_url=_text(entry.get("trackingUrl")),
                shipped_at=_optional_timestamp(
                    entry.get("shippingDate"), f"{where}.tracking[{position}].shippingDate"
                ),
                delivered_at=delivered,
            )
        )
    return shipments


def _timestamp(value: object, field: str) -> datetime:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and abs(value) < _EPOCH_SECONDS_BELOW:  # type: ignore[arg-type]
        value = value * 1000  # type: ignore[operator]
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError, OSError) as error:
        raise OrderParseError(f"`{field}` is not a timestamp") from error


def _optional_timestamp(value: object, field: str) -> datetime | None:
    # Some apps send 0 for "not yet" (as for cancelledAt); 1970 is never a real event here.
    return None if value in (None, "", 0, "0") else _timestamp(value, field)


def _text(value: object) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _upper(value: object) -> str | None:
    text = _text(value)
    return text.upper().replace(" ", "_") if text else None


def _tags(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(tag.strip() for tag in value.split(",") if tag.strip())
    if isinstance(value, list):
        return tuple(str(tag).strip() for tag in value if isinstance(tag, str) and tag.strip())
    return ()


class RichpanelOrderApi(Protocol):
    def get_linked_order(self, conversation_id: str) -> dict[str, Any]: ...

    def get_order(self, app_client_id: str, order_id: str) -> dict[str, Any]: ...


class RichpanelOrderSource:
    """The order Richpanel links to a conversation, read through the Richpanel client.

    "No link", an order Richpanel no longer finds and an order body this module cannot
    read all count as no usable linkage; other Richpanel errors propagate.
    """

    def __init__(self, api: RichpanelOrderApi) -> None:
        self._api = api

    def linked_order(self, conversation_id: str) -> Order | None:
        try:
            link = self._api.get_linked_order(conversation_id)
            order_id, app_client_id = _text(link.get("orderId")), _text(link.get("appClientId"))
            if not order_id or not app_client_id:
                return None
            body = self._api.get_order(app_client_id, order_id)
        except RichpanelNotFound:
            return None
        try:
            return parse_richpanel_order(body)
        except OrderParseError as error:
            _logger.warning(
                "linked order cannot be read; treating the conversation as unlinked",
                extra={"event": "linked_order_unreadable", "detail": str(error)},
            )
            return None
