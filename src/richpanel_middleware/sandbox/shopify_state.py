"""In-memory state of the Shopify sandbox: orders, clock, cost bucket, faults and request log.

Every method takes one lock, so the HTTP app on the server thread and a test on its own
thread can share the state. The HTTP layer validates request bodies, and the methods here
apply changes that are already known to be valid.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from richpanel_middleware.sandbox.seed_orders import SeedOrder

JsonObject = dict[str, Any]

DEFAULT_SHOP_DOMAIN: Final = "sandbox-shop.myshopify.com"
# Shopify supports each stable version for at least twelve months, so about four or five
# quarterly versions are served at any time.
DEFAULT_SUPPORTED_VERSIONS: Final = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10")
# The bucket Shopify long documented for every app: 1000 points, refilled at 50 points per
# second. Shopify's current rate-limit page lists faster refills per plan (100 points per
# second on Standard), so these defaults throttle earlier than a real shop does.
DEFAULT_MAXIMUM_AVAILABLE: Final = 1000.0
DEFAULT_RESTORE_RATE: Final = 50.0
# Shopify rejects a single query whose requested cost exceeds 1000 points, on every plan.
MAX_SINGLE_QUERY_COST: Final = 1000
# Without the read_all_orders scope, Shopify shows only orders created in the last 60 days.
VISIBLE_ORDER_AGE: Final = timedelta(days=60)
# Oldest entries are dropped beyond this many, so a long run does not grow without bound.
MAX_REQUEST_LOG_ENTRIES: Final = 10_000

API_VERSION_PATTERN: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class ShopifySandboxSettings:
    """Start-up settings of the sandbox. `reset` returns the run-time config to these.

    `now` pins the sandbox clock that decides which orders are older than 60 days. When it
    is None, the clock is real UTC time. The cost bucket always refills in real time.
    """

    access_token: str
    shop_domain: str = DEFAULT_SHOP_DOMAIN
    supported_versions: tuple[str, ...] = DEFAULT_SUPPORTED_VERSIONS
    maximum_available: float = DEFAULT_MAXIMUM_AVAILABLE
    restore_rate: float = DEFAULT_RESTORE_RATE
    read_all_orders: bool = False
    now: datetime | None = None

    def __post_init__(self) -> None:
        if not self.access_token:
            raise ValueError("access_token must not be empty")
        if not self.shop_domain:
            raise ValueError("shop_domain must not be empty")
        check_supported_versions(self.supported_versions)
        if self.maximum_available <= 0:
            raise ValueError(f"maximum_available must be positive, got {self.maximum_available}")
        if self.restore_rate <= 0:
            raise ValueError(f"restore_rate must be positive, got {self.restore_rate}")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware, for example datetime(..., tzinfo=UTC)")


def check_supported_versions(versions: tuple[str, ...]) -> None:
    """Raise ValueError unless `versions` is a non-empty tuple of YYYY-MM strings."""
    if not versions:
        raise ValueError("supported_versions must list at least one version such as '2026-10'")
    for version in versions:
        if not API_VERSION_PATTERN.fullmatch(version):
            raise ValueError(f"supported version {version!r} is not in the YYYY-MM format")


@dataclass(slots=True)
class ShopifySandboxConfig:
    """Settings that `POST /_sandbox/shopify/config` can change while the sandbox runs."""

    now: datetime | None
    read_all_orders: bool
    maximum_available: float
    restore_rate: float
    supported_versions: tuple[str, ...]

    def as_dict(self) -> JsonObject:
        return {
            "now": None if self.now is None else self.now.isoformat(),
            "read_all_orders": self.read_all_orders,
            "maximum_available": self.maximum_available,
            "restore_rate": self.restore_rate,
            "supported_versions": list(self.supported_versions),
        }


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """The cost bucket as Shopify reports it in `extensions.cost.throttleStatus`."""

    maximum_available: float
    currently_available: float
    restore_rate: float

    def to_wire(self) -> JsonObject:
        return {
            "maximumAvailable": self.maximum_available,
            # Shopify reports whole points here and floats in the other two fields.
            "currentlyAvailable": int(self.currently_available),
            "restoreRate": self.restore_rate,
        }


@dataclass(frozen=True, slots=True)
class InjectedFailure:
    """A failure response that a fault requires. `retry_after_s` is set for a 429."""

    status: int
    retry_after_s: float | None = None


@dataclass(slots=True)
class StoredOrder:
    order_id: int
    created_at: datetime
    node: JsonObject


@dataclass(slots=True)
class _Faults:
    throttle_next: int = 0
    fail_status: int = 503
    fail_next: int = 0
    http_429_next: int = 0
    retry_after_s: float = 1.0
    latency_s: float = 0.0


@dataclass(slots=True)
class _Bucket:
    """A leaky bucket of query cost points that refills at `restore_rate` per second."""

    available: float
    refilled_at: float = field(default_factory=time.monotonic)

    def refill(self, maximum: float, restore_rate: float) -> None:
        now = time.monotonic()
        self.available = min(maximum, self.available + (now - self.refilled_at) * restore_rate)
        self.refilled_at = now


class ShopifySandboxState:
    """Thread-safe store behind the Shopify sandbox's GraphQL and admin endpoints."""

    def __init__(self, settings: ShopifySandboxSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._reset_locked()

    def reset(self) -> None:
        """Drop every order, fault and log entry, refill the bucket and restore the settings."""
        with self._lock:
            self._reset_locked()

    def _reset_locked(self) -> None:
        settings = self.settings
        self._config = ShopifySandboxConfig(
            now=settings.now,
            read_all_orders=settings.read_all_orders,
            maximum_available=settings.maximum_available,
            restore_rate=settings.restore_rate,
            supported_versions=settings.supported_versions,
        )
        self._orders: dict[int, StoredOrder] = {}
        self._order_counter = 0
        self._bucket = _Bucket(settings.maximum_available)
        self._faults = _Faults()
        self._requests: deque[JsonObject] = deque(maxlen=MAX_REQUEST_LOG_ENTRIES)

    # Configuration and clock

    def config(self) -> ShopifySandboxConfig:
        with self._lock:
            return copy.copy(self._config)

    def update_config(self, changes: JsonObject) -> ShopifySandboxConfig:
        """Apply already validated changes and return a copy of the new config.

        A new `maximum_available` also fills the bucket to that size, so a test that
        shrinks the bucket starts from a known level.
        """
        with self._lock:
            self._bucket.refill(self._config.maximum_available, self._config.restore_rate)
            for name, value in changes.items():
                setattr(self._config, name, value)
            if "maximum_available" in changes:
                self._bucket.available = self._config.maximum_available
            return copy.copy(self._config)

    def now(self) -> datetime:
        """Return the sandbox clock: the pinned `now`, else the current UTC time."""
        with self._lock:
            return self._config.now or datetime.now(UTC)

    def served_version(self, requested: str) -> str:
        """Return `requested` if supported, else the oldest supported version.

        Shopify serves a request for an unsupported version with the oldest supported
        stable version instead of rejecting it.
        """
        with self._lock:
            supported = self._config.supported_versions
            return requested if requested in supported else min(supported)

    # Orders

    def add_order(self, seed: SeedOrder) -> StoredOrder:
        with self._lock:
            self._order_counter += 1
            order_id = self._order_counter
            node = seed.to_shopify_node(order_id, shop_domain=self.settings.shop_domain)
            stored = StoredOrder(order_id, seed.created_at, node)
            self._orders[order_id] = stored
            return copy.deepcopy(stored)

    def visible_orders(self) -> list[StoredOrder]:
        """Return the orders the token may read, in creation order.

        Without `read_all_orders`, orders created more than 60 days before the sandbox
        clock are left out, as Shopify does for tokens without that scope.
        """
        with self._lock:
            orders = list(self._orders.values())
            if not self._config.read_all_orders:
                cutoff = (self._config.now or datetime.now(UTC)) - VISIBLE_ORDER_AGE
                orders = [order for order in orders if order.created_at >= cutoff]
            return copy.deepcopy(orders)

    def order_count(self) -> int:
        with self._lock:
            return len(self._orders)

    # Cost bucket

    def charge(self, cost: int) -> tuple[bool, ThrottleStatus]:
        """Take `cost` points if the bucket contains them, and return whether it did.

        The returned status is the bucket after the charge, or unchanged when the charge is rejected.
        """
        with self._lock:
            config = self._config
            self._bucket.refill(config.maximum_available, config.restore_rate)
            allowed = self._bucket.available >= cost
            if allowed:
                self._bucket.available -= cost
            return allowed, self._throttle_status_locked()

    def throttle_status(self) -> ThrottleStatus:
        with self._lock:
            self._bucket.refill(self._config.maximum_available, self._config.restore_rate)
            return self._throttle_status_locked()

    def _throttle_status_locked(self) -> ThrottleStatus:
        return ThrottleStatus(
            maximum_available=self._config.maximum_available,
            currently_available=self._bucket.available,
            restore_rate=self._config.restore_rate,
        )

    # Faults

    def set_faults(
        self,
        *,
        throttle_next: int | None = None,
        fail_next: tuple[int, int] | None = None,
        http_429_next: tuple[int, float] | None = None,
        latency_s: float | None = None,
    ) -> None:
        """Set the faults that are given. `fail_next` is (status, count) and
        `http_429_next` is (count, Retry-After seconds). A count replaces the one left."""
        with self._lock:
            faults = self._faults
            if throttle_next is not None:
                faults.throttle_next = throttle_next
            if fail_next is not None:
                faults.fail_status, faults.fail_next = fail_next
            if http_429_next is not None:
                faults.http_429_next, faults.retry_after_s = http_429_next
            if latency_s is not None:
                faults.latency_s = latency_s

    def latency_s(self) -> float:
        with self._lock:
            return self._faults.latency_s

    def take_failure(self) -> InjectedFailure | None:
        """Consume one injected HTTP failure: `fail_next` first, then `http_429_next`."""
        with self._lock:
            faults = self._faults
            if faults.fail_next > 0:
                faults.fail_next -= 1
                return InjectedFailure(faults.fail_status)
            if faults.http_429_next > 0:
                faults.http_429_next -= 1
                return InjectedFailure(429, faults.retry_after_s)
            return None

    def take_throttle(self) -> bool:
        """Consume one forced THROTTLED response, and return whether there was one."""
        with self._lock:
            if self._faults.throttle_next <= 0:
                return False
            self._faults.throttle_next -= 1
            return True

    # Request log

    def record_request(
        self,
        *,
        version_requested: str,
        version_served: str,
        token_valid: bool,
        status: int,
        outcome: str,
        operation_name: str | None = None,
        variables: object = None,
        requested_cost: int | None = None,
    ) -> None:
        """Log one GraphQL request. The access token itself is never stored."""
        with self._lock:
            self._requests.append(
                {
                    "version_requested": version_requested,
                    "version_served": version_served,
                    "token_valid": token_valid,
                    "status": status,
                    "outcome": outcome,
                    "operation_name": operation_name,
                    "variables": copy.deepcopy(variables),
                    "requested_cost": requested_cost,
                    "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                }
            )

    def requests(self) -> list[JsonObject]:
        """Return every GraphQL request received, oldest first, including rejected ones."""
        with self._lock:
            return copy.deepcopy(list(self._requests))
