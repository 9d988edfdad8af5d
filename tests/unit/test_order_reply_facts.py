"""Tier 2 reply planning: template choice, tracking facts, delivery windows and languages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.orders.model import Order, OrderSourceName, Shipment
from richpanel_middleware.orders.reply_facts import (
    DELAY_TEMPLATE,
    ETA_TEMPLATE,
    STATUS_TEMPLATE,
    NoReplyReason,
    OrderReply,
    plan_order_reply,
)
from richpanel_middleware.orders.shipping_config import ShippingConfig

# Wednesday 2026-12-02, 10:00 in the store's zone (America/New_York in config/shipping.yaml).
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
# Monday 2026-11-30, 09:00 in New York. Standard (3-5 business days) runs Dec 3 to Dec 7.
MONDAY_ORDER = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
CUSTOMER_EMAIL = "ana.lopez@example.com"
CUSTOMER_PHONE = "+1 305 555 0187"
STATUS_URL = "https://shop.example/orders/abc/status"

BASE_ORDER = Order(
    number="#1001",
    source=OrderSourceName.SHOPIFY,
    created_at=MONDAY_ORDER,
    email=CUSTOMER_EMAIL,
    phone=CUSTOMER_PHONE,
    financial_status="PAID",
    fulfillment_status="UNFULFILLED",
    shipping_method="Standard Shipping",
    status_url=STATUS_URL,
)


@pytest.fixture(scope="module")
def config() -> ShippingConfig:
    return load_app_config().shipping


def tracked(
    number: str = "1Z999AA10123456784",
    carrier: str | None = "UPS",
    *,
    status: str = "IN_TRANSIT",
    tracking_url: str | None = None,
    shipped_at: datetime | None = None,
    delivered_at: datetime | None = None,
) -> Shipment:
    return Shipment(
        status=status,
        carrier=carrier,
        tracking_number=number,
        tracking_url=tracking_url,
        shipped_at=shipped_at,
        delivered_at=delivered_at,
    )


def shipped_order(*shipments: Shipment, fulfillment_status: str = "FULFILLED") -> Order:
    return replace(BASE_ORDER, shipments=shipments, fulfillment_status=fulfillment_status)


def plan(order: Order, config: ShippingConfig, language: str = "en") -> OrderReply:
    reply = plan_order_reply(order, now=NOW, language=language, config=config)
    assert isinstance(reply, OrderReply), f"expected a reply, got {reply!r}"
    return reply


def listed_shipments(reply: OrderReply) -> list[dict[str, str]]:
    shipments = reply.variables["shipments"]
    assert isinstance(shipments, list)
    return shipments


# --- no automatic reply --------------------------------------------------------------------------


def test_cancelled_order_gets_no_reply(config: ShippingConfig) -> None:
    order = replace(shipped_order(tracked()), cancelled=True)

    result = plan_order_reply(order, now=NOW, language="en", config=config)

    assert result is NoReplyReason.CANCELLED


@pytest.mark.parametrize("language", ["fr", "de", ""])
def test_unsupported_language_gets_no_reply(config: ShippingConfig, language: str) -> None:
    result = plan_order_reply(shipped_order(tracked()), now=NOW, language=language, config=config)

    assert result is NoReplyReason.LANGUAGE


# --- tracked shipments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "number", "display_name", "url"),
    [
        (
            "UPS",
            "1Z999AA10123456784",
            "UPS",
            "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        ),
        (
            "Federal Express",
            "771234567890",
            "FedEx",
            "https://www.fedex.com/fedextrack/?trknbr=771234567890",
        ),
        (
            "usps",
            "9400100000000000000000",
            "USPS",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400100000000000000000",
        ),
        (
            "DHL",
            "1234567890",
            "DHL Express",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
            "?submit=1&tracking-id=1234567890",
        ),
        ("UPS", " AB 1234 5 ", "UPS", "https://www.ups.com/track?tracknum=AB%201234%205"),
    ],
)
def test_single_tracked_shipment(
    config: ShippingConfig, carrier: str, number: str, display_name: str, url: str
) -> None:
    reply = plan(shipped_order(tracked(number, carrier)), config)

    assert reply.template_id == STATUS_TEMPLATE
    assert reply.auto_close_eligible is False
    assert reply.needs_human is False
    assert reply.basis == "tracked"
    assert reply.variables["order_number"] == "#1001"
    assert reply.variables["order_date"] == "November 30, 2026"
    assert reply.variables["order_status"] == "shipped"
    assert reply.variables["unshipped_items"] is False
    [shipment] = listed_shipments(reply)
    assert shipment["carrier"] == display_name
    assert shipment["tracking_number"] == number.strip()
    assert shipment["tracking_url"] == url
    assert shipment["status"] == "in transit"


def test_unknown_carrier_has_no_link(config: ShippingConfig) -> None:
    reply = plan(shipped_order(tracked("RM123456789GB", "Royal Mail")), config)

    [shipment] = listed_shipments(reply)
    assert shipment["carrier"] == "Royal Mail"
    assert shipment["tracking_number"] == "RM123456789GB"
    assert shipment["tracking_url"] == ""


@pytest.mark.parametrize(("language", "name"), [("en", "the carrier"), ("es", "el transportista")])
def test_missing_carrier_named_generically(
    config: ShippingConfig, language: str, name: str
) -> None:
    reply = plan(shipped_order(tracked("ABC12345", None)), config, language)

    [shipment] = listed_shipments(reply)
    assert shipment["carrier"] == name
    assert shipment["tracking_url"] == ""


def test_store_https_tracking_url_used(config: ShippingConfig) -> None:
    store_url = "https://shop.example/track/1Z999AA10123456784"

    reply = plan(shipped_order(tracked(tracking_url=store_url)), config)

    assert listed_shipments(reply)[0]["tracking_url"] == store_url


def test_store_http_tracking_url_ignored(config: ShippingConfig) -> None:
    reply = plan(
        shipped_order(tracked(tracking_url="http://shop.example/track/1Z999AA10123456784")),
        config,
    )

    url = listed_shipments(reply)[0]["tracking_url"]
    assert url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"


def test_http_url_unknown_carrier_no_link(config: ShippingConfig) -> None:
    shipment = tracked(
        "RM123456789GB", "Royal Mail", tracking_url="http://royalmail.example/RM123456789GB"
    )

    reply = plan(shipped_order(shipment), config)

    assert listed_shipments(reply)[0]["tracking_url"] == ""


def test_shipped_on_in_store_zone(config: ShippingConfig) -> None:
    # 03:00 UTC on Dec 1 is still Nov 30 in New York.
    shipment = tracked(shipped_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))

    english = listed_shipments(plan(shipped_order(shipment), config))[0]
    spanish = listed_shipments(plan(shipped_order(shipment), config, "es"))[0]

    assert english["shipped_on"] == "November 30, 2026"
    assert spanish["shipped_on"] == "30 de noviembre de 2026"
    assert spanish["status"] == "en tránsito"


def test_shipped_on_empty_without_date(config: ShippingConfig) -> None:
    reply = plan(shipped_order(tracked()), config)

    assert listed_shipments(reply)[0]["shipped_on"] == ""


def test_more_than_three_shipments(config: ShippingConfig) -> None:
    numbers = ["1Z0001", "1Z0002", "1Z0003", "1Z0004"]
    order = shipped_order(*(tracked(n) for n in numbers))

    reply = plan(order, config)

    assert [s["tracking_number"] for s in listed_shipments(reply)] == numbers[:3]
    # The list is capped; the fourth shipment left too, so nothing is unshipped.
    assert reply.variables["unshipped_items"] is False
    assert reply.variables["order_status"] == "shipped"


def test_untracked_shipment_beside_tracked(config: ShippingConfig) -> None:
    order = shipped_order(tracked("1Z0001"), Shipment(status="SUCCESS"))

    reply = plan(order, config)

    assert [s["tracking_number"] for s in listed_shipments(reply)] == ["1Z0001"]
    # The untracked shipment left too: it is mentioned, not called unshipped.
    assert reply.variables["unshipped_items"] is False
    assert reply.variables["untracked_items"] is True
    assert reply.variables["order_status"] == "shipped"


def test_partial_fulfillment_status(config: ShippingConfig) -> None:
    order = shipped_order(tracked("1Z0001"), fulfillment_status="PARTIALLY_FULFILLED")

    reply = plan(order, config, "es")

    assert reply.variables["unshipped_items"] is True
    assert reply.variables["order_status"] == "enviado en parte"


@pytest.mark.parametrize(("language", "status"), [("en", "delivered"), ("es", "entregado")])
def test_all_delivered(config: ShippingConfig, language: str, status: str) -> None:
    delivered = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    order = shipped_order(
        tracked("1Z0001", delivered_at=delivered),
        tracked("771234567890", "FedEx", delivered_at=delivered),
    )

    reply = plan(order, config, language)

    assert reply.variables["order_status"] == status
    assert reply.variables["unshipped_items"] is False
    assert [s["status"] for s in listed_shipments(reply)] == [status, status]


def test_delivered_untracked_not_unshipped(config: ShippingConfig) -> None:
    delivered = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    order = shipped_order(
        tracked("1Z0001", delivered_at=delivered),
        Shipment(status="SUCCESS", delivered_at=delivered),
    )

    reply = plan(order, config)

    assert reply.variables["unshipped_items"] is False
    assert reply.variables["order_status"] == "delivered"


def test_one_of_two_delivered(config: ShippingConfig) -> None:
    order = shipped_order(
        tracked("1Z0001", delivered_at=datetime(2026, 12, 1, 20, 0, tzinfo=UTC)),
        tracked("1Z0002"),
    )

    reply = plan(order, config)

    assert reply.variables["order_status"] == "shipped"
    assert [s["status"] for s in listed_shipments(reply)] == ["delivered", "in transit"]


@pytest.mark.parametrize(
    "order",
    [
        replace(BASE_ORDER, fulfillment_status="FULFILLED"),
        replace(BASE_ORDER, fulfillment_status="PARTIALLY_FULFILLED"),
        shipped_order(Shipment(status="SUCCESS")),
        shipped_order(Shipment(shipped_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))),
        shipped_order(Shipment(status="SUCCESS", carrier="UPS", tracking_number="   ")),
    ],
    ids=[
        "fulfilled-no-shipments",
        "partly-fulfilled-no-shipments",
        "status-only",
        "shipped-at-only",
        "blank-number",
    ],
)
def test_shipped_without_tracking(config: ShippingConfig, order: Order) -> None:
    result = plan_order_reply(order, now=NOW, language="en", config=config)

    assert result is NoReplyReason.SHIPPED_WITHOUT_TRACKING


# --- no tracking yet: delivery window ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "ordered", "delivery_from", "delivery_by"),
    [
        # Standard is 3-5 business days: shipped today, it arrives on Monday Dec 7 at the
        # earliest, which is also the last day of the window.
        ("en", "November 30, 2026", "", "December 7, 2026"),
        ("es", "30 de noviembre de 2026", "", "7 de diciembre de 2026"),
    ],
)
def test_unfulfilled_in_window(
    config: ShippingConfig, language: str, ordered: str, delivery_from: str, delivery_by: str
) -> None:
    reply = plan(BASE_ORDER, config, language)

    assert reply.template_id == ETA_TEMPLATE
    assert reply.auto_close_eligible is True
    assert reply.needs_human is False
    assert reply.basis == "in_window"
    assert reply.variables["order_date"] == ordered
    assert reply.variables["delivery_from"] == delivery_from
    assert reply.variables["delivery_by"] == delivery_by
    assert reply.variables["is_preorder"] is False
    assert reply.estimate is not None
    assert reply.estimate.bucket == "standard"


def test_order_date_in_store_zone(config: ShippingConfig) -> None:
    # 03:00 UTC on Tuesday Dec 1 is Monday Nov 30, 22:00 in New York.
    order = replace(BASE_ORDER, created_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))

    reply = plan(order, config)

    assert reply.variables["order_date"] == "November 30, 2026"
    assert reply.variables["delivery_by"] == "December 7, 2026"


def test_last_day_of_window_unshipped_is_late(config: ShippingConfig) -> None:
    # Tuesday Nov 24 plus 5 business days, skipping Thanksgiving on Nov 26, ends Dec 2:
    # an order not shipped by the afternoon of its last day will not arrive that day.
    order = replace(BASE_ORDER, created_at=datetime(2026, 11, 24, 15, 0, tzinfo=UTC))

    reply = plan(order, config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.basis == "late"
    assert reply.variables["is_late"] is True


def test_late_order_gets_delay(config: ShippingConfig) -> None:
    # Friday Nov 20 plus 5 business days, skipping Thanksgiving, ends Monday Nov 30.
    order = replace(BASE_ORDER, created_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC))

    reply = plan(order, config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.needs_human is True
    assert reply.auto_close_eligible is False
    assert reply.basis == "late"
    assert reply.variables["order_number"] == "#1001"
    assert reply.variables["is_preorder"] is False
    assert "delivery_by" not in reply.variables
    assert "delivery_from" not in reply.variables


@pytest.mark.parametrize("method", ["Carrier pigeon", None, "---"])
def test_unknown_method_gets_delay(config: ShippingConfig, method: str | None) -> None:
    reply = plan(replace(BASE_ORDER, shipping_method=method), config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.needs_human is True
    assert reply.auto_close_eligible is False
    assert reply.basis == "unknown_method"


@pytest.mark.parametrize(
    ("language", "delivery_by"), [("en", "January 15, 2027"), ("es", "15 de enero de 2027")]
)
def test_preorder_with_eta(config: ShippingConfig, language: str, delivery_by: str) -> None:
    order = replace(BASE_ORDER, tags=("Pre-Order", "eta:2027-01-15"))

    reply = plan(order, config, language)

    assert reply.template_id == ETA_TEMPLATE
    assert reply.auto_close_eligible is True
    assert reply.needs_human is False
    assert reply.basis == "preorder_with_eta"
    assert reply.variables["delivery_by"] == delivery_by
    assert reply.variables["delivery_from"] == ""
    assert reply.variables["is_preorder"] is True


def test_preorder_without_eta(config: ShippingConfig) -> None:
    reply = plan(replace(BASE_ORDER, tags=("preorder",)), config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.needs_human is True
    assert reply.auto_close_eligible is False
    assert reply.basis == "preorder_no_eta"
    assert reply.variables["is_preorder"] is True


def test_preorder_past_eta(config: ShippingConfig) -> None:
    reply = plan(replace(BASE_ORDER, tags=("preorder", "eta:2026-12-01")), config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.needs_human is True
    assert reply.basis == "late"


# --- status page link ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        BASE_ORDER,
        shipped_order(tracked()),
        replace(BASE_ORDER, shipping_method="Carrier pigeon"),
    ],
    ids=["eta", "tracked", "delay"],
)
def test_https_status_url_kept(config: ShippingConfig, order: Order) -> None:
    assert plan(order, config).variables["status_page_url"] == STATUS_URL


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://shop.example/orders/abc/status",
        "javascript:alert(1)",
        "https://shop.example/orders/abc status",
    ],
)
def test_non_https_status_url_dropped(config: ShippingConfig, url: str | None) -> None:
    reply = plan(replace(BASE_ORDER, status_url=url), config)

    assert reply.variables["status_page_url"] == ""


@pytest.mark.parametrize(
    "url",
    [
        # User info before "@" disguises the real host (evil.example).
        "https://shop.example@evil.example/orders/abc/status",
        # A right-to-left override reverses how the rest of the link is displayed.
        "https://shop.example/orders/\u202eabc/status",
    ],
    ids=["user-info", "bidi-override"],
)
def test_unsafe_https_status_url_dropped(config: ShippingConfig, url: str) -> None:
    # tracking.is_safe_https_url rejects both URLs for tracking links. The status page link
    # goes into the same customer copy, so it should pass the same check.
    reply = plan(replace(BASE_ORDER, status_url=url), config)

    assert reply.variables["status_page_url"] == ""


# --- privacy -------------------------------------------------------------------------------------


def flatten(value: object) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in flatten(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in flatten(item)]
    return [str(value)]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "order",
    [
        shipped_order(tracked(), tracked("1Z0002", "Royal Mail"), Shipment(status="SUCCESS")),
        BASE_ORDER,
        replace(BASE_ORDER, created_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        replace(BASE_ORDER, tags=("preorder", "eta:2027-01-15")),
        replace(BASE_ORDER, tags=("preorder",)),
    ],
    ids=["tracked", "in-window", "late", "preorder-eta", "preorder-no-eta"],
)
def test_variables_omit_contact(config: ShippingConfig, order: Order, language: str) -> None:
    reply = plan(order, config, language)

    for text in flatten(reply.variables):
        assert CUSTOMER_EMAIL not in text
        assert "ana.lopez" not in text
        assert "555 0187" not in text
        assert "5550187" not in text


# --- store data that rules out an automatic reply ----------------------------------------------


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (replace(BASE_ORDER, financial_status="REFUNDED"), NoReplyReason.ON_HOLD),
        (replace(BASE_ORDER, financial_status="VOIDED"), NoReplyReason.ON_HOLD),
        (replace(BASE_ORDER, fulfillment_status="ON_HOLD"), NoReplyReason.ON_HOLD),
        (replace(BASE_ORDER, fulfillment_status="RESTOCKED"), NoReplyReason.ON_HOLD),
        (replace(BASE_ORDER, financial_status="PENDING"), NoReplyReason.PAYMENT_NOT_SETTLED),
        (replace(BASE_ORDER, financial_status=None), NoReplyReason.PAYMENT_NOT_SETTLED),
        (shipped_order(tracked(status="CANCELED")), NoReplyReason.SHIPMENT_PROBLEM),
        (shipped_order(tracked(status="FAILURE")), NoReplyReason.SHIPMENT_PROBLEM),
        (shipped_order(tracked(status="NOT_DELIVERED")), NoReplyReason.SHIPMENT_PROBLEM),
        (shipped_order(tracked(status="ATTEMPTED_DELIVERY")), NoReplyReason.SHIPMENT_PROBLEM),
        (
            replace(BASE_ORDER, created_at=datetime(1970, 1, 21, tzinfo=UTC)),
            NoReplyReason.IMPLAUSIBLE_DATA,
        ),
        (
            replace(BASE_ORDER, created_at=datetime(2027, 6, 1, tzinfo=UTC)),
            NoReplyReason.IMPLAUSIBLE_DATA,
        ),
        (replace(BASE_ORDER, number="#evil@attacker.com"), NoReplyReason.IMPLAUSIBLE_DATA),
        (replace(BASE_ORDER, number="#"), NoReplyReason.IMPLAUSIBLE_DATA),
        (shipped_order(tracked("1" * 3000)), NoReplyReason.IMPLAUSIBLE_DATA),
        (shipped_order(tracked("boss@evil.com")), NoReplyReason.IMPLAUSIBLE_DATA),
    ],
    ids=[
        "refunded",
        "voided",
        "on-hold",
        "restocked",
        "payment-pending",
        "payment-unknown",
        "shipment-cancelled",
        "shipment-failed",
        "not-delivered",
        "attempted-delivery",
        "date-1970",
        "date-in-future",
        "number-with-email",
        "number-empty",
        "tracking-too-long",
        "tracking-email",
    ],
)
def test_order_data_rules_out_reply(
    config: ShippingConfig, order: Order, reason: NoReplyReason
) -> None:
    assert plan_order_reply(order, now=NOW, language="en", config=config) is reason


def test_carrier_name_with_email_is_replaced(config: ShippingConfig) -> None:
    reply = plan(shipped_order(tracked(carrier="ops@carrier-help.com")), config)

    [shipment] = listed_shipments(reply)
    assert shipment["carrier"] == "the carrier"


def test_label_only_shipment_is_ready_to_ship(config: ShippingConfig) -> None:
    reply = plan(
        shipped_order(
            tracked(status="LABEL_PRINTED", shipped_at=datetime(2026, 12, 1, tzinfo=UTC))
        ),
        config,
    )

    assert reply.variables["order_status"] == "ready to ship"
    [shipment] = listed_shipments(reply)
    assert shipment["shipped_on"] == ""


def test_unknown_method_fresh_order_not_late(config: ShippingConfig) -> None:
    order = replace(BASE_ORDER, shipping_method="Carrier pigeon")

    reply = plan(order, config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.basis == "unknown_method"
    assert reply.variables["is_late"] is False


def test_window_starts_after_transit_time(config: ShippingConfig) -> None:
    # Ordered this Wednesday morning with standard shipping (3-5 business days): the window
    # runs from Monday Dec 7 to Wednesday Dec 9.
    order = replace(BASE_ORDER, created_at=datetime(2026, 12, 2, 13, 0, tzinfo=UTC))

    reply = plan(order, config)

    assert reply.template_id == ETA_TEMPLATE
    assert reply.variables["delivery_from"] == "December 7, 2026"
    assert reply.variables["delivery_by"] == "December 9, 2026"


def test_window_too_short_for_transit_is_late(config: ShippingConfig) -> None:
    # Ordered Friday Nov 27 (standard: by Friday Dec 4); not shipped on Wednesday, so even
    # the fastest standard delivery (3 business days) misses the window.
    order = replace(BASE_ORDER, created_at=datetime(2026, 11, 27, 15, 0, tzinfo=UTC))

    reply = plan(order, config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.variables["is_late"] is True


def test_one_day_window_has_no_start_date(config: ShippingConfig) -> None:
    # Overnight, ordered Wednesday Dec 2 at 09:00 in New York: the window is Thursday Dec 3
    # only, so there is no separate start date.
    order = replace(
        BASE_ORDER,
        created_at=datetime(2026, 12, 2, 14, 0, tzinfo=UTC),
        shipping_method="Overnight",
    )

    reply = plan(order, config)

    assert reply.template_id == ETA_TEMPLATE
    assert reply.variables["delivery_by"] == "December 3, 2026"
    assert reply.variables["delivery_from"] == ""


def test_far_preorder_eta_is_undated(config: ShippingConfig) -> None:
    order = replace(BASE_ORDER, tags=("pre-order", "eta:2099-01-01"))

    reply = plan(order, config)

    assert reply.template_id == DELAY_TEMPLATE
    assert reply.basis == "preorder_no_eta"
    assert reply.auto_close_eligible is False


@pytest.mark.parametrize("number", ["pending", "TBD", "see email", "0000000000", "no tracking"])
def test_placeholder_tracking_number_rules_out_reply(config: ShippingConfig, number: str) -> None:
    order = shipped_order(tracked(number))

    assert plan_order_reply(order, now=NOW, language="en", config=config) is (
        NoReplyReason.IMPLAUSIBLE_DATA
    )


@pytest.mark.parametrize(
    "shipment",
    [
        tracked(shipped_at=datetime(1969, 12, 31, tzinfo=UTC)),
        tracked(shipped_at=datetime(2098, 12, 31, tzinfo=UTC)),
        tracked(delivered_at=datetime(2026, 12, 20, tzinfo=UTC)),
        tracked(shipped_at=datetime(2026, 11, 1, tzinfo=UTC)),
    ],
    ids=["shipped-1969", "shipped-2098", "delivered-in-future", "shipped-before-order"],
)
def test_implausible_shipment_dates_rule_out_reply(
    config: ShippingConfig, shipment: Shipment
) -> None:
    order = shipped_order(shipment)

    assert plan_order_reply(order, now=NOW, language="en", config=config) is (
        NoReplyReason.IMPLAUSIBLE_DATA
    )


@pytest.mark.parametrize("carrier", ["Call 800 555 0199 now", "Other", "unknown", "X" * 40])
def test_unusable_carrier_names_become_generic(config: ShippingConfig, carrier: str) -> None:
    reply = plan(shipped_order(tracked("RM123456789GB", carrier)), config)

    assert listed_shipments(reply)[0]["carrier"] == "the carrier"


def test_delayed_shipment_goes_to_a_person(config: ShippingConfig) -> None:
    order = shipped_order(tracked(status="DELAYED"))

    assert plan_order_reply(order, now=NOW, language="en", config=config) is (
        NoReplyReason.SHIPMENT_PROBLEM
    )


def test_preorder_eta_today_is_late(config: ShippingConfig) -> None:
    # Wednesday: an ETA of Thursday leaves one business day, an ETA of today leaves none.
    tomorrow = replace(BASE_ORDER, tags=("pre-order", "eta:2026-12-03"))
    today = replace(BASE_ORDER, tags=("pre-order", "eta:2026-12-02"))

    promised = plan(tomorrow, config)
    late = plan(today, config)

    assert promised.template_id == ETA_TEMPLATE
    assert late.template_id == DELAY_TEMPLATE
    assert late.variables["is_preorder"] is False
    assert late.variables["is_late"] is True
