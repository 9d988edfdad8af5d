"""The seed order model: validation, and conversion to Shopify nodes and Richpanel orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from richpanel_middleware.orders.model import OrderSourceName, Shipment
from richpanel_middleware.orders.shopify import parse_order_node
from richpanel_middleware.sandbox.seed_orders import SeedFulfillment, SeedOrder

SHOP = "sandbox-shop.myshopify.com"
CREATED = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
SHIPPED = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
DELIVERED = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
CREATED_MS = 1_777_629_600_000
SHIPPED_MS = 1_777_714_200_000
DELIVERED_MS = 1_777_906_800_000


def seed(**fields: Any) -> SeedOrder:
    values: dict[str, Any] = {"number": "#1001", "created_at": CREATED.isoformat()}
    values.update(fields)
    return SeedOrder.model_validate(values)


def full_seed() -> SeedOrder:
    return seed(
        email="jordan@mail.example.com",
        phone="+1 555 0100 4321",
        shipping_method="Express",
        financial_status="paid",
        fulfillment_status="partially_fulfilled",
        tags=["vip"],
        fulfillments=[
            {"status": "label_printed"},
            {
                "status": "delivered",
                "carrier": "UPS",
                "tracking_number": "1Z999",
                "tracking_url": "https://tracking.example/1Z999",
                "shipped_at": SHIPPED.isoformat(),
                "delivered_at": DELIVERED.isoformat(),
            },
        ],
    )


# Validation


@pytest.mark.parametrize("number", ["#1001", "1001", " #1001 ", "# 1001"])
def test_number_stored_with_hash(number: str) -> None:
    assert seed(number=number).number == "#1001"


@pytest.mark.parametrize("number", ["", "#", "A1001", "10-01", "#1001x"])
def test_invalid_number_rejected(number: str) -> None:
    with pytest.raises(ValidationError, match="number must be digits") as caught:
        seed(number=number)
    assert caught.value.errors()[0]["loc"] == ("number",)


def test_number_and_created_at_required() -> None:
    with pytest.raises(ValidationError) as caught:
        SeedOrder.model_validate({})
    missing = {error["loc"][0] for error in caught.value.errors()}
    assert missing == {"number", "created_at"}


def test_naive_created_at_is_utc() -> None:
    order = seed(created_at="2026-05-01T10:00:00")
    assert order.created_at == CREATED
    assert order.created_at.tzinfo is UTC


def test_created_at_with_offset_converted_to_utc() -> None:
    offset = timezone(timedelta(hours=2))
    order = seed(created_at=datetime(2026, 5, 1, 12, 0, tzinfo=offset).isoformat())
    assert order.created_at == CREATED
    assert order.created_at.utcoffset() == timedelta(0)


def test_naive_fulfillment_times_are_utc() -> None:
    fulfillment = SeedFulfillment.model_validate({"shipped_at": "2026-05-02T09:30:00"})
    assert fulfillment.shipped_at == SHIPPED


@pytest.mark.parametrize(
    "fields",
    [
        {"colour": "red"},
        {"fulfillments": [{"status": "in_transit", "weight_kg": 2}]},
    ],
)
def test_extra_fields_forbidden(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        seed(**fields)


def test_statuses_normalized_to_lower_case() -> None:
    order = seed(
        financial_status="PAID",
        fulfillment_status="Partially Fulfilled",
        fulfillments=[{"status": "In-Transit"}],
    )
    assert order.financial_status == "paid"
    assert order.fulfillment_status == "partially_fulfilled"
    assert order.fulfillments[0].status == "in_transit"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"financial_status": "settled"}, "unknown financial_status 'settled'"),
        ({"fulfillment_status": "shipped"}, "unknown fulfillment_status 'shipped'"),
        ({"fulfillments": [{"status": "lost"}]}, "unknown fulfillment status 'lost'"),
    ],
)
def test_unknown_status_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        seed(**fields)
    assert "expected one of" in str(caught.value)


def test_email_without_at_rejected_without_echo() -> None:
    with pytest.raises(ValidationError, match="email must contain '@'") as caught:
        seed(email="jordan.mail.example.com")
    assert "jordan.mail.example.com" not in caught.value.errors()[0]["msg"]


def test_tracking_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="tracking_url must start with http"):
        SeedFulfillment.model_validate({"tracking_url": "ups.example/1Z"})


def test_delivered_before_shipped_rejected() -> None:
    with pytest.raises(ValidationError, match="delivered_at must not be earlier than shipped_at"):
        SeedFulfillment.model_validate(
            {"shipped_at": DELIVERED.isoformat(), "delivered_at": SHIPPED.isoformat()}
        )


# Shopify node


def test_shopify_node_fields() -> None:
    node = full_seed().to_shopify_node(7, shop_domain=SHOP)

    assert node["id"] == "gid://shopify/Order/7"
    assert node["name"] == "#1001"
    assert node["email"] == "jordan@mail.example.com"
    assert node["phone"] == "+1 555 0100 4321"
    assert node["createdAt"] == "2026-05-01T10:00:00Z"
    assert node["cancelledAt"] is None
    assert node["displayFinancialStatus"] == "PAID"
    assert node["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert node["tags"] == ["vip"]
    assert node["shippingLines"] == {"nodes": [{"title": "Express"}]}


def test_shopify_node_fulfillments() -> None:
    untracked, tracked = full_seed().to_shopify_node(7, shop_domain=SHOP)["fulfillments"]

    assert untracked == {
        "status": "SUCCESS",
        "displayStatus": "LABEL_PRINTED",
        "createdAt": "2026-05-01T10:00:00Z",
        "deliveredAt": None,
        "estimatedDeliveryAt": None,
        "trackingInfo": [],
    }
    assert tracked["displayStatus"] == "DELIVERED"
    assert tracked["createdAt"] == "2026-05-02T09:30:00Z"
    assert tracked["deliveredAt"] == "2026-05-04T15:00:00Z"
    assert tracked["trackingInfo"] == [
        {"company": "UPS", "number": "1Z999", "url": "https://tracking.example/1Z999"}
    ]


def test_shopify_node_status_page_url() -> None:
    order = seed()
    first = order.to_shopify_node(7, shop_domain=SHOP)["statusPageUrl"]
    again = order.to_shopify_node(7, shop_domain=SHOP)["statusPageUrl"]
    other = order.to_shopify_node(8, shop_domain=SHOP)["statusPageUrl"]

    assert first.startswith(f"https://{SHOP}/orders/")
    assert len(first.rsplit("/", 1)[1]) == 32
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    ("fulfillments", "expected"),
    [([], "UNFULFILLED"), ([{"status": "in_transit"}], "FULFILLED")],
)
def test_shopify_node_derives_fulfillment_status(
    fulfillments: list[dict[str, Any]], expected: str
) -> None:
    node = seed(fulfillments=fulfillments).to_shopify_node(1, shop_domain=SHOP)
    assert node["displayFulfillmentStatus"] == expected


def test_shopify_node_cancelled_and_lifecycle_status() -> None:
    node = seed(cancelled=True, fulfillments=[{"status": "canceled"}]).to_shopify_node(
        1, shop_domain=SHOP
    )
    assert node["cancelledAt"] == "2026-05-01T10:00:00Z"
    assert node["fulfillments"][0]["status"] == "CANCELLED"
    assert node["shippingLines"] == {"nodes": []}


def test_shopify_node_lifecycle_status() -> None:
    node = seed(fulfillments=[{"status": "success"}]).to_shopify_node(1, shop_domain=SHOP)

    fulfillment = node["fulfillments"][0]
    assert fulfillment["status"] == "SUCCESS"
    assert fulfillment["displayStatus"] is None
    assert parse_order_node(node).shipments[0].status == "SUCCESS"


@pytest.mark.parametrize("domain", ["", "https://shop.example", "shop", "shop.example/admin"])
def test_shopify_node_rejects_invalid_domain(domain: str) -> None:
    with pytest.raises(ValueError, match="shop_domain"):
        seed().to_shopify_node(1, shop_domain=domain)


def test_shopify_node_rejects_order_id_below_one() -> None:
    with pytest.raises(ValueError, match="order_id"):
        seed().to_shopify_node(0, shop_domain=SHOP)


def test_shopify_node_parses_back_to_order() -> None:
    order = parse_order_node(full_seed().to_shopify_node(7, shop_domain=SHOP))

    assert order.number == "#1001"
    assert order.source is OrderSourceName.SHOPIFY
    assert order.created_at == CREATED
    assert order.financial_status == "PAID"
    assert order.shipping_method == "Express"
    assert order.shipments == (
        Shipment(status="LABEL_PRINTED", shipped_at=CREATED),
        Shipment(
            status="DELIVERED",
            carrier="UPS",
            tracking_number="1Z999",
            tracking_url="https://tracking.example/1Z999",
            shipped_at=SHIPPED,
            delivered_at=DELIVERED,
        ),
    )


# Richpanel order


def test_richpanel_order_fields() -> None:
    body = full_seed().to_richpanel_order("5001", status_url="https://status.example/5001")

    assert body["orderId"] == "5001"
    assert body["orderName"] == "#1001"
    assert body["status"] == "open"
    assert body["fulfillmentStatus"] == "partially_fulfilled"
    assert body["financialStatus"] == "paid"
    assert body["statusUrl"] == "https://status.example/5001"
    assert body["createdAt"] == CREATED_MS
    assert body["shippingMethod"] == "Express"
    assert body["cancelledAt"] is None
    assert body["tags"] == ["vip"]
    assert body["customer"] == {"email": "jordan@mail.example.com", "phone": "+1 555 0100 4321"}


def test_richpanel_order_fulfillments() -> None:
    untracked, tracked = full_seed().to_richpanel_order("5001")["fulfillment"]

    assert untracked == {"status": "label_printed", "tracking": [], "deliveredAt": None}
    assert tracked == {
        "status": "delivered",
        "tracking": [
            {
                "trackingNumber": "1Z999",
                "trackingCompany": "UPS",
                "trackingUrl": "https://tracking.example/1Z999",
                "shippingDate": SHIPPED_MS,
            }
        ],
        "deliveredAt": DELIVERED_MS,
    }


def test_richpanel_order_cancelled_and_defaults() -> None:
    body = seed(cancelled=True).to_richpanel_order("5002")

    assert body["status"] == "cancelled"
    assert body["cancelledAt"] == CREATED_MS
    assert body["fulfillmentStatus"] == "unfulfilled"
    assert body["financialStatus"] is None
    assert body["statusUrl"] is None
    assert body["customer"] == {"email": None, "phone": None}
    assert body["fulfillment"] == []


def test_epoch_milliseconds_keep_sub_second_precision() -> None:
    body = seed(created_at="2026-05-01T10:00:00.999999+00:00").to_richpanel_order("1")
    assert body["createdAt"] == CREATED_MS + 999
