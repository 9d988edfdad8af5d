"""Shopify Admin GraphQL client for order lookups, implementing the `OrderSearch` port.

Search values travel only in GraphQL variables, never in the query document. The client
reads names, contacts, statuses, shipping method, tags and fulfillments, and never
addresses, line items or prices.

Shopify meters each app with a leaky bucket of query cost points. Every response reports
the bucket in `extensions.cost.throttleStatus`, and the client waits before a call whose
expected cost exceeds the points the bucket contains now. Throttling arrives as HTTP 200
with a ``THROTTLED`` error, or sometimes as HTTP 429 with Retry-After. Throttling, 5xx,
timeouts and connection failures are retried up to `max_attempts`, and no single wait
exceeds `max_wait_s`.

Errors::

    ShopifyError (PipelineError)
    ├── ShopifyUnauthorized      401, 403 or ACCESS_DENIED (CredentialsError), never retried
    ├── ShopifyThrottled         still throttled after max_attempts (RetryableError)
    ├── ShopifyUnavailable       5xx, INTERNAL_SERVER_ERROR, timeout or connection failure
    │                            after max_attempts (RetryableError)
    ├── ShopifyRequestRejected   any other non-200 status, such as 400, 402 (frozen shop),
    │                            404 (unknown shop or path) or 423 (locked shop) (PermanentError)
    └── ShopifyInvalidResponse   a body that is not the expected JSON, or a GraphQL error
                                 that is not one of the above (PermanentError)

Messages and log lines never contain the access token, e-mail addresses or phone numbers.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, TypeGuard

import httpx

from richpanel_middleware.helpdesk.richpanel import parse_retry_after
from richpanel_middleware.orders.model import (
    Order,
    OrderSourceName,
    Shipment,
    normalize_order_number,
)
from richpanel_middleware.pipeline.errors import (
    CredentialsError,
    PermanentError,
    PipelineError,
    RetryableError,
)

__all__ = [
    "DEFAULT_API_VERSION",
    "ShopifyClient",
    "ShopifyError",
    "ShopifyInvalidResponse",
    "ShopifyRequestRejected",
    "ShopifyThrottled",
    "ShopifyUnauthorized",
    "ShopifyUnavailable",
    "ThrottleStatus",
    "parse_order_node",
    "parse_shopify_datetime",
    "quote_search_value",
]

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]

DEFAULT_API_VERSION: Final = "2026-10"
ACCESS_TOKEN_HEADER: Final = "X-Shopify-Access-Token"
API_VERSION_HEADER: Final = "X-Shopify-API-Version"
# Orders fetched per number lookup. Names are unique in most shops, so a few leave room
# for near matches that the exact-name filter drops.
NUMBER_LOOKUP_LIMIT: Final = 5
# Order names the number lookup accepts, compared case-folded: a short store prefix, digits.
_ORDER_NAME: Final = re.compile(r"[a-z]{0,3}[0-9]{1,12}")
# Shopify's maximum page size for connections.
MAX_PAGE_SIZE: Final = 250
# Expected cost of a query the client has not sent yet. An estimate: the lookup query
# costs 32 points at 5 orders in the emulator's formula (one shipping line per order).
DEFAULT_EXPECTED_QUERY_COST: Final = 40.0
BACKOFF_BASE_S: Final = 0.5
# Maximum length of a vendor error text copied into an exception message.
MAX_ERROR_TEXT_CHARS: Final = 200

_API_VERSION: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_EMAIL_LIKE: Final = re.compile(r"[^\s@\"']+@[^\s@\"']+")

# One query for both lookups. `sortKey: CREATED_AT, reverse: true` returns newest first,
# because Shopify's default is oldest first by processing time.
ORDERS_OPERATION: Final = "OrderLookup"
ORDERS_QUERY: Final = """
query OrderLookup($query: String!, $first: Int!) {
  orders(first: $first, query: $query, sortKey: CREATED_AT, reverse: true) {
    nodes {
      name
      email
      phone
      createdAt
      cancelledAt
      displayFinancialStatus
      displayFulfillmentStatus
      statusPageUrl
      tags
      shippingLines(first: 1) { nodes { title } }
      fulfillments {
        status
        displayStatus
        createdAt
        deliveredAt
        estimatedDeliveryAt
        trackingInfo { company number url }
      }
    }
  }
}
"""


# Errors


class ShopifyError(PipelineError):
    """A Shopify Admin API call failed.

    `status_code` is the HTTP status when a response arrived, and `error_code` the
    GraphQL `extensions.code` of the first error, such as ``THROTTLED``.
    """

    def __init__(
        self, message: str, *, status_code: int | None = None, error_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code


class ShopifyUnauthorized(ShopifyError, CredentialsError):
    """Shopify rejected the access token, or the token lacks a needed access scope."""


class ShopifyThrottled(ShopifyError, RetryableError):
    """Shopify throttled the call on every attempt.

    `retry_after_s` is the last wait Shopify asked for (Retry-After), or the time the
    bucket needed to refill to the query's cost, when either was known.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        status_code: int | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, error_code=error_code)
        self.retry_after_s = retry_after_s


class ShopifyUnavailable(ShopifyError, RetryableError):
    """Shopify failed with 5xx, timed out or could not be reached on every attempt."""


class ShopifyRequestRejected(ShopifyError, PermanentError):
    """Shopify rejected the request with a status that retrying will not change."""


class ShopifyInvalidResponse(ShopifyError, PermanentError):
    """Shopify returned a body that is not the expected JSON, or a GraphQL error."""


# Throttle bookkeeping


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """The cost bucket as last reported, with the `time.monotonic()` of that response."""

    maximum_available: float
    currently_available: float
    restore_rate: float
    observed_at: float

    def available_at(self, moment: float) -> float:
        """Estimate the points available at `moment`, refilled since the report."""
        refilled = self.restore_rate * max(0.0, moment - self.observed_at)
        return min(self.maximum_available, self.currently_available + refilled)


class ShopifyClient:
    """Synchronous Shopify Admin GraphQL client for order lookups, safe to share between threads.

    `max_attempts` counts the first attempt. `max_wait_s` caps every wait: the wait for
    the bucket, a Retry-After and a backoff. `sleep` and `transport` are meant for tests.
    Close the client, or use it as a context manager, to release its connection pool.
    """

    def __init__(
        self,
        *,
        shop_url: str,
        access_token: str,
        api_version: str = DEFAULT_API_VERSION,
        timeout_s: float = 10.0,
        max_attempts: int = 4,
        max_wait_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not access_token:
            raise ValueError("access_token must not be empty. Pass the Admin API access token.")
        if not _API_VERSION.fullmatch(api_version):
            raise ValueError(
                f"api_version must be a Shopify API version in the YYYY-MM format, such as "
                f"{DEFAULT_API_VERSION!r}, got {api_version!r}"
            )
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if max_wait_s < 0:
            raise ValueError(f"max_wait_s must not be negative, got {max_wait_s}")

        self._shop_url = _checked_shop_url(shop_url)
        self._access_token = access_token
        self._api_version = api_version
        self._path = f"/admin/api/{api_version}/graphql.json"
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._random = random.Random()
        self._lock = threading.Lock()
        self._throttle_status: ThrottleStatus | None = None
        self._expected_costs: dict[str, float] = {}
        self._version_warned = False
        self._http = httpx.Client(
            base_url=self._shop_url,
            headers={ACCESS_TOKEN_HEADER: access_token, "accept": "application/json"},
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )

    def __repr__(self) -> str:
        return (
            f"ShopifyClient(shop_url={self._shop_url!r}, api_version={self._api_version!r}, "
            "access_token='***')"
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def throttle_status(self) -> ThrottleStatus | None:
        """The cost bucket from the last response that reported one, or None before that."""
        with self._lock:
            return self._throttle_status

    # Lookups

    def orders_by_number(self, number: str) -> list[Order]:
        """Return the orders whose name equals `number`, newest first.

        `number` may carry a leading ``#``. Shopify's name search may return near matches,
        so only orders whose name equals `number` under `normalize_order_number` are kept.
        Raises ValueError when `number` is not digits after an optional short store prefix
        (``#1001``, ``#NW1001``), and ShopifyError subclasses. The message does not echo
        the value, which comes from customer text.
        """
        wanted = normalize_order_number(number)
        if not _ORDER_NAME.fullmatch(wanted):
            raise ValueError(
                "order number must be digits after an optional store prefix of up to 3 "
                "letters, such as '#1001' or '#NW1001'"
            )
        variables = {"query": f"name:#{wanted.upper()}", "first": NUMBER_LOOKUP_LIMIT}
        orders = self._lookup("orders_by_number", variables, redact=())
        return [order for order in orders if normalize_order_number(order.number) == wanted]

    def orders_by_email(self, email: str, *, limit: int = 5) -> list[Order]:
        """Return up to `limit` orders whose e-mail equals `email` ignoring case, newest first.

        Raises ValueError for an address without ``@`` or a `limit` outside 1 to 250, and
        ShopifyError subclasses.
        """
        address = email.strip()
        if "@" not in address:
            # The value is not echoed, because it may be a customer's contact.
            raise ValueError("email must be an e-mail address containing '@'")
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        variables = {"query": f"email:{quote_search_value(address)}", "first": limit}
        orders = self._lookup("orders_by_email", variables, redact=(address, email))
        expected_email = address.casefold()
        return [
            order for order in orders if (order.email or "").strip().casefold() == expected_email
        ]

    def _lookup(
        self, operation: str, variables: Mapping[str, object], *, redact: Sequence[str]
    ) -> list[Order]:
        data = self._query(operation, variables, redact=redact)
        connection = data.get("orders")
        nodes = connection.get("nodes") if isinstance(connection, dict) else None
        if not isinstance(nodes, list):
            raise ShopifyInvalidResponse(
                f"Shopify {operation} returned no `orders.nodes` list", status_code=200
            )
        try:
            return [parse_order_node(node) for node in nodes]
        except ValueError as exc:
            raise ShopifyInvalidResponse(
                f"Shopify {operation} returned an order that cannot be parsed: {exc}",
                status_code=200,
            ) from exc

    # Request machinery

    def _query(
        self, operation: str, variables: Mapping[str, object], *, redact: Sequence[str]
    ) -> JsonObject:
        """Send the lookup query with retries and return its `data` object.

        Raises the last ShopifyThrottled or ShopifyUnavailable once `max_attempts` are
        used up, and any other ShopifyError at once.
        """
        cost_key = f"{operation}:{variables.get('first')}"
        attempt = 1
        while True:
            self._wait_for_budget(operation, cost_key)
            started = time.perf_counter()
            try:
                data, status = self._send_once(operation, variables, cost_key, attempt, redact)
            except ShopifyError as error:
                self._log_call(operation, attempt, started, error.status_code, error)
                if not isinstance(error, RetryableError) or attempt >= self._max_attempts:
                    raise
                self._wait_before_retry(operation, error, attempt)
                attempt += 1
                continue
            self._log_call(operation, attempt, started, status, None)
            return data

    def _send_once(
        self,
        operation: str,
        variables: Mapping[str, object],
        cost_key: str,
        attempt: int,
        redact: Sequence[str],
    ) -> tuple[JsonObject, int]:
        """Send one attempt and return (data, HTTP status). Raises ShopifyError."""
        where = f"Shopify {operation} (attempt {attempt} of {self._max_attempts})"
        payload = {
            "query": ORDERS_QUERY,
            "operationName": ORDERS_OPERATION,
            "variables": dict(variables),
        }
        try:
            response = self._http.post(self._path, json=payload)
        except httpx.TimeoutException as exc:
            raise ShopifyUnavailable(f"{where} timed out after {self._timeout_s:g} s") from exc
        except httpx.TransportError as exc:
            raise ShopifyUnavailable(f"{where} failed with {type(exc).__name__}") from exc
        except httpx.RequestError as exc:
            # Decoding errors and the like: the response arrived but cannot be read.
            raise ShopifyInvalidResponse(f"{where} failed with {type(exc).__name__}") from exc

        self._check_version(response)
        status = response.status_code
        if status != 200:
            raise self._error_for_status(where, response, redact)
        body = _json_body(where, response)
        self._remember_cost(body, cost_key)

        errors = body.get("errors")
        if errors:
            raise self._error_for_graphql(where, errors, body, redact)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ShopifyInvalidResponse(f"{where} returned no `data` object", status_code=status)
        return data, status

    def _error_for_status(
        self, where: str, response: httpx.Response, redact: Sequence[str]
    ) -> ShopifyError:
        """Map a non-200 response to the most specific ShopifyError."""
        status = response.status_code
        message = f"{where} returned HTTP {status}"
        text = self._vendor_text(_status_body_errors(response), redact)
        if text:
            message += f": {text}"

        if status in (401, 403):
            return ShopifyUnauthorized(
                f"{message}. Check the access token and its read_orders scope.",
                status_code=status,
            )
        if status == 429:
            retry_after_s = parse_retry_after(response.headers.get("retry-after"))
            return ShopifyThrottled(message, retry_after_s=retry_after_s, status_code=status)
        if status >= 500:
            return ShopifyUnavailable(message, status_code=status)
        if 300 <= status < 400:
            message += ". Use the shop's https://<shop>.myshopify.com address as shop_url."
        return ShopifyRequestRejected(message, status_code=status)

    def _error_for_graphql(
        self, where: str, errors: object, body: JsonObject, redact: Sequence[str]
    ) -> ShopifyError:
        """Map a top-level `errors` array in a 200 response to a ShopifyError."""
        entries = (
            [entry for entry in errors if isinstance(entry, dict)]
            if isinstance(errors, list)
            else []
        )
        codes = [_error_code(entry) for entry in entries]
        first_text = entries[0].get("message") if entries else errors
        text = self._vendor_text(first_text, redact)
        code = next((code for code in codes if code), None)

        if "THROTTLED" in codes:
            return ShopifyThrottled(
                f"{where} was throttled",
                retry_after_s=_deficit_wait_s(body),
                status_code=200,
                error_code="THROTTLED",
            )
        if "ACCESS_DENIED" in codes:
            return ShopifyUnauthorized(
                f"{where} was denied access: {text}. Grant the token the read_orders scope.",
                status_code=200,
                error_code="ACCESS_DENIED",
            )
        if "INTERNAL_SERVER_ERROR" in codes:
            return ShopifyUnavailable(
                f"{where} failed inside Shopify: {text}",
                status_code=200,
                error_code="INTERNAL_SERVER_ERROR",
            )
        return ShopifyInvalidResponse(
            f"{where} returned GraphQL errors: {text}", status_code=200, error_code=code
        )

    def _vendor_text(self, value: object, redact: Sequence[str]) -> str:
        """Return vendor error text with the token, the searched value and e-mails removed."""
        if value is None:
            return ""
        text = value if isinstance(value, str) else str(value)
        text = text.replace(self._access_token, "***")
        for secret in redact:
            if secret:
                text = text.replace(secret, "<redacted>")
        text = _EMAIL_LIKE.sub("<redacted>", text)
        if len(text) > MAX_ERROR_TEXT_CHARS:
            text = text[:MAX_ERROR_TEXT_CHARS] + "..."
        return text

    def _wait_before_retry(self, operation: str, error: ShopifyError, attempt: int) -> None:
        wait_s = self._retry_wait_s(error, attempt)
        logger.warning(
            "Retrying Shopify %s in %.2f s after %s (attempt %d of %d)",
            operation,
            wait_s,
            type(error).__name__,
            attempt,
            self._max_attempts,
            extra={
                "event": "shopify_retry",
                "operation": operation,
                "status": error.status_code,
                "error_code": error.error_code,
                "attempt": attempt,
                "wait_s": round(wait_s, 3),
            },
        )
        self._sleep(wait_s)

    def _retry_wait_s(self, error: ShopifyError, attempt: int) -> float:
        """Return the wait before the next attempt, in seconds, at most `max_wait_s`.

        A throttled call waits for its Retry-After, or for the bucket to refill the
        missing points. Other failures, and throttling with neither hint, wait a random
        time between half and all of an exponential backoff ("equal jitter").
        """
        if isinstance(error, ShopifyThrottled) and error.retry_after_s is not None:
            return min(error.retry_after_s, self._max_wait_s)
        ceiling_s = min(self._max_wait_s, BACKOFF_BASE_S * 2 ** (attempt - 1))
        return self._random.uniform(ceiling_s / 2, ceiling_s)

    def _wait_for_budget(self, operation: str, cost_key: str) -> None:
        """Sleep until the last reported bucket has refilled enough for this query.

        A query that costs more than the whole bucket is sent at once, because no wait
        helps and Shopify rejects it with MAX_COST_EXCEEDED.
        """
        with self._lock:
            status = self._throttle_status
            expected = self._expected_costs.get(cost_key, DEFAULT_EXPECTED_QUERY_COST)
        if status is None or expected > status.maximum_available:
            return
        available = status.available_at(time.monotonic())
        if expected <= available:
            return

        deficit = expected - available
        wait_s = deficit / status.restore_rate if status.restore_rate > 0 else self._max_wait_s
        wait_s = min(wait_s, self._max_wait_s)
        logger.info(
            "Waiting %.2f s for Shopify's cost bucket before %s",
            wait_s,
            operation,
            extra={
                "event": "shopify_throttle_wait",
                "operation": operation,
                "expected_cost": expected,
                "currently_available": round(available, 1),
                "wait_s": round(wait_s, 3),
            },
        )
        self._sleep(wait_s)

    def _remember_cost(self, body: JsonObject, cost_key: str) -> None:
        """Store the bucket status and this query's requested cost from `extensions.cost`."""
        cost = _cost_block(body)
        throttle = cost.get("throttleStatus")
        requested = cost.get("requestedQueryCost")
        with self._lock:
            if _is_number(requested):
                self._expected_costs[cost_key] = float(requested)
            if isinstance(throttle, dict) and all(
                _is_number(throttle.get(name))
                for name in ("maximumAvailable", "currentlyAvailable", "restoreRate")
            ):
                self._throttle_status = ThrottleStatus(
                    maximum_available=float(throttle["maximumAvailable"]),
                    currently_available=float(throttle["currentlyAvailable"]),
                    restore_rate=float(throttle["restoreRate"]),
                    observed_at=time.monotonic(),
                )

    def _check_version(self, response: httpx.Response) -> None:
        """Warn once per client when Shopify served another API version than requested.

        Shopify serves a request for an unsupported version with the oldest supported
        one, without an error, so this header is the only sign.
        """
        served = response.headers.get(API_VERSION_HEADER)
        if served is None or served == self._api_version:
            return
        with self._lock:
            if self._version_warned:
                return
            self._version_warned = True
        logger.warning(
            "Shopify served API version %s instead of the requested %s. Set api_version to a "
            "version that Shopify still supports.",
            served,
            self._api_version,
            extra={
                "event": "shopify_api_version_mismatch",
                "requested_version": self._api_version,
                "served_version": served,
            },
        )

    def _log_call(
        self,
        operation: str,
        attempt: int,
        started: float,
        status: int | None,
        error: ShopifyError | None,
    ) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000)
        outcome = str(status) if error is None else type(error).__name__
        throttle = self.throttle_status
        logger.info(
            "Shopify %s -> %s in %d ms (attempt %d)",
            operation,
            outcome,
            duration_ms,
            attempt,
            extra={
                "event": "shopify_call",
                "operation": operation,
                "status": status,
                "attempt": attempt,
                "duration_ms": duration_ms,
                "error": None if error is None else type(error).__name__,
                "error_code": None if error is None else error.error_code,
                "currently_available": None if throttle is None else throttle.currently_available,
            },
        )


# Parsing


def parse_order_node(node: object) -> Order:
    """Parse one GraphQL `Order` node into an Order.

    `cancelled` is whether `cancelledAt` is set, and `shipping_method` is the first
    shipping line's title. Each `trackingInfo` entry of a fulfillment becomes one
    Shipment, and a fulfillment without tracking becomes one Shipment without it. Raises
    ValueError naming the field that is missing or has the wrong type.
    """
    if not isinstance(node, dict):
        raise ValueError("order node is not an object")
    name = _optional_str(node, "name")
    if not name:
        raise ValueError("`name` is missing")
    created = _optional_datetime(node, "createdAt")
    if created is None:
        raise ValueError("`createdAt` is missing")

    return Order(
        number=name,
        source=OrderSourceName.SHOPIFY,
        created_at=created,
        email=_optional_str(node, "email"),
        phone=_optional_str(node, "phone"),
        cancelled=node.get("cancelledAt") is not None,
        financial_status=_optional_str(node, "displayFinancialStatus"),
        fulfillment_status=_optional_str(node, "displayFulfillmentStatus"),
        shipping_method=_shipping_method(node.get("shippingLines")),
        status_url=_optional_str(node, "statusPageUrl"),
        tags=_tags(node.get("tags")),
        shipments=_shipments(node.get("fulfillments")),
    )


def parse_shopify_datetime(value: str) -> datetime:
    """Parse an ISO 8601 time into an aware UTC datetime. A time without offset is UTC.

    Raises ValueError for text that is not ISO 8601.
    """
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def quote_search_value(value: str) -> str:
    """Quote a value for Shopify's search syntax: double quotes, with ``\\`` and ``"`` escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _shipping_method(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("nodes"), list):
        raise ValueError("`shippingLines.nodes` is not a list")
    lines = value["nodes"]
    if not lines:
        return None
    if not isinstance(lines[0], dict):
        raise ValueError("`shippingLines.nodes[0]` is not an object")
    return _optional_str(lines[0], "title", "shippingLines.nodes[0].title")


def _tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValueError("`tags` is not a list of strings")
    return tuple(value)


def _shipments(value: object) -> tuple[Shipment, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("`fulfillments` is not a list")
    shipments: list[Shipment] = []
    for index, fulfillment in enumerate(value):
        shipments.extend(_fulfillment_shipments(fulfillment, f"fulfillments[{index}]"))
    return tuple(shipments)


def _fulfillment_shipments(fulfillment: object, where: str) -> list[Shipment]:
    if not isinstance(fulfillment, dict):
        raise ValueError(f"`{where}` is not an object")
    # NOTE: the query requests estimatedDeliveryAt, but Shipment has no field for it yet.
    status = _optional_str(fulfillment, "displayStatus", f"{where}.displayStatus") or (
        _optional_str(fulfillment, "status", f"{where}.status")
    )
    shipped_at = _optional_datetime(fulfillment, "createdAt", f"{where}.createdAt")
    delivered_at = _optional_datetime(fulfillment, "deliveredAt", f"{where}.deliveredAt")
    tracking = fulfillment.get("trackingInfo") or []
    if not isinstance(tracking, list):
        raise ValueError(f"`{where}.trackingInfo` is not a list")
    if not tracking:
        return [Shipment(status=status, shipped_at=shipped_at, delivered_at=delivered_at)]

    shipments = []
    for index, entry in enumerate(tracking):
        entry_where = f"{where}.trackingInfo[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"`{entry_where}` is not an object")
        shipments.append(
            Shipment(
                status=status,
                carrier=_optional_str(entry, "company", f"{entry_where}.company"),
                tracking_number=_optional_str(entry, "number", f"{entry_where}.number"),
                tracking_url=_optional_str(entry, "url", f"{entry_where}.url"),
                shipped_at=shipped_at,
                delivered_at=delivered_at,
            )
        )
    return shipments


def _optional_str(
    container: Mapping[str, object], key: str, where: str | None = None
) -> str | None:
    value = container.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"`{where or key}` is not a string")


def _optional_datetime(
    container: Mapping[str, object], key: str, where: str | None = None
) -> datetime | None:
    text = _optional_str(container, key, where)
    if text is None:
        return None
    try:
        return parse_shopify_datetime(text)
    except ValueError as exc:
        raise ValueError(f"`{where or key}` is not an ISO 8601 time") from exc


# Helpers


def _checked_shop_url(shop_url: str) -> str:
    """Return `shop_url` without a trailing slash. Raises ValueError if it is not a bare origin."""
    example = "https://example.myshopify.com"
    try:
        url = httpx.URL(shop_url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"shop_url must be a URL such as {example}, got {shop_url!r}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            f"shop_url must be an http:// or https:// URL such as {example}, got {shop_url!r}"
        )
    if url.path not in ("", "/") or url.query or url.fragment:
        raise ValueError(
            f"shop_url must contain only the scheme and host (the client adds "
            f"/admin/api/...), such as {example}, got {shop_url!r}"
        )
    return shop_url.rstrip("/")


def _json_body(where: str, response: httpx.Response) -> JsonObject:
    try:
        body = response.json()
    except ValueError as exc:
        raise ShopifyInvalidResponse(
            f"{where} returned a body that is not JSON", status_code=response.status_code
        ) from exc
    if not isinstance(body, dict):
        raise ShopifyInvalidResponse(
            f"{where} returned JSON that is not an object", status_code=response.status_code
        )
    return body


def _status_body_errors(response: httpx.Response) -> object:
    """Return the `errors` value of an error response's JSON body, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("errors") if isinstance(body, dict) else None


def _error_code(entry: Mapping[str, object]) -> str | None:
    extensions = entry.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else None


def _cost_block(body: Mapping[str, object]) -> Mapping[str, object]:
    extensions = body.get("extensions")
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    return cost if isinstance(cost, dict) else {}


def _deficit_wait_s(body: Mapping[str, object]) -> float | None:
    """Return the seconds until the bucket contains the requested cost, if the body reports it."""
    cost = _cost_block(body)
    throttle = cost.get("throttleStatus")
    requested = cost.get("requestedQueryCost")
    if not isinstance(throttle, dict) or not _is_number(requested):
        return None
    available = throttle.get("currentlyAvailable")
    rate = throttle.get("restoreRate")
    if not _is_number(available) or not _is_number(rate) or rate <= 0:
        return None
    deficit = float(requested) - float(available)
    return deficit / float(rate) if deficit > 0 else None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
