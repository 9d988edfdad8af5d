"""Delivery windows for orders that have no tracking yet.

A window counts business days (Monday to Friday, minus the configured holidays) from the
order date in the store's time zone. Nothing here reads the clock: callers pass `now`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from richpanel_middleware.orders.shipping_config import ShippingConfig

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class EstimateKind(StrEnum):
    IN_WINDOW = "in_window"
    LATE = "late"
    UNKNOWN_METHOD = "unknown_method"
    PREORDER_WITH_ETA = "preorder_with_eta"
    PREORDER_NO_ETA = "preorder_no_eta"


@dataclass(frozen=True, slots=True)
class DeliveryEstimate:
    """Position of an order against its delivery window.

    `order_date` is the order's calendar date in the store time zone. `earliest` and
    `latest` bound the bucket's window. For a pre-order, `earliest` is None and `latest`
    is the ETA from its tag, and `remaining_business_days` counts the business days from
    today up to that ETA.
    """

    kind: EstimateKind
    order_date: date
    bucket: str | None
    earliest: date | None
    latest: date | None
    business_days_elapsed: int | None
    remaining_business_days: int | None

    @property
    def auto_close_eligible(self) -> bool:
        """Whether a reply may close the conversation: only inside a window or before a
        pre-order ETA."""
        return self.kind in (EstimateKind.IN_WINDOW, EstimateKind.PREORDER_WITH_ETA)


def is_business_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def business_days_after(start: date, end: date, holidays: Collection[date]) -> int:
    """Count business days d with start < d <= end, or 0 when end <= start."""
    span = (end - start).days
    if span <= 0:
        return 0

    # Every run of 7 consecutive days contains 5 weekdays. The leftover days after the full
    # weeks have the weekdays start.weekday() + 1 ... start.weekday() + leftover.
    full_weeks, leftover = divmod(span, 7)
    weekdays = full_weeks * 5
    weekdays += sum(1 for offset in range(1, leftover + 1) if (start.weekday() + offset) % 7 < 5)
    closed = sum(1 for day in set(holidays) if start < day <= end and day.weekday() < 5)
    return weekdays - closed


def add_business_days(start: date, days: int, holidays: Collection[date]) -> date:
    """Return the day reached after `days` business days following `start`.

    `days=0` returns `start` itself, even on a weekend or holiday. For `days >= 1` the
    result is always a business day. Raises ValueError for negative `days`.
    """
    if days < 0:
        raise ValueError(f"days must be 0 or more, got {days}")
    closed = frozenset(holidays)
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day, closed):
            remaining -= 1
    return day


def estimate_delivery(
    *,
    ordered_at: datetime,
    now: datetime,
    shipping_method: str | None,
    tags: Sequence[str],
    config: ShippingConfig,
) -> DeliveryEstimate:
    """Place an order without tracking against its delivery window.

    Pre-order tags take precedence over the shipping method. Raises ValueError when
    `ordered_at` or `now` has no time zone, because a naive time cannot be placed in the
    store's day, and TypeError when `tags` is a single string.
    """
    _require_aware("ordered_at", ordered_at)
    _require_aware("now", now)
    if isinstance(tags, str):
        raise TypeError("tags must be a sequence of tag strings, not one string")
    zone = config.store.zone
    order_date = ordered_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    holidays = config.holiday_set
    elapsed = business_days_after(order_date, today, holidays)

    if _is_preorder(tags, config.preorder.tags):
        return _preorder_estimate(order_date, today, elapsed, tags, config)

    bucket_name = config.bucket_for(shipping_method)
    if bucket_name is None:
        return DeliveryEstimate(
            kind=EstimateKind.UNKNOWN_METHOD,
            order_date=order_date,
            bucket=None,
            earliest=None,
            latest=None,
            business_days_elapsed=elapsed,
            remaining_business_days=None,
        )

    bucket = config.buckets[bucket_name]
    latest = add_business_days(order_date, bucket.max_days, holidays)
    return DeliveryEstimate(
        kind=EstimateKind.IN_WINDOW if today <= latest else EstimateKind.LATE,
        order_date=order_date,
        bucket=bucket_name,
        earliest=add_business_days(order_date, bucket.min_days, holidays),
        latest=latest,
        business_days_elapsed=elapsed,
        remaining_business_days=max(0, bucket.max_days - elapsed),
    )


def preorder_eta(tags: Sequence[str], eta_tag_prefix: str) -> date | None:
    """Read the expected delivery date from tags such as ``eta:2027-01-15``.

    The prefix is compared without case and must be followed by a valid YYYY-MM-DD date.
    Other tags and invalid dates are ignored. When several tags give dates, the latest
    wins, because ETAs are usually pushed back rather than brought forward and the later
    date promises less.
    """
    prefix = eta_tag_prefix.strip().casefold()
    dates: list[date] = []
    for tag in tags:
        text = tag.strip()
        if not text.casefold().startswith(prefix):
            continue
        value = text[len(prefix) :].strip()
        if not _ISO_DATE.fullmatch(value):
            continue
        try:
            dates.append(date.fromisoformat(value))
        except ValueError:
            continue
    return max(dates, default=None)


def _preorder_estimate(
    order_date: date, today: date, elapsed: int, tags: Sequence[str], config: ShippingConfig
) -> DeliveryEstimate:
    eta = preorder_eta(tags, config.preorder.eta_tag_prefix)
    if eta is None:
        return DeliveryEstimate(
            kind=EstimateKind.PREORDER_NO_ETA,
            order_date=order_date,
            bucket=None,
            earliest=None,
            latest=None,
            business_days_elapsed=elapsed,
            remaining_business_days=None,
        )
    return DeliveryEstimate(
        kind=EstimateKind.LATE if eta < today else EstimateKind.PREORDER_WITH_ETA,
        order_date=order_date,
        bucket=None,
        earliest=None,
        latest=eta,
        business_days_elapsed=elapsed,
        remaining_business_days=business_days_after(today, eta, config.holiday_set),
    )


def _is_preorder(tags: Sequence[str], preorder_tags: Sequence[str]) -> bool:
    preorder_set = {tag.strip().casefold() for tag in preorder_tags}
    return any(tag.strip().casefold() in preorder_set for tag in tags)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware, got naive {value.isoformat()}; attach the "
            "source's offset, or UTC when the source gave none"
        )
