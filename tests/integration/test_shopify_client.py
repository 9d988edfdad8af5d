"""Contract tests: ShopifyClient against the Shopify emulator over real HTTP on loopback.

The emulator runs once per module in a ServerThread and is reset before every test. Its
admin API (``/_sandbox/shopify/``) seeds orders, changes the config, injects faults and
lists the GraphQL requests received, which the tests use to see what arrived. A few
cases that the emulator cannot produce (near-match names, two tracking entries, every
vendor error shape) use an httpx.MockTransport posing as Shopify.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from richpanel_middleware.orders.model import OrderSourceName, Shipment
from richpanel_middleware.orders.shopify import (
    ORDERS_QUERY,
    ShopifyClient,
    ShopifyError,
    ShopifyInvalidResponse,
    ShopifyRequestRejected,
    ShopifyThrottled,
    ShopifyUnauthorized,
    ShopifyUnavailable,
)
from richpanel_middleware.pipeline.errors import (
    CredentialsError,
    PermanentError,
    RetryableError,
)
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.sandbox.shopify_app import create_shopify_sandbox
from richpanel_middleware.sandbox.shopify_state import (
    DEFAULT_SUPPORTED_VERSIONS,
    ShopifySandboxSettings,
)

TOKEN = "shpat_test_5e0c7b1d94a2"
EMAIL = "Jordan.Example@mail.example.com"
PHONE = "+1 555 0100 4321"
NOW = datetime.now(UTC)


@dataclass
class Emulator:
    server: ServerThread
    admin: httpx.Client

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def seed(self, number: str, *, days_ago: float = 1.0, **fields: Any) -> str:
        created = (NOW - timedelta(days=days_ago)).isoformat()
        response = self.admin.post(
            "/_sandbox/shopify/orders", json={"number": number, "created_at": created, **fields}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def faults(self, **body: Any) -> None:
        self.admin.post("/_sandbox/shopify/faults", json=body).raise_for_status()

    def config(self, **body: Any) -> None:
        self.admin.post("/_sandbox/shopify/config", json=body).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        return list(self.admin.get("/_sandbox/shopify/requests").json()["requests"])

    def outcomes(self) -> list[str]:
        return [entry["outcome"] for entry in self.requests()]

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, version: str = "2026-10"
    ) -> httpx.Response:
        return self.admin.post(
            f"/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": TOKEN},
        )


@dataclass
class RecordingSleep:
    """Records each wait. With `real=True` it also sleeps, so the emulator's bucket refills."""

    real: bool = False
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.real:
            time.sleep(seconds)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    app, _state = create_shopify_sandbox(ShopifySandboxSettings(access_token=TOKEN))
    with ServerThread(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as admin:
        yield Emulator(server, admin)


@pytest.fixture
def shop(emulator: Emulator) -> Emulator:
    emulator.admin.post("/_sandbox/shopify/reset").raise_for_status()
    return emulator


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_client(shop: Emulator, sleep: RecordingSleep) -> Iterator[Callable[..., ShopifyClient]]:
    clients: list[ShopifyClient] = []

    def make(**overrides: Any) -> ShopifyClient:
        options: dict[str, Any] = {
            "shop_url": shop.base_url,
            "access_token": TOKEN,
            "sleep": sleep,
            "max_wait_s": 5.0,
        }
        options.update(overrides)
        client = ShopifyClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], **overrides: Any
) -> ShopifyClient:
    options: dict[str, Any] = {
        "shop_url": "https://example.myshopify.com",
        "access_token": TOKEN,
        "transport": httpx.MockTransport(handler),
        "sleep": RecordingSleep(),
        "max_attempts": 1,
    }
    options.update(overrides)
    return ShopifyClient(**options)


def orders_body(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {"orders": {"nodes": list(nodes)}},
        "extensions": {
            "cost": {
                "requestedQueryCost": 52,
                "actualQueryCost": 52,
                "throttleStatus": {
                    "maximumAvailable": 1000.0,
                    "currentlyAvailable": 948,
                    "restoreRate": 50.0,
                },
            }
        },
    }


def order_node(name: str, **fields: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "name": name,
        "email": None,
        "phone": None,
        "createdAt": "2026-05-01T10:00:00Z",
        "cancelledAt": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "FULFILLED",
        "statusPageUrl": "https://example.myshopify.com/orders/abc",
        "tags": [],
        "shippingLines": {"nodes": []},
        "fulfillments": [],
    }
    node.update(fields)
    return node


# Lookups


@pytest.mark.parametrize("asked", ["#1001", "1001", " # 1001 "])
def test_number_lookup_matches_exact_name(
    shop: Emulator, make_client: Callable[..., ShopifyClient], asked: str
) -> None:
    shop.seed("#1001", email=EMAIL)
    shop.seed("#10010")
    shop.seed("#1002")

    orders = make_client().orders_by_number(asked)

    assert [order.number for order in orders] == ["#1001"]
    assert orders[0].source is OrderSourceName.SHOPIFY
    assert orders[0].email == EMAIL
    assert shop.requests()[0]["variables"] == {"query": "name:#1001", "first": 5}


def test_number_lookup_drops_near_matches() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=orders_body(order_node("#10010"), order_node("#1001")))

    with mock_client(handler) as client:
        orders = client.orders_by_number("1001")

    assert [order.number for order in orders] == ["#1001"]


def test_number_lookup_rejects_non_digits(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    with pytest.raises(ValueError, match="store prefix of up to 3 letters"):
        make_client().orders_by_number("#10A1")
    with pytest.raises(ValueError, match="store prefix of up to 3 letters"):
        make_client().orders_by_number("#XMAS2026")
    assert shop.requests() == []


def test_number_lookup_finds_nothing(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    shop.seed("#1001")
    assert make_client().orders_by_number("#2002") == []


def test_email_lookup_newest_first_ignoring_case(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    shop.seed("#1001", email=EMAIL, days_ago=30)
    shop.seed("#1003", email=EMAIL.lower(), days_ago=2)
    shop.seed("#1002", email=EMAIL.upper(), days_ago=10)
    shop.seed("#1004", email="someone.else@mail.example.com", days_ago=1)
    client = make_client()

    orders = client.orders_by_email(EMAIL.swapcase())
    limited = client.orders_by_email(EMAIL, limit=2)

    assert [order.number for order in orders] == ["#1003", "#1002", "#1001"]
    assert [order.number for order in limited] == ["#1003", "#1002"]
    assert shop.requests()[1]["variables"] == {"query": f'email:"{EMAIL}"', "first": 2}


def test_email_lookup_escapes_quotes(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    address = 'o"brien\\x@mail.example.com'
    shop.seed("#1001", email=address)

    orders = make_client().orders_by_email(address)

    assert [order.number for order in orders] == ["#1001"]
    sent = shop.requests()[0]["variables"]["query"]
    assert sent == 'email:"o\\"brien\\\\x@mail.example.com"'


def test_search_values_travel_only_in_variables() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json=orders_body())

    with mock_client(handler) as client:
        client.orders_by_email(EMAIL)
        client.orders_by_number("#1001")

    assert [body["query"] for body in bodies] == [ORDERS_QUERY, ORDERS_QUERY]
    assert all(EMAIL not in body["query"] and "1001" not in body["query"] for body in bodies)
    assert bodies[0]["variables"]["query"] == f'email:"{EMAIL}"'
    assert bodies[1]["variables"]["query"] == "name:#1001"


@pytest.mark.parametrize("email", ["", "   ", "not-an-address"])
def test_email_lookup_rejects_invalid_address(email: str) -> None:
    with mock_client(lambda request: httpx.Response(500)) as client, pytest.raises(ValueError):
        client.orders_by_email(email)


@pytest.mark.parametrize("limit", [0, 251])
def test_email_lookup_rejects_limit(limit: int) -> None:
    with (
        mock_client(lambda request: httpx.Response(500)) as client,
        pytest.raises(ValueError, match=str(limit)),
    ):
        client.orders_by_email(EMAIL, limit=limit)


# Parsing


def test_order_fields_parsed(shop: Emulator, make_client: Callable[..., ShopifyClient]) -> None:
    shop.seed(
        "#1001",
        email=EMAIL,
        phone=PHONE,
        days_ago=3,
        shipping_method="Express",
        financial_status="partially_refunded",
        fulfillment_status="partially_fulfilled",
        tags=["vip", "wholesale"],
    )

    (order,) = make_client().orders_by_number("#1001")

    assert order.phone == PHONE
    assert order.financial_status == "PARTIALLY_REFUNDED"
    assert order.fulfillment_status == "PARTIALLY_FULFILLED"
    assert order.shipping_method == "Express"
    assert order.tags == ("vip", "wholesale")
    assert order.status_url is not None
    assert order.status_url.startswith("https://sandbox-shop.myshopify.com/orders/")
    assert order.created_at.tzinfo is not None
    assert abs(order.created_at - (NOW - timedelta(days=3))) < timedelta(seconds=1)
    assert order.cancelled is False
    assert order.shipments == ()


def test_fulfillments_with_zero_and_one_tracking_entries(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    shipped = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
    delivered = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    shop.seed(
        "#1001",
        days_ago=1,
        fulfillments=[
            {"status": "label_printed"},
            {
                "status": "delivered",
                "carrier": "UPS",
                "tracking_number": "1Z999",
                "tracking_url": "https://tracking.example/1Z999",
                "shipped_at": shipped.isoformat(),
                "delivered_at": delivered.isoformat(),
            },
        ],
    )

    (order,) = make_client().orders_by_number("#1001")

    untracked, tracked = order.shipments
    assert untracked.status == "LABEL_PRINTED"
    assert untracked.has_tracking is False
    assert untracked.carrier is None
    assert tracked == Shipment(
        status="DELIVERED",
        carrier="UPS",
        tracking_number="1Z999",
        tracking_url="https://tracking.example/1Z999",
        shipped_at=shipped,
        delivered_at=delivered,
    )


def test_fulfillment_with_two_tracking_entries() -> None:
    fulfillment = {
        "status": "SUCCESS",
        "displayStatus": None,
        "createdAt": "2026-05-02T09:30:00",
        "deliveredAt": None,
        "estimatedDeliveryAt": None,
        "trackingInfo": [
            {"company": "UPS", "number": "1Z1", "url": None},
            {"company": "DHL", "number": "JD2", "url": "https://tracking.example/JD2"},
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=orders_body(order_node("#1001", fulfillments=[fulfillment]))
        )

    with mock_client(handler) as client:
        (order,) = client.orders_by_number("#1001")

    first, second = order.shipments
    assert (first.carrier, first.tracking_number, first.tracking_url) == ("UPS", "1Z1", None)
    assert (second.carrier, second.tracking_number) == ("DHL", "JD2")
    # `status` replaces a null `displayStatus`, and a time without an offset is UTC.
    assert first.status == second.status == "SUCCESS"
    assert first.shipped_at == datetime(2026, 5, 2, 9, 30, tzinfo=UTC)


def test_cancelled_order(shop: Emulator, make_client: Callable[..., ShopifyClient]) -> None:
    shop.seed("#1001", cancelled=True)
    shop.seed("#1002")
    client = make_client()

    assert client.orders_by_number("#1001")[0].cancelled is True
    assert client.orders_by_number("#1002")[0].cancelled is False


def test_unparseable_node_is_invalid_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=orders_body(order_node("#1001", createdAt="yesterday")))

    with mock_client(handler) as client, pytest.raises(ShopifyInvalidResponse, match="createdAt"):
        client.orders_by_number("#1001")


# Credentials


def test_wrong_token_is_unauthorized_without_retry(
    shop: Emulator, make_client: Callable[..., ShopifyClient], sleep: RecordingSleep
) -> None:
    wrong_token = "shpat_wrong_0000"
    client = make_client(access_token=wrong_token)

    with pytest.raises(ShopifyUnauthorized) as caught:
        client.orders_by_number("#1001")

    assert isinstance(caught.value, CredentialsError)
    assert caught.value.status_code == 401
    assert wrong_token not in str(caught.value)
    requests = shop.requests()
    assert len(requests) == 1
    assert requests[0]["token_valid"] is False
    assert sleep.waits == []


def test_request_log_omits_tokens(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    other_token = "shpat_other_1111"
    make_client().orders_by_number("#1001")
    with pytest.raises(ShopifyUnauthorized):
        make_client(access_token=other_token).orders_by_number("#1001")

    requests = shop.requests()
    assert [entry["token_valid"] for entry in requests] == [True, False]
    assert TOKEN not in json.dumps(requests)
    assert other_token not in json.dumps(requests)


# Throttling


def test_throttled_then_success(
    shop: Emulator, make_client: Callable[..., ShopifyClient], sleep: RecordingSleep
) -> None:
    shop.seed("#1001")
    shop.faults(throttle_next=1)

    orders = make_client().orders_by_number("#1001")

    assert [order.number for order in orders] == ["#1001"]
    assert shop.outcomes() == ["throttled", "ok"]
    assert len(sleep.waits) == 1
    assert 0 < sleep.waits[0] <= 5.0


def test_persistent_throttling_raises_after_max_attempts(
    shop: Emulator, make_client: Callable[..., ShopifyClient], sleep: RecordingSleep
) -> None:
    shop.faults(throttle_next=10)
    client = make_client(max_attempts=3, max_wait_s=0.4)

    with pytest.raises(ShopifyThrottled) as caught:
        client.orders_by_number("#1001")

    assert isinstance(caught.value, RetryableError)
    assert caught.value.error_code == "THROTTLED"
    assert "attempt 3 of 3" in str(caught.value)
    assert shop.outcomes() == ["throttled"] * 3
    assert len(sleep.waits) == 2
    assert all(0 < wait <= 0.4 for wait in sleep.waits)


def test_waits_for_bucket_before_expensive_call(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    # A 60-point bucket refilling at 20 points/s: after one 32-point lookup, 28 remain,
    # so the second lookup must wait about (32 - 28) / 20 = 0.2 s.
    shop.config(maximum_available=60, restore_rate=20)
    real_sleep = RecordingSleep(real=True)
    client = make_client(sleep=real_sleep)

    client.orders_by_number("#1001")
    client.orders_by_number("#1001")

    assert shop.outcomes() == ["ok", "ok"]
    assert len(real_sleep.waits) == 1
    assert 0.05 < real_sleep.waits[0] <= 0.25
    status = client.throttle_status
    assert status is not None
    assert status.maximum_available == 60
    assert status.restore_rate == 20


def test_bucket_throttles_a_call_over_budget(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    shop.config(maximum_available=60, restore_rate=1)
    client = make_client(max_attempts=1, max_wait_s=0)

    client.orders_by_number("#1001")
    with pytest.raises(ShopifyThrottled) as caught:
        client.orders_by_number("#1001")

    assert caught.value.retry_after_s is not None
    assert caught.value.retry_after_s > 3
    assert shop.outcomes() == ["ok", "throttled"]


def test_cost_block_is_remembered(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    client = make_client()
    assert client.throttle_status is None

    client.orders_by_number("#1001")

    status = client.throttle_status
    assert status is not None
    assert status.maximum_available == 1000
    assert 968 <= status.currently_available < 1000
    assert shop.requests()[0]["requested_cost"] == 32


def test_query_over_max_cost_is_rejected(
    shop: Emulator, make_client: Callable[..., ShopifyClient], sleep: RecordingSleep
) -> None:
    with pytest.raises(ShopifyInvalidResponse) as caught:
        make_client().orders_by_email(EMAIL, limit=250)

    assert caught.value.error_code == "MAX_COST_EXCEEDED"
    assert isinstance(caught.value, PermanentError)
    assert shop.outcomes() == ["max_cost_exceeded"]
    assert sleep.waits == []


def test_http_429_honours_retry_after(
    shop: Emulator, make_client: Callable[..., ShopifyClient], sleep: RecordingSleep
) -> None:
    shop.seed("#1001")
    shop.faults(http_429_next={"count": 1, "retry_after_s": 2})

    orders = make_client().orders_by_number("#1001")

    assert [order.number for order in orders] == ["#1001"]
    assert sleep.waits == [2.0]
    assert shop.outcomes() == ["injected_429", "ok"]


def test_retry_after_is_capped_by_max_wait(
    shop: Emulator, make_client: Callable[..., ShopifyClient], sleep: RecordingSleep
) -> None:
    shop.faults(http_429_next={"count": 1, "retry_after_s": 30})

    make_client(max_wait_s=1.5).orders_by_number("#1001")

    assert sleep.waits == [1.5]


# Availability


def test_503_retried_then_success(
    shop: Emulator, make_client: Callable[..., ShopifyClient], sleep: RecordingSleep
) -> None:
    shop.seed("#1001")
    shop.faults(fail_next={"status": 503, "count": 2})

    orders = make_client(max_wait_s=1.0).orders_by_number("#1001")

    assert [order.number for order in orders] == ["#1001"]
    assert shop.outcomes() == ["injected_503", "injected_503", "ok"]
    assert len(sleep.waits) == 2
    assert all(0 < wait <= 1.0 for wait in sleep.waits)


def test_5xx_on_every_attempt_is_unavailable(
    shop: Emulator, make_client: Callable[..., ShopifyClient]
) -> None:
    shop.faults(fail_next={"status": 502, "count": 5})

    with pytest.raises(ShopifyUnavailable) as caught:
        make_client(max_attempts=2).orders_by_number("#1001")

    assert caught.value.status_code == 502
    assert isinstance(caught.value, RetryableError)
    assert len(shop.requests()) == 2


def test_timeout_is_unavailable(shop: Emulator, make_client: Callable[..., ShopifyClient]) -> None:
    shop.faults(latency_ms=500)

    with pytest.raises(ShopifyUnavailable, match="timed out") as caught:
        make_client(timeout_s=0.1, max_attempts=2).orders_by_number("#1001")

    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    assert caught.value.status_code is None
    # The emulator logs each request when its delay ends; wait so the next test starts clean.
    deadline = time.monotonic() + 5
    while len(shop.requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(shop.requests()) == 2


# Versions and visibility


def test_version_fall_forward_warned_once(
    shop: Emulator, make_client: Callable[..., ShopifyClient], caplog: pytest.LogCaptureFixture
) -> None:
    oldest = min(DEFAULT_SUPPORTED_VERSIONS)
    client = make_client(api_version="2024-01")

    with caplog.at_level(logging.INFO, logger="richpanel_middleware.orders.shopify"):
        client.orders_by_number("#1001")
        client.orders_by_number("#1001")

    mismatches = [
        r for r in caplog.records if getattr(r, "event", None) == "shopify_api_version_mismatch"
    ]
    assert len(mismatches) == 1
    assert mismatches[0].levelno == logging.WARNING
    assert "2024-01" in mismatches[0].getMessage()
    assert oldest in mismatches[0].getMessage()
    assert [entry["version_served"] for entry in shop.requests()] == [oldest, oldest]


def test_supported_version_is_served_without_warning(
    shop: Emulator, make_client: Callable[..., ShopifyClient], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="richpanel_middleware.orders.shopify"):
        make_client().orders_by_number("#1001")

    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert shop.requests()[0]["version_served"] == "2026-10"


def test_sixty_day_visibility(shop: Emulator, make_client: Callable[..., ShopifyClient]) -> None:
    pinned = datetime(2026, 6, 30, tzinfo=UTC)
    shop.config(now=pinned.isoformat())
    for number, created in [
        ("#1001", pinned - timedelta(days=59)),
        ("#1002", pinned - timedelta(days=61)),
    ]:
        response = shop.admin.post(
            "/_sandbox/shopify/orders",
            json={"number": number, "email": EMAIL, "created_at": created.isoformat()},
        )
        assert response.status_code == 201
    client = make_client()

    assert [order.number for order in client.orders_by_email(EMAIL)] == ["#1001"]
    assert client.orders_by_number("#1002") == []

    shop.config(read_all_orders=True)

    assert [order.number for order in client.orders_by_email(EMAIL)] == ["#1001", "#1002"]
    assert [order.number for order in client.orders_by_number("#1002")] == ["#1002"]


# The emulator's schema


def test_unknown_field_is_rejected(shop: Emulator) -> None:
    response = shop.graphql("{ orders(first: 1) { nodes { name totalPriceSet } } }")

    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert "Cannot query field 'totalPriceSet' on type 'Order'" in body["errors"][0]["message"]
    assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 1000
    assert response.headers["X-Shopify-API-Version"] == "2026-10"


def test_connection_requires_first(shop: Emulator) -> None:
    body = shop.graphql("{ orders { nodes { name } } }").json()

    assert body["data"] is None
    assert "first" in body["errors"][0]["message"]


def test_default_order_is_oldest_first(shop: Emulator) -> None:
    shop.seed("#1002", days_ago=1)
    shop.seed("#1001", days_ago=5)

    body = shop.graphql("{ orders(first: 5) { edges { node { name } } } }").json()

    names = [edge["node"]["name"] for edge in body["data"]["orders"]["edges"]]
    assert names == ["#1001", "#1002"]


def test_order_by_id(shop: Emulator) -> None:
    recent = shop.seed("#1001", days_ago=1)
    old = shop.seed("#1002", days_ago=90)
    query = "query One($id: ID!) { order(id: $id) { name displayFulfillmentStatus } }"

    found = shop.graphql(query, {"id": recent}).json()["data"]["order"]
    hidden = shop.graphql(query, {"id": old}).json()["data"]["order"]

    assert found == {"name": "#1001", "displayFulfillmentStatus": "UNFULFILLED"}
    assert hidden is None


def test_missing_token_gets_shopify_401_body(shop: Emulator) -> None:
    response = shop.admin.post(
        "/admin/api/2026-10/graphql.json", json={"query": "{ orders(first: 1) { nodes { name } } }"}
    )

    assert response.status_code == 401
    assert "Invalid API key or access token" in response.json()["errors"]
    assert response.headers["X-Shopify-API-Version"] == "2026-10"


# Admin API validation


def test_admin_rejects_invalid_seed(shop: Emulator) -> None:
    response = shop.admin.post(
        "/_sandbox/shopify/orders",
        json={"number": "ABC", "created_at": NOW.isoformat(), "colour": "red"},
    )

    assert response.status_code == 400
    message = response.json()["error"]
    assert "number" in message
    assert "colour" in message


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/_sandbox/shopify/faults", {"throttle_later": 1}, "unknown fault keys"),
        ("/_sandbox/shopify/faults", {"fail_next": {"status": 200}}, "fail_next.status"),
        ("/_sandbox/shopify/faults", {"latency_ms": -1}, "latency_ms"),
        ("/_sandbox/shopify/config", {"supported_versions": ["2026-13"]}, "2026-13"),
        ("/_sandbox/shopify/config", {"now": "soon"}, "now"),
        ("/_sandbox/shopify/config", {"restore_rate": 0}, "restore_rate"),
    ],
)
def test_admin_rejects_invalid_settings(
    shop: Emulator, path: str, body: dict[str, Any], expected: str
) -> None:
    response = shop.admin.post(path, json=body)

    assert response.status_code == 400
    assert expected in response.json()["error"]


# Error mapping with a fake Shopify


@pytest.mark.parametrize(
    ("response", "expected", "split"),
    [
        (
            httpx.Response(401, json={"errors": "[API] Invalid API key"}),
            ShopifyUnauthorized,
            CredentialsError,
        ),
        (httpx.Response(403, json={"errors": "Forbidden"}), ShopifyUnauthorized, CredentialsError),
        (httpx.Response(429, headers={"Retry-After": "1"}), ShopifyThrottled, RetryableError),
        (httpx.Response(500), ShopifyUnavailable, RetryableError),
        (httpx.Response(503, text="<html>down</html>"), ShopifyUnavailable, RetryableError),
        (
            httpx.Response(400, json={"errors": {"query": "missing"}}),
            ShopifyRequestRejected,
            PermanentError,
        ),
        (
            httpx.Response(402, json={"errors": "Unavailable Shop"}),
            ShopifyRequestRejected,
            PermanentError,
        ),
        (httpx.Response(404, json={"errors": "Not Found"}), ShopifyRequestRejected, PermanentError),
        (httpx.Response(423, json={"errors": "Locked"}), ShopifyRequestRejected, PermanentError),
        (
            httpx.Response(301, headers={"Location": "https://x"}),
            ShopifyRequestRejected,
            PermanentError,
        ),
        (httpx.Response(200, text="not json"), ShopifyInvalidResponse, PermanentError),
        (httpx.Response(200, json=[1, 2]), ShopifyInvalidResponse, PermanentError),
        (httpx.Response(200, json={"data": None}), ShopifyInvalidResponse, PermanentError),
        (
            httpx.Response(200, json={"data": {"orders": {}}}),
            ShopifyInvalidResponse,
            PermanentError,
        ),
    ],
)
def test_status_mapping(
    response: httpx.Response, expected: type[ShopifyError], split: type[Exception]
) -> None:
    with mock_client(lambda request: response) as client, pytest.raises(expected) as caught:
        client.orders_by_number("#1001")

    assert type(caught.value) is expected
    assert isinstance(caught.value, split)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("THROTTLED", ShopifyThrottled),
        ("ACCESS_DENIED", ShopifyUnauthorized),
        ("INTERNAL_SERVER_ERROR", ShopifyUnavailable),
        ("MAX_COST_EXCEEDED", ShopifyInvalidResponse),
        ("undefinedField", ShopifyInvalidResponse),
        (None, ShopifyInvalidResponse),
    ],
)
def test_graphql_error_mapping(code: str | None, expected: type[ShopifyError]) -> None:
    error: dict[str, Any] = {"message": f"failed for {EMAIL}"}
    if code is not None:
        error["extensions"] = {"code": code}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"errors": [error]})

    with mock_client(handler) as client, pytest.raises(expected) as caught:
        client.orders_by_email(EMAIL)

    assert type(caught.value) is expected
    assert caught.value.error_code == code
    assert EMAIL not in str(caught.value)


def test_connection_error_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with mock_client(handler, max_attempts=2) as client, pytest.raises(ShopifyUnavailable):
        client.orders_by_number("#1001")


# Construction


@pytest.mark.parametrize("version", ["2026-13", "latest", "2026-1", "unstable", ""])
def test_invalid_api_version_rejected(version: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM") as caught:
        ShopifyClient(
            shop_url="https://example.myshopify.com", access_token=TOKEN, api_version=version
        )
    assert repr(version) in str(caught.value)


@pytest.mark.parametrize(
    "shop_url",
    [
        "example.myshopify.com",
        "ftp://example.myshopify.com",
        "https://example.myshopify.com/admin",
        "",
    ],
)
def test_invalid_shop_url_rejected(shop_url: str) -> None:
    with pytest.raises(ValueError, match="shop_url"):
        ShopifyClient(shop_url=shop_url, access_token=TOKEN)


def test_empty_token_rejected() -> None:
    with pytest.raises(ValueError, match="access_token"):
        ShopifyClient(shop_url="https://example.myshopify.com", access_token="")


def test_repr_hides_token() -> None:
    with ShopifyClient(shop_url="https://example.myshopify.com/", access_token=TOKEN) as client:
        text = repr(client)

    assert TOKEN not in text
    assert "https://example.myshopify.com" in text


# Logs


def test_logs_never_contain_token_email_or_phone(
    shop: Emulator, make_client: Callable[..., ShopifyClient], caplog: pytest.LogCaptureFixture
) -> None:
    shop.seed("#1001", email=EMAIL, phone=PHONE)
    client = make_client(api_version="2024-01", max_attempts=3)
    raised: list[str] = []

    with caplog.at_level(logging.DEBUG):
        client.orders_by_number("#1001")
        client.orders_by_email(EMAIL)
        shop.faults(throttle_next=1, fail_next={"status": 503, "count": 1})
        client.orders_by_email(EMAIL)
        shop.faults(throttle_next=5)
        with pytest.raises(ShopifyThrottled) as throttled:
            client.orders_by_email(EMAIL)
        raised.append(str(throttled.value))
        with pytest.raises(ShopifyInvalidResponse) as too_costly:
            client.orders_by_email(EMAIL, limit=250)
        raised.append(str(too_costly.value))
        with pytest.raises(ShopifyUnauthorized) as unauthorized:
            make_client(access_token=TOKEN + "x").orders_by_email(EMAIL)
        raised.append(str(unauthorized.value))

    events = {getattr(record, "event", None) for record in caplog.records}
    assert {"shopify_call", "shopify_retry", "shopify_api_version_mismatch"} <= events
    for record in caplog.records:
        text = record.getMessage() + " " + repr(vars(record))
        for secret in (TOKEN, EMAIL, EMAIL.lower(), PHONE):
            assert secret not in text, f"{secret!r} in log record {record.getMessage()!r}"
    for message in raised:
        for secret in (TOKEN, EMAIL, EMAIL.lower(), PHONE):
            assert secret not in message
