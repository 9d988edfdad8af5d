"""Richpanel order bodies: parsing into `Order`, and the linked-order source."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from richpanel_middleware.helpdesk.errors import (
    RichpanelNotFound,
    RichpanelServerError,
    RichpanelUnauthorized,
)
from richpanel_middleware.orders.model import Order, OrderSourceName, Shipment
from richpanel_middleware.orders.richpanel_orders import (
    OrderParseError,
    RichpanelOrderSource,
    parse_richpanel_order,
)

# 2026-11-30 14:00:00 UTC in epoch milliseconds.
CREATED_MS = 1796047200000
CREATED_AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
SOURCE_LOGGER = "richpanel_middleware.orders.richpanel_orders"


def order_body(**fields: Any) -> dict[str, Any]:
    """Build an order body shaped like ``GET /v1/order/{appClientId}/{orderId}``."""
    body: dict[str, Any] = {
        "orderId": "5012345678",
        "orderName": "#1001",
        "status": "open",
        "fulfillmentStatus": "unfulfilled",
        "financialStatus": "paid",
        "statusUrl": "https://shop.example/orders/abc/status",
        "createdAt": CREATED_MS,
        "shippingMethod": "Standard Shipping",
        "customer": {"email": "ana.lopez@example.com", "phone": "+13055550187"},
        "fulfillment": [],
    }
    body.update(fields)
    return body


def tracking_entry(number: str, company: str = "UPS", **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "trackingNumber": number,
        "trackingCompany": company,
        "trackingUrl": f"https://carrier.example/track/{number}",
        "shippingDate": "2026-12-01T09:30:00Z",
    }
    entry.update(fields)
    return entry


# --- timestamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "created",
    [
        CREATED_MS,
        str(CREATED_MS),
        float(CREATED_MS),
        "2026-11-30T14:00:00Z",
        "2026-11-30T09:00:00-05:00",
        "2026-11-30T14:00:00",
    ],
)
def test_created_at_forms(created: object) -> None:
    order = parse_richpanel_order(order_body(createdAt=created))

    assert order.created_at == CREATED_AT
    assert order.created_at.utcoffset() == timedelta(0)


# --- basic fields --------------------------------------------------------------------------------


def test_parse_full_body() -> None:
    order = parse_richpanel_order(
        order_body(
            fulfillmentStatus="partially fulfilled",
            tags="pre-order, eta:2027-01-15 ,",
        )
    )

    assert order.number == "#1001"
    assert order.source is OrderSourceName.RICHPANEL
    assert order.cancelled is False
    assert order.financial_status == "PAID"
    assert order.fulfillment_status == "PARTIALLY_FULFILLED"
    assert order.shipping_method == "Standard Shipping"
    assert order.status_url == "https://shop.example/orders/abc/status"
    assert order.tags == ("pre-order", "eta:2027-01-15")
    assert order.shipments == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [("#1001", "#1001"), ("1001", "#1001"), (1001, "#1001"), (" NW1001 ", "#NW1001")],
)
def test_order_name_gets_hash(name: object, expected: str) -> None:
    assert parse_richpanel_order(order_body(orderName=name)).number == expected


def test_name_field_as_fallback() -> None:
    body = order_body(name="#2002")
    del body["orderName"]

    assert parse_richpanel_order(body).number == "#2002"


def test_nested_order_object() -> None:
    order = parse_richpanel_order({"order": order_body(orderName="#3003")})

    assert order.number == "#3003"
    assert order.created_at == CREATED_AT


def test_tags_as_list() -> None:
    order = parse_richpanel_order(order_body(tags=[" vip ", "", 7, "preorder"]))

    assert order.tags == ("vip", "preorder")


# --- customer contact ----------------------------------------------------------------------------


def test_contact_under_customer() -> None:
    order = parse_richpanel_order(
        order_body(customer={"email": " ana.lopez@example.com ", "phone": "+13055550187"})
    )

    assert order.email == "ana.lopez@example.com"
    assert order.phone == "+13055550187"


def test_contact_at_top_level() -> None:
    body = order_body(email="ana.lopez@example.com", phone="(305) 555-0187")
    del body["customer"]

    order = parse_richpanel_order(body)

    assert order.email == "ana.lopez@example.com"
    assert order.phone == "(305) 555-0187"


def test_customer_contact_preferred() -> None:
    order = parse_richpanel_order(
        order_body(
            email="billing@example.com",
            phone="+12125550100",
            customer={"email": "ana.lopez@example.com", "phone": ""},
        )
    )

    assert order.email == "ana.lopez@example.com"
    assert order.phone == "+12125550100"


def test_missing_contact_is_none() -> None:
    body = order_body(customer="not an object")

    order = parse_richpanel_order(body)

    assert order.email is None
    assert order.phone is None


# --- fulfillments and tracking -------------------------------------------------------------------


def test_fulfillment_without_tracking() -> None:
    order = parse_richpanel_order(order_body(fulfillment=[{"status": "success", "tracking": []}]))

    assert order.shipments == (Shipment(status="success"),)
    assert not order.shipments[0].has_tracking


def test_fulfillment_with_one_tracking() -> None:
    order = parse_richpanel_order(
        order_body(fulfillment=[{"status": "success", "tracking": [tracking_entry("1Z999")]}])
    )

    assert order.shipments == (
        Shipment(
            status="success",
            carrier="UPS",
            tracking_number="1Z999",
            tracking_url="https://carrier.example/track/1Z999",
            shipped_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        ),
    )
    assert order.shipments[0].has_tracking


def test_fulfillment_with_two_tracking() -> None:
    fulfillment = {
        "status": "success",
        "deliveredAt": "2026-12-03T18:00:00Z",
        "tracking": [tracking_entry("1Z999"), tracking_entry("7712", "FedEx", shippingDate=None)],
    }

    order = parse_richpanel_order(order_body(fulfillment=[fulfillment]))

    assert [s.tracking_number for s in order.shipments] == ["1Z999", "7712"]
    assert [s.carrier for s in order.shipments] == ["UPS", "FedEx"]
    assert [s.status for s in order.shipments] == ["success", "success"]
    delivered = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
    assert [s.delivered_at for s in order.shipments] == [delivered, delivered]
    assert order.shipments[1].shipped_at is None


def test_several_fulfillments_flattened() -> None:
    fulfillments = [
        {"status": "success", "tracking": [tracking_entry("1Z999")]},
        {"status": "pending"},
    ]

    order = parse_richpanel_order(order_body(fulfillment=fulfillments))

    assert len(order.shipments) == 2
    assert order.shipments[0].tracking_number == "1Z999"
    assert order.shipments[1] == Shipment(status="pending")


def test_fulfillments_key_accepted() -> None:
    body = order_body(fulfillments=[{"status": "success", "tracking": [tracking_entry("1Z9")]}])
    del body["fulfillment"]

    order = parse_richpanel_order(body)

    assert [s.tracking_number for s in order.shipments] == ["1Z9"]


# --- cancellation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "cancelled"),
    [
        ({"cancelledAt": "2026-12-01T10:00:00Z"}, True),
        ({"cancelledAt": 1796140800000}, True),
        ({"cancelledAt": None}, False),
        ({"cancelledAt": ""}, False),
        ({"status": "cancelled"}, True),
        ({"status": "open"}, False),
    ],
)
def test_cancelled_flag(fields: dict[str, Any], cancelled: bool) -> None:
    assert parse_richpanel_order(order_body(**fields)).cancelled is cancelled


# --- unreadable bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "field"),
    [("orderName", "orderName"), ("createdAt", "createdAt")],
)
def test_missing_field_raises(missing: str, field: str) -> None:
    body = order_body()
    del body[missing]

    with pytest.raises(OrderParseError) as raised:
        parse_richpanel_order(body)

    assert field in str(raised.value)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"orderName": ""}, "orderName"),
        ({"orderName": "   "}, "orderName"),
        ({"orderName": {"id": 1001}}, "orderName"),
        ({"orderName": True}, "orderName"),
        ({"createdAt": None}, "createdAt"),
        ({"createdAt": True}, "createdAt"),
        ({"createdAt": "yesterday"}, "createdAt"),
        ({"createdAt": [2026, 11, 30]}, "createdAt"),
        ({"createdAt": {"ms": CREATED_MS}}, "createdAt"),
        ({"createdAt": 10**20}, "createdAt"),
        ({"fulfillment": "shipped"}, "fulfillment"),
        ({"fulfillment": ["shipped"]}, "fulfillment[0]"),
        ({"fulfillment": [{"tracking": "1Z999"}]}, "fulfillment[0].tracking"),
        ({"fulfillment": [{}, {"tracking": ["1Z999"]}]}, "fulfillment[1].tracking[0]"),
        ({"fulfillment": [{"deliveredAt": "soon"}]}, "fulfillment[0].deliveredAt"),
        (
            {"fulfillment": [{"tracking": [tracking_entry("1Z9", shippingDate="later")]}]},
            "fulfillment[0].tracking[0].shippingDate",
        ),
    ],
)
def test_wrong_type_raises(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(OrderParseError) as raised:
        parse_richpanel_order(order_body(**fields))

    assert f"`{field}`" in str(raised.value)


# --- RichpanelOrderSource ------------------------------------------------------------------------


class FakeRichpanelApi:
    """Returns a fixed link and order body, or raises the given errors, and records the calls."""

    def __init__(
        self,
        link: dict[str, Any],
        body: dict[str, Any] | None = None,
        *,
        link_error: Exception | None = None,
        order_error: Exception | None = None,
    ) -> None:
        self.link = link
        self.body = body if body is not None else order_body()
        self.link_error = link_error
        self.order_error = order_error
        self.link_calls: list[str] = []
        self.order_calls: list[tuple[str, str]] = []

    def get_linked_order(self, conversation_id: str) -> dict[str, Any]:
        self.link_calls.append(conversation_id)
        if self.link_error is not None:
            raise self.link_error
        return self.link

    def get_order(self, app_client_id: str, order_id: str) -> dict[str, Any]:
        self.order_calls.append((app_client_id, order_id))
        if self.order_error is not None:
            raise self.order_error
        return self.body


LINK = {"orderId": "5012345678", "appClientId": "shopify-app-7"}


def not_found(endpoint: str) -> RichpanelNotFound:
    return RichpanelNotFound("Richpanel returned 404", status_code=404, endpoint=endpoint)


def test_source_returns_linked_order() -> None:
    api = FakeRichpanelApi(LINK, order_body(orderName="#1001"))

    order = RichpanelOrderSource(api).linked_order("conv-42")

    assert isinstance(order, Order)
    assert order.number == "#1001"
    assert order.source is OrderSourceName.RICHPANEL
    assert api.link_calls == ["conv-42"]
    assert api.order_calls == [("shopify-app-7", "5012345678")]


def test_source_accepts_numeric_ids() -> None:
    api = FakeRichpanelApi({"orderId": 5012345678, "appClientId": "shopify-app-7"})

    order = RichpanelOrderSource(api).linked_order("conv-42")

    assert order is not None
    assert api.order_calls == [("shopify-app-7", "5012345678")]


@pytest.mark.parametrize(
    "link",
    [
        {},
        {"orderId": "5012345678"},
        {"appClientId": "shopify-app-7"},
        {"orderId": "", "appClientId": "shopify-app-7"},
        {"orderId": None, "appClientId": None},
    ],
)
def test_source_without_link(link: dict[str, Any]) -> None:
    api = FakeRichpanelApi(link)

    assert RichpanelOrderSource(api).linked_order("conv-42") is None
    assert api.order_calls == []


def test_source_link_not_found() -> None:
    api = FakeRichpanelApi(LINK, link_error=not_found("/v1/order/{id}"))

    assert RichpanelOrderSource(api).linked_order("conv-42") is None
    assert api.order_calls == []


def test_source_order_not_found() -> None:
    api = FakeRichpanelApi(LINK, order_error=not_found("/v1/order/{app_client_id}/{order_id}"))

    assert RichpanelOrderSource(api).linked_order("conv-42") is None
    assert api.order_calls == [("shopify-app-7", "5012345678")]


def test_source_unreadable_body(caplog: pytest.LogCaptureFixture) -> None:
    body = order_body()
    del body["createdAt"]
    api = FakeRichpanelApi(LINK, body)

    with caplog.at_level(logging.DEBUG, logger=SOURCE_LOGGER):
        order = RichpanelOrderSource(api).linked_order("conv-42")

    assert order is None
    records = [r for r in caplog.records if r.name == SOURCE_LOGGER]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert getattr(records[0], "event", None) == "linked_order_unreadable"
    assert "createdAt" in str(getattr(records[0], "detail", ""))


@pytest.mark.parametrize(
    ("link_error", "order_error"),
    [
        (RichpanelServerError("Richpanel returned 503", status_code=503), None),
        (RichpanelUnauthorized("Richpanel rejected the API key", status_code=401), None),
        (None, RichpanelServerError("Richpanel returned 502", status_code=502)),
    ],
)
def test_source_other_errors_propagate(
    link_error: Exception | None, order_error: Exception | None
) -> None:
    api = FakeRichpanelApi(LINK, link_error=link_error, order_error=order_error)
    expected = link_error or order_error
    assert expected is not None

    with pytest.raises(type(expected)):
        RichpanelOrderSource(api).linked_order("conv-42")


@pytest.mark.parametrize("created", [1_764_600_000, "1764600000"])
def test_epoch_seconds_read_as_seconds(created: object) -> None:
    order = parse_richpanel_order(order_body(createdAt=created))

    assert order.created_at == datetime.fromtimestamp(1_764_600_000, tz=UTC)


@pytest.mark.parametrize("status", ["canceled", "CANCELLED", "Cancelled"])
def test_cancelled_status_without_timestamp(status: str) -> None:
    order = parse_richpanel_order(order_body(status=status, cancelledAt=None))

    assert order.cancelled is True


@pytest.mark.parametrize("zero", [0, "0"])
def test_zero_delivered_at_means_not_delivered(zero: object) -> None:
    body = order_body(fulfillment=[{"status": "in_transit", "deliveredAt": zero, "tracking": []}])

    order = parse_richpanel_order(body)

    assert order.shipments[0].delivered_at is None
