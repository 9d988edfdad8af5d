"""Turn one verified order into the Tier 2 template to use and its variables.

Only these facts leave the order: its number, order and fulfillment status, carrier,
tracking number and link, status page link, and delivery dates. Dates
are the store's local dates, written out in the reply's language. Nothing here reads the
clock: `now` comes from the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_date

from richpanel_middleware.orders.delivery import DeliveryEstimate, EstimateKind, estimate_delivery
from richpanel_middleware.orders.model import Order, Shipment
from richpanel_middleware.orders.shipping_config import ShippingConfig
from richpanel_middleware.orders.tracking import (
    carrier_display_name,
    is_safe_https_url,
    tracking_link,
)

STATUS_TEMPLATE = "t_order_status_verified"
DELAY_TEMPLATE = "t_shipping_delay_verified"
ETA_TEMPLATE = "t_order_eta_no_tracking_verified"
TIER2_TEMPLATES = frozenset({STATUS_TEMPLATE, DELAY_TEMPLATE, ETA_TEMPLATE})

# Shipments listed in one reply; more would bury the answer.
MAX_SHIPMENTS = 3

_LOCALES = {"en": "en_US", "es": "es"}

_ORDER_STATUS = {
    "delivered": {"en": "delivered", "es": "entregado"},
    "shipped": {"en": "shipped", "es": "enviado"},
    "partly_shipped": {"en": "partly shipped", "es": "enviado en parte"},
}
_SHIPMENT_STATUS = {
    "DELIVERED": {"en": "delivered", "es": "entregado"},
    "IN_TRANSIT": {"en": "in transit", "es": "en tránsito"},
    "OUT_FOR_DELIVERY": {"en": "out for delivery", "es": "en reparto"},
    "CONFIRMED": {"en": "shipped", "es": "enviado"},
    "LABEL_PRINTED": {"en": "label created", "es": "etiqueta creada"},
    "LABEL_PURCHASED": {"en": "label created", "es": "etiqueta creada"},
    "READY_FOR_PICKUP": {"en": "ready for pickup", "es": "listo para recoger"},
}
_PARTIAL_STATUSES = frozenset({"PARTIALLY_FULFILLED", "PARTIAL", "UNFULFILLED", "IN_PROGRESS"})
# Order statuses that mean at least part of the order left the warehouse.
_SHIPPED_STATUSES = frozenset({"FULFILLED", "PARTIALLY_FULFILLED", "PARTIAL"})


class NoReplyReason(StrEnum):
    CANCELLED = "order_cancelled"
    SHIPPED_WITHOUT_TRACKING = "shipped_without_tracking"
    LANGUAGE = "no_reply_language"


@dataclass(frozen=True, slots=True)
class OrderReply:
    """Which Tier 2 template answers for this order, with the variables it gets.

    `auto_close_eligible` holds only for the no-tracking estimate inside its window.
    `needs_human` marks replies after which a specialist must follow up.
    """

    template_id: str
    variables: dict[str, object]
    auto_close_eligible: bool
    needs_human: bool
    basis: str
    estimate: DeliveryEstimate | None = None


def plan_order_reply(
    order: Order, *, now: datetime, language: str, config: ShippingConfig
) -> OrderReply | NoReplyReason:
    """Pick the template for a matched order, or say why no automatic reply fits."""
    if order.cancelled:
        # A cancelled order raises refund and reorder questions only a person can answer.
        return NoReplyReason.CANCELLED
    locale = _LOCALES.get(language)
    if locale is None:
        return NoReplyReason.LANGUAGE
    zone = ZoneInfo(config.store.timezone)
    common: dict[str, object] = {
        "order_number": order.number,
        "order_date": _local_date(order.created_at, zone, locale),
        "status_page_url": _safe_url(order.status_url),
    }

    tracked = [s for s in order.shipments if s.has_tracking]
    if tracked:
        return _tracked_reply(order, tracked, common, zone, locale, language, config)
    if any(s.shipped_at or s.delivered_at or s.status for s in order.shipments) or (
        _key(order.fulfillment_status) in _SHIPPED_STATUSES
    ):
        # It left the warehouse but nobody can follow it: the estimate from the order date
        # would say "not shipped yet", which is false.
        return NoReplyReason.SHIPPED_WITHOUT_TRACKING

    estimate = estimate_delivery(
        ordered_at=order.created_at,
        now=now,
        shipping_method=order.shipping_method,
        tags=order.tags,
        config=config,
    )
    preorder = estimate.kind in (EstimateKind.PREORDER_WITH_ETA, EstimateKind.PREORDER_NO_ETA)
    if estimate.auto_close_eligible and estimate.latest is not None:
        variables = {
            **common,
            "delivery_by": format_date(estimate.latest, format="long", locale=locale),
            "delivery_from": format_date(estimate.earliest, format="long", locale=locale)
            if estimate.earliest is not None
            else "",
            "is_preorder": preorder,
        }
        return OrderReply(
            ETA_TEMPLATE,
            variables,
            auto_close_eligible=True,
            needs_human=False,
            basis=estimate.kind.value,
            estimate=estimate,
        )
    return OrderReply(
        DELAY_TEMPLATE,
        {**common, "is_preorder": preorder},
        auto_close_eligible=False,
        needs_human=True,
        basis=estimate.kind.value,
        estimate=estimate,
    )


def _tracked_reply(
    order: Order,
    tracked: list[Shipment],
    common: dict[str, object],
    zone: ZoneInfo,
    locale: str,
    language: str,
    config: ShippingConfig,
) -> OrderReply:
    shipments: list[dict[str, str]] = []
    for shipment in tracked[:MAX_SHIPMENTS]:
        number = (shipment.tracking_number or "").strip()
        carrier = carrier_display_name(shipment.carrier, config)
        status = _SHIPMENT_STATUS.get(_key(shipment.status), {})
        if _is_delivered(shipment):
            status = _SHIPMENT_STATUS["DELIVERED"]
        shipments.append(
            {
                "carrier": carrier or ("el transportista" if language == "es" else "the carrier"),
                "tracking_number": number,
                "tracking_url": tracking_link(
                    carrier=shipment.carrier,
                    tracking_number=number,
                    store_url=shipment.tracking_url,
                    config=config,
                )
                or "",
                "status": status.get(language, ""),
                "shipped_on": _local_date(shipment.shipped_at, zone, locale)
                if shipment.shipped_at
                else "",
            }
        )
    untracked = [s for s in order.shipments if not s.has_tracking and not _is_delivered(s)]
    unshipped = (
        _key(order.fulfillment_status) in _PARTIAL_STATUSES
        or bool(untracked)
        or len(tracked) > MAX_SHIPMENTS
    )
    delivered = not unshipped and all(_is_delivered(s) for s in tracked)
    status_key = "shipped"
    if unshipped:
        status_key = "partly_shipped"
    elif delivered:
        status_key = "delivered"
    variables = {
        **common,
        "order_status": _ORDER_STATUS[status_key][language],
        "shipments": shipments,
        "unshipped_items": unshipped,
    }
    return OrderReply(
        STATUS_TEMPLATE,
        variables,
        auto_close_eligible=False,
        needs_human=False,
        basis="tracked",
    )


def _local_date(moment: datetime | None, zone: ZoneInfo, locale: str) -> str:
    if moment is None:
        return ""
    day: date = moment.astimezone(zone).date()
    return str(format_date(day, format="long", locale=locale))


def _key(status: str | None) -> str:
    return (status or "").strip().upper().replace(" ", "_")


def _is_delivered(shipment: Shipment) -> bool:
    return shipment.delivered_at is not None or _key(shipment.status) == "DELIVERED"


def _safe_url(url: str | None) -> str:
    """The store's link when it is safe to show a customer, else empty (the copy omits it)."""
    if not url or not is_safe_https_url(url):
        return ""
    return url.strip()
