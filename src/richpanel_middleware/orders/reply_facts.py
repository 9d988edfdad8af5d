"""Turn one verified order into the Tier 2 template to use and its variables.

Only these facts leave the order: its number, order and fulfillment status, carrier,
tracking number and link, status page link, and delivery dates. Dates are the store's
local dates, written out in the reply's language. Nothing here reads the clock: `now`
comes from the caller.

Store data is not trusted. An order on hold, refunded or unpaid, a shipment that failed or
was cancelled, an implausible date, or text that does not look like an order number,
tracking number or carrier name means no automatic reply, so a person takes over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_date

from richpanel_middleware.orders.delivery import (
    DeliveryEstimate,
    EstimateKind,
    add_business_days,
    business_days_after,
    estimate_delivery,
)
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

# Shipments listed in one reply, because more would bury the status the customer wants.
MAX_SHIPMENTS = 3

_LOCALES = {"en": "en_US", "es": "es"}

_ORDER_STATUS = {
    "delivered": {"en": "delivered", "es": "entregado"},
    "shipped": {"en": "shipped", "es": "enviado"},
    "partly_shipped": {"en": "partly shipped", "es": "enviado en parte"},
    "ready_to_ship": {"en": "ready to ship", "es": "listo para enviar"},
}
_SHIPMENT_STATUS = {
    "DELIVERED": {"en": "delivered", "es": "entregado"},
    "IN_TRANSIT": {"en": "in transit", "es": "en tránsito"},
    "OUT_FOR_DELIVERY": {"en": "out for delivery", "es": "en reparto"},
    "CONFIRMED": {"en": "shipped", "es": "enviado"},
    "LABEL_PRINTED": {"en": "label created", "es": "etiqueta creada"},
    "LABEL_PURCHASED": {"en": "label created", "es": "etiqueta creada"},
    "READY_FOR_PICKUP": {"en": "ready for pickup", "es": "listo para recoger"},
    "PICKED_UP": {"en": "picked up by the carrier", "es": "recogido por el transportista"},
    "CARRIER_PICKED_UP": {"en": "picked up by the carrier", "es": "recogido por el transportista"},
}
_PARTIAL_STATUSES = frozenset({"PARTIALLY_FULFILLED", "PARTIAL", "UNFULFILLED", "IN_PROGRESS"})
# Order statuses that mean at least part of the order left the warehouse.
_SHIPPED_STATUSES = frozenset({"FULFILLED", "PARTIALLY_FULFILLED", "PARTIAL"})
# Orders that will not ship as things stand: a person explains, no estimate is given.
_HELD_FINANCIAL = frozenset({"REFUNDED", "PARTIALLY_REFUNDED", "VOIDED", "EXPIRED"})
_HELD_FULFILLMENT = frozenset({"ON_HOLD", "RESTOCKED", "SCHEDULED", "REQUEST_DECLINED"})
# A delivery window is promised only for orders whose payment went through.
_SETTLED_FINANCIAL = frozenset({"PAID", "AUTHORIZED"})
# Shipments that failed, bounced or were withdrawn: a person looks at what happened.
_PROBLEM_SHIPMENTS = frozenset(
    {
        "CANCELED",
        "CANCELLED",
        "FAILURE",
        "ERROR",
        "NOT_DELIVERED",
        "ATTEMPTED_DELIVERY",
        "LABEL_VOIDED",
        "RETURNED",
        "DELAYED",
    }
)
_LABEL_ONLY = frozenset({"LABEL_PRINTED", "LABEL_PURCHASED"})

_ORDER_NUMBER = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9-]{0,19}")
_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]| (?! )){2,44}")
# Every carrier's numbers carry digits; "pending", "TBD" or "see email" are placeholders.
_MIN_TRACKING_DIGITS = 4
# Names shown for carriers the configuration does not know: words, no digits or contacts.
_CARRIER_NAME = re.compile(r"[A-Za-z][A-Za-z .&'-]{0,29}")
_PLACEHOLDER_CARRIERS = frozenset({"other", "unknown", "n/a", "na", "none", "carrier"})
# Order dates outside this range are data errors (seconds read as milliseconds, typos).
_EARLIEST_ORDER_YEAR = 2000
_MAX_FUTURE_SKEW = timedelta(minutes=10)
# A pre-order date further out than this is treated as no date at all.
_MAX_PREORDER_HORIZON = timedelta(days=366)


class NoReplyReason(StrEnum):
    CANCELLED = "order_cancelled"
    ON_HOLD = "order_on_hold"
    PAYMENT_NOT_SETTLED = "payment_not_settled"
    SHIPMENT_PROBLEM = "shipment_problem"
    SHIPPED_WITHOUT_TRACKING = "shipped_without_tracking"
    IMPLAUSIBLE_DATA = "order_data_implausible"
    LANGUAGE = "no_reply_language"


@dataclass(frozen=True, slots=True)
class OrderReply:
    """The Tier 2 template chosen for this order, with the variables it gets.

    `auto_close_eligible` is true only for the no-tracking estimate inside its window.
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
    """Pick the template for a matched order, or give the reason no automatic reply fits."""
    if order.cancelled:
        # A cancelled order raises refund and reorder questions only a person can answer.
        return NoReplyReason.CANCELLED
    locale = _LOCALES.get(language)
    if locale is None:
        return NoReplyReason.LANGUAGE
    if not _ORDER_NUMBER.fullmatch(order.number) or not _plausible_date(order.created_at, now):
        return NoReplyReason.IMPLAUSIBLE_DATA
    if (
        _key(order.financial_status) in _HELD_FINANCIAL
        or _key(order.fulfillment_status) in _HELD_FULFILLMENT
    ):
        return NoReplyReason.ON_HOLD
    if any(_key(s.status) in _PROBLEM_SHIPMENTS for s in order.shipments):
        return NoReplyReason.SHIPMENT_PROBLEM
    zone = ZoneInfo(config.store.timezone)
    common: dict[str, object] = {
        "order_number": order.number,
        "order_date": _local_date(order.created_at, zone, locale),
        "status_page_url": _safe_url(order.status_url),
    }

    if not all(_plausible_shipment(s, order.created_at, now) for s in order.shipments):
        return NoReplyReason.IMPLAUSIBLE_DATA
    tracked = [s for s in order.shipments if s.has_tracking]
    if tracked:
        if not all(_plausible_tracking_number(s.tracking_number or "") for s in tracked):
            return NoReplyReason.IMPLAUSIBLE_DATA
        return _checked(_tracked_reply(order, tracked, common, zone, locale, language, config))
    if any(s.shipped_at or s.delivered_at or s.status for s in order.shipments) or (
        _key(order.fulfillment_status) in _SHIPPED_STATUSES
    ):
        # It left the warehouse without a tracking number, and the estimate from the order
        # date would claim "not shipped yet", which is false.
        return NoReplyReason.SHIPPED_WITHOUT_TRACKING
    if _key(order.financial_status) not in _SETTLED_FINANCIAL:
        return NoReplyReason.PAYMENT_NOT_SETTLED
    return _checked(_estimate_reply(order, now, common, zone, locale, config))


def _estimate_reply(
    order: Order,
    now: datetime,
    common: dict[str, object],
    zone: ZoneInfo,
    locale: str,
    config: ShippingConfig,
) -> OrderReply:
    """Build the reply for an order with nothing shipped yet from its delivery estimate.

    The window is promised only while the bucket's fastest delivery still fits in it,
    because an order not yet shipped on its last day will not arrive that day.
    """
    estimate = estimate_delivery(
        ordered_at=order.created_at,
        now=now,
        shipping_method=order.shipping_method,
        tags=order.tags,
        config=config,
    )
    today = now.astimezone(zone).date()
    holidays = config.holiday_set
    preorder = estimate.kind in (EstimateKind.PREORDER_WITH_ETA, EstimateKind.PREORDER_NO_ETA)
    latest = estimate.latest
    far_off = latest is not None and latest > today + _MAX_PREORDER_HORIZON
    # Time in transit still needed if the order shipped now: the bucket's fastest delivery
    # for a shipping bucket, one business day for a pre-order date.
    transit = config.buckets[estimate.bucket].min_days if estimate.bucket else 1
    reachable = latest is not None and business_days_after(today, latest, holidays) >= transit
    if estimate.auto_close_eligible and latest is not None and reachable and not far_off:
        first_day = add_business_days(today, max(transit, 1), holidays)
        earliest = max(estimate.earliest, first_day) if estimate.earliest else None
        variables = {
            **common,
            "delivery_by": format_date(latest, format="long", locale=locale),
            "delivery_from": format_date(earliest, format="long", locale=locale)
            if earliest is not None and earliest < latest
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
    late = estimate.kind is EstimateKind.LATE or (latest is not None and not far_off)
    if estimate.kind is EstimateKind.UNKNOWN_METHOD:
        longest = max(bucket.max_days for bucket in config.buckets.values())
        late = (estimate.business_days_elapsed or 0) > longest
    basis = EstimateKind.LATE.value if late else estimate.kind.value
    undated_preorder = estimate.kind is EstimateKind.PREORDER_NO_ETA or far_off
    if far_off:
        basis = EstimateKind.PREORDER_NO_ETA.value
    return OrderReply(
        DELAY_TEMPLATE,
        {**common, "is_preorder": undated_preorder, "is_late": late and not undated_preorder},
        auto_close_eligible=False,
        needs_human=True,
        basis=basis,
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
        carrier = _carrier_name(shipment.carrier, language, config)
        status = _SHIPMENT_STATUS.get(_key(shipment.status), {})
        if _is_delivered(shipment):
            status = _SHIPMENT_STATUS["DELIVERED"]
        label_only = _key(shipment.status) in _LABEL_ONLY
        shipments.append(
            {
                "carrier": carrier,
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
                if shipment.shipped_at and not label_only
                else "",
            }
        )
    # Shipments that left without a tracking number are mentioned, not called unshipped.
    # Only the first shipments are listed, and more tracked ones do not mean unshipped items.
    untracked = [s for s in order.shipments if not s.has_tracking and not _is_delivered(s)]
    labels_only = all(_key(s.status) in _LABEL_ONLY and not _is_delivered(s) for s in tracked)
    unshipped = _key(order.fulfillment_status) in _PARTIAL_STATUSES and not labels_only
    delivered = not unshipped and not untracked and all(_is_delivered(s) for s in tracked)
    status_key = "shipped"
    if labels_only:
        status_key = "ready_to_ship"
    elif unshipped:
        status_key = "partly_shipped"
    elif delivered:
        status_key = "delivered"
    variables = {
        **common,
        "order_status": _ORDER_STATUS[status_key][language],
        "shipments": shipments,
        "unshipped_items": unshipped,
        "untracked_items": bool(untracked) and not unshipped,
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
    """Return the store's link when it is safe to show a customer, else "" (the copy omits it)."""
    if not url or not is_safe_https_url(url):
        return ""
    return url.strip()


def _carrier_name(raw: str | None, language: str, config: ShippingConfig) -> str:
    """Return a known carrier's configured name, a plain unknown name, or "the carrier"."""
    name = carrier_display_name(raw, config)
    if config.carrier_for(raw) is not None and name:
        return name
    if name and _CARRIER_NAME.fullmatch(name) and name.casefold() not in _PLACEHOLDER_CARRIERS:
        return name
    return "el transportista" if language == "es" else "the carrier"


def _plausible_tracking_number(raw: str) -> bool:
    number = raw.strip()
    if not _TRACKING_NUMBER.fullmatch(number):
        return False
    digits = [ch for ch in number if ch.isdigit()]
    return len(digits) >= _MIN_TRACKING_DIGITS and len(set(number.replace(" ", ""))) > 1


def _plausible_shipment(shipment: Shipment, created_at: datetime, now: datetime) -> bool:
    """Shipping and delivery times fall between the order's creation and now."""
    earliest = created_at - _MAX_FUTURE_SKEW
    latest = now + _MAX_FUTURE_SKEW
    return all(
        moment is None or earliest <= moment <= latest
        for moment in (shipment.shipped_at, shipment.delivered_at)
    )


def _plausible_date(created_at: datetime, now: datetime) -> bool:
    return created_at.year >= _EARLIEST_ORDER_YEAR and created_at <= now + _MAX_FUTURE_SKEW


def _checked(reply: OrderReply) -> OrderReply | NoReplyReason:
    """Refuse variables that could carry contact data or invisible characters into a reply."""
    if all(_clean(value) for value in reply.variables.values()):
        return reply
    return NoReplyReason.IMPLAUSIBLE_DATA


def _clean(value: object) -> bool:
    if isinstance(value, str):
        return "@" not in value and all(ch.isprintable() for ch in value)
    if isinstance(value, Mapping):
        return all(_clean(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(_clean(item) for item in value)
    return True
