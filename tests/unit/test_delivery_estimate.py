"""Delivery estimates: business-day arithmetic, windows, time zones, late, unknown, pre-orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from richpanel_middleware.orders.delivery import (
    DeliveryEstimate,
    EstimateKind,
    add_business_days,
    business_days_after,
    estimate_delivery,
    is_business_day,
    preorder_eta,
)
from richpanel_middleware.orders.shipping_config import ShippingConfig

NEW_YORK = ZoneInfo("America/New_York")
MADRID = ZoneInfo("Europe/Madrid")
THANKSGIVING = date(2026, 11, 26)
CHRISTMAS = date(2026, 12, 25)
NEW_YEAR = date(2027, 1, 1)
HOLIDAYS = frozenset({THANKSGIVING, CHRISTMAS, NEW_YEAR})


def make_config(timezone: str = "America/New_York") -> ShippingConfig:
    return ShippingConfig.model_validate(
        {
            "version": 1,
            "store": {"timezone": timezone},
            "holidays": sorted(HOLIDAYS),
        }
    )


CONFIG = make_config()


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def estimate(
    ordered_at: datetime,
    now: datetime,
    shipping_method: str | None = "Standard Shipping",
    tags: tuple[str, ...] = (),
    config: ShippingConfig = CONFIG,
) -> DeliveryEstimate:
    return estimate_delivery(
        ordered_at=ordered_at,
        now=now,
        shipping_method=shipping_method,
        tags=tags,
        config=config,
    )


# --- business days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 2), True),  # Monday
        (date(2026, 11, 6), True),  # Friday
        (date(2026, 11, 7), False),  # Saturday
        (date(2026, 11, 8), False),  # Sunday
        (THANKSGIVING, False),
        (date(2026, 11, 27), True),
    ],
)
def test_is_business_day(day: date, expected: bool) -> None:
    assert is_business_day(day, HOLIDAYS) is expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 2), date(2026, 11, 2), 0),
        (date(2026, 11, 2), date(2026, 11, 3), 1),
        (date(2026, 11, 2), date(2026, 11, 6), 4),
        (date(2026, 11, 6), date(2026, 11, 8), 0),  # Friday to Sunday
        (date(2026, 11, 6), date(2026, 11, 9), 1),  # Friday to Monday
        (date(2026, 11, 7), date(2026, 11, 9), 1),  # Saturday to Monday
        (date(2026, 11, 2), date(2026, 11, 16), 10),
        (date(2026, 11, 24), date(2026, 11, 30), 3),  # across Thanksgiving
        (date(2026, 12, 24), date(2027, 1, 4), 5),  # across Christmas and New Year
        (date(2026, 11, 9), date(2026, 11, 2), 0),  # end before start
    ],
)
def test_business_days_after(start: date, end: date, expected: int) -> None:
    assert business_days_after(start, end, HOLIDAYS) == expected


def test_business_days_after_ignores_weekend_holiday() -> None:
    saturday = date(2026, 11, 7)

    assert business_days_after(date(2026, 11, 6), date(2026, 11, 9), [saturday, saturday]) == 1


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 2), 0, date(2026, 11, 2)),
        (date(2026, 11, 7), 0, date(2026, 11, 7)),  # 0 keeps a Saturday start
        (date(2026, 11, 2), 1, date(2026, 11, 3)),
        (date(2026, 11, 2), 5, date(2026, 11, 9)),
        (date(2026, 11, 6), 1, date(2026, 11, 9)),  # Friday + 1 is Monday
        (date(2026, 11, 7), 1, date(2026, 11, 9)),  # Saturday + 1 is Monday
        (date(2026, 11, 8), 3, date(2026, 11, 11)),  # Sunday + 3 is Wednesday
        (date(2026, 11, 25), 1, date(2026, 11, 27)),  # skips Thanksgiving
        (date(2026, 12, 24), 5, date(2027, 1, 4)),  # skips Christmas and New Year
    ],
)
def test_add_business_days(start: date, days: int, expected: date) -> None:
    assert add_business_days(start, days, HOLIDAYS) == expected


def test_add_business_days_rejects_negative() -> None:
    with pytest.raises(ValueError, match="days must be 0 or more, got -1"):
        add_business_days(date(2026, 11, 2), -1, HOLIDAYS)


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
holiday_sets = st.frozensets(dates, max_size=40)


@given(dates, st.integers(min_value=0, max_value=400), holiday_sets)
def test_adding_then_counting_round_trips(
    start: date, days: int, holidays: frozenset[date]
) -> None:
    assert business_days_after(start, add_business_days(start, days, holidays), holidays) == days


@given(dates, st.integers(min_value=1, max_value=400), holiday_sets)
def test_added_day_is_business_day(start: date, days: int, holidays: frozenset[date]) -> None:
    reached = add_business_days(start, days, holidays)

    assert reached.weekday() < 5
    assert reached not in holidays


@given(dates, st.integers(min_value=1, max_value=400), holiday_sets)
def test_added_day_is_first_with_count(start: date, days: int, holidays: frozenset[date]) -> None:
    reached = add_business_days(start, days, holidays)

    assert business_days_after(start, reached - timedelta(days=1), holidays) == days - 1


@given(dates, st.integers(min_value=0, max_value=120), holiday_sets)
def test_count_matches_day_by_day(start: date, span: int, holidays: frozenset[date]) -> None:
    end = start + timedelta(days=span)
    expected = sum(
        1
        for offset in range(1, span + 1)
        if is_business_day(start + timedelta(days=offset), holidays)
    )

    assert business_days_after(start, end, holidays) == expected


@given(dates, dates, dates, holiday_sets)
def test_count_is_additive(
    first: date, second: date, third: date, holidays: frozenset[date]
) -> None:
    a, b, c = sorted((first, second, third))

    total = business_days_after(a, c, holidays)

    assert business_days_after(a, b, holidays) + business_days_after(b, c, holidays) == total


@given(dates, dates, holiday_sets)
def test_count_zero_when_end_not_after_start(
    first: date, second: date, holidays: frozenset[date]
) -> None:
    assume(second <= first)

    assert business_days_after(first, second, holidays) == 0


# --- windows from the shipping bucket ----------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "elapsed", "remaining", "kind"),
    [
        (local(2026, 11, 2, 18), 0, 5, EstimateKind.IN_WINDOW),
        (local(2026, 11, 5), 3, 2, EstimateKind.IN_WINDOW),
        (local(2026, 11, 7), 4, 1, EstimateKind.IN_WINDOW),  # Saturday
        (local(2026, 11, 9, 23, 59), 5, 0, EstimateKind.IN_WINDOW),  # last day of window
        (local(2026, 11, 10, 0, 1), 6, 0, EstimateKind.LATE),
        (local(2026, 12, 15), 30, 0, EstimateKind.LATE),  # Thanksgiving is not counted
    ],
)
def test_standard_window_from_monday(
    now: datetime, elapsed: int, remaining: int, kind: EstimateKind
) -> None:
    result = estimate(local(2026, 11, 2), now)

    assert result.kind is kind
    assert result.bucket == "standard"
    assert result.order_date == date(2026, 11, 2)
    assert result.earliest == date(2026, 11, 5)
    assert result.latest == date(2026, 11, 9)
    assert result.business_days_elapsed == elapsed
    assert result.remaining_business_days == remaining


@pytest.mark.parametrize(
    ("method", "bucket", "earliest", "latest"),
    [
        ("Standard", "standard", date(2026, 11, 11), date(2026, 11, 13)),
        ("Expedited", "expedited", date(2026, 11, 10), date(2026, 11, 11)),
        ("Envío exprés", "express", date(2026, 11, 9), date(2026, 11, 10)),
        ("Priority", "priority", date(2026, 11, 9), date(2026, 11, 9)),
        ("Overnight", "overnight", date(2026, 11, 9), date(2026, 11, 9)),
    ],
)
def test_friday_order_skips_weekend(method: str, bucket: str, earliest: date, latest: date) -> None:
    result = estimate(local(2026, 11, 6), local(2026, 11, 6, 12), shipping_method=method)

    assert result.bucket == bucket
    assert result.earliest == earliest
    assert result.latest == latest
    assert result.kind is EstimateKind.IN_WINDOW


def test_saturday_order_starts_monday() -> None:
    result = estimate(local(2026, 11, 7), local(2026, 11, 9), shipping_method="Expedited")

    assert result.order_date == date(2026, 11, 7)
    assert result.earliest == date(2026, 11, 10)
    assert result.latest == date(2026, 11, 11)
    assert result.business_days_elapsed == 1
    assert result.remaining_business_days == 2


def test_window_skips_thanksgiving() -> None:
    result = estimate(local(2026, 11, 24), local(2026, 12, 2))

    assert result.earliest == date(2026, 11, 30)
    assert result.latest == date(2026, 12, 2)
    assert result.business_days_elapsed == 5
    assert result.kind is EstimateKind.IN_WINDOW


def test_window_skips_christmas_and_new_year() -> None:
    result = estimate(local(2026, 12, 24), local(2027, 1, 1))

    assert result.earliest == date(2026, 12, 30)
    assert result.latest == date(2027, 1, 4)
    assert result.business_days_elapsed == 4
    assert result.remaining_business_days == 1


def test_late_on_day_after_window() -> None:
    result = estimate(local(2026, 11, 2), local(2026, 11, 10), shipping_method="Overnight")

    assert result.kind is EstimateKind.LATE
    assert result.latest == date(2026, 11, 3)
    assert result.remaining_business_days == 0
    assert not result.auto_close_eligible


def test_window_over_weekend_after_last_day_is_late() -> None:
    # The window ended on Friday, so on Saturday the order is late although no business
    # day has passed since.
    result = estimate(local(2026, 11, 2), local(2026, 11, 7), shipping_method="Priority")

    assert result.latest == date(2026, 11, 3)
    assert result.kind is EstimateKind.LATE


def test_now_before_order_counts_zero() -> None:
    result = estimate(local(2026, 11, 4), local(2026, 11, 2))

    assert result.business_days_elapsed == 0
    assert result.remaining_business_days == 5
    assert result.kind is EstimateKind.IN_WINDOW


def test_zero_day_bucket_ends_on_order_date() -> None:
    config = ShippingConfig.model_validate(
        {
            "version": 1,
            "store": {"timezone": "America/New_York"},
            "buckets": {"same_day": {"min_days": 0, "max_days": 0}},
            "shipping_methods": [{"contains": ["same day"], "bucket": "same_day"}],
        }
    )

    same_day = estimate(local(2026, 11, 2, 9), local(2026, 11, 2, 20), "Same-day", config=config)
    next_day = estimate(local(2026, 11, 2, 9), local(2026, 11, 3, 9), "Same-day", config=config)

    assert same_day.latest == date(2026, 11, 2)
    assert same_day.kind is EstimateKind.IN_WINDOW
    assert next_day.kind is EstimateKind.LATE


# --- time zones --------------------------------------------------------------------------------


def test_late_friday_local_is_friday() -> None:
    ordered_at = datetime(2026, 11, 6, 23, 30, tzinfo=NEW_YORK)
    same_instant_utc = ordered_at.astimezone(UTC)

    result = estimate(same_instant_utc, local(2026, 11, 9), shipping_method="Priority")

    assert same_instant_utc.date() == date(2026, 11, 7)
    assert result.order_date == date(2026, 11, 6)


def test_madrid_friday_night_vs_saturday_utc() -> None:
    config = make_config("Europe/Madrid")
    friday_night = datetime(2026, 11, 6, 23, 30, tzinfo=MADRID)
    saturday_utc = datetime(2026, 11, 7, 0, 30, tzinfo=UTC)
    now = datetime(2026, 11, 9, 12, tzinfo=MADRID)

    friday_result = estimate(friday_night, now, config=config)
    saturday_result = estimate(saturday_utc, now, config=config)

    assert friday_result.order_date == date(2026, 11, 6)
    assert saturday_result.order_date == date(2026, 11, 7)
    assert friday_result.latest == saturday_result.latest == date(2026, 11, 13)


def test_thursday_night_order_counts_thursday() -> None:
    # 23:30 on Thursday in New York is 04:30 on Friday in UTC. Taken as a UTC date, the
    # overnight window would end on Monday instead of Friday.
    ordered_at = datetime(2026, 11, 6, 4, 30, tzinfo=UTC)

    result = estimate(ordered_at, local(2026, 11, 9), shipping_method="Overnight")

    assert result.order_date == date(2026, 11, 5)
    assert result.latest == date(2026, 11, 6)
    assert result.kind is EstimateKind.LATE


def test_now_taken_in_store_zone() -> None:
    # 02:00 UTC on Tuesday is still Monday evening in New York, the last day of the window.
    now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)

    result = estimate(local(2026, 11, 2), now)

    assert result.kind is EstimateKind.IN_WINDOW
    assert result.business_days_elapsed == 5


def test_order_date_after_dst_ends() -> None:
    # Daylight saving time ends in New York on 2026-11-01, so 04:30 UTC on 2 November
    # is 23:30 EST on Sunday 1 November (00:30 on Monday under EDT).
    result = estimate(datetime(2026, 11, 2, 4, 30, tzinfo=UTC), local(2026, 11, 2))

    assert result.order_date == date(2026, 11, 1)
    assert result.earliest == date(2026, 11, 4)


def test_tokyo_store_next_day() -> None:
    config = make_config("Asia/Tokyo")

    result = estimate(datetime(2026, 11, 5, 16, 0, tzinfo=UTC), local(2026, 11, 5), config=config)

    assert result.order_date == date(2026, 11, 6)


@pytest.mark.parametrize("field", ["ordered_at", "now"])
def test_naive_datetime_rejected(field: str) -> None:
    aware = local(2026, 11, 2)
    naive = datetime(2026, 11, 2, 10, 0)
    times = {"ordered_at": aware, "now": aware} | {field: naive}

    with pytest.raises(ValueError, match=f"{field} must be timezone-aware"):
        estimate(times["ordered_at"], times["now"])


def test_string_tags_rejected() -> None:
    with pytest.raises(TypeError, match="tags must be a sequence"):
        estimate_delivery(
            ordered_at=local(2026, 11, 2),
            now=local(2026, 11, 3),
            shipping_method="Standard",
            tags="preorder",
            config=CONFIG,
        )


# --- unknown shipping methods ------------------------------------------------------------------


@pytest.mark.parametrize("method", [None, "", "Local pickup", "Custom carrier service"])
def test_unknown_method(method: str | None) -> None:
    result = estimate(local(2026, 11, 2), local(2026, 11, 4), shipping_method=method)

    assert result.kind is EstimateKind.UNKNOWN_METHOD
    assert result.bucket is None
    assert result.earliest is None
    assert result.latest is None
    assert result.business_days_elapsed == 2
    assert result.remaining_business_days is None
    assert not result.auto_close_eligible


# --- pre-orders --------------------------------------------------------------------------------


def test_preorder_with_eta() -> None:
    result = estimate(
        local(2026, 11, 2), local(2026, 12, 1), tags=("VIP", "Pre-Order", "eta:2027-01-15")
    )

    assert result.kind is EstimateKind.PREORDER_WITH_ETA
    assert result.bucket is None
    assert result.earliest is None
    assert result.latest == date(2027, 1, 15)
    assert result.business_days_elapsed == 20
    # 1 December to 15 January has 33 weekdays, minus Christmas and New Year.
    assert result.remaining_business_days == 31
    assert result.auto_close_eligible


def test_preorder_eta_today_in_window() -> None:
    result = estimate(
        local(2026, 11, 2), local(2027, 1, 15, 22), tags=("preorder", "eta:2027-01-15")
    )

    assert result.kind is EstimateKind.PREORDER_WITH_ETA
    assert result.remaining_business_days == 0


def test_preorder_eta_passed_is_late() -> None:
    result = estimate(local(2026, 11, 2), local(2027, 1, 16), tags=("preorder", "eta:2027-01-15"))

    assert result.kind is EstimateKind.LATE
    assert result.latest == date(2027, 1, 15)
    assert result.remaining_business_days == 0
    assert not result.auto_close_eligible


@pytest.mark.parametrize(
    "tags",
    [
        ("preorder",),
        ("PRE-ORDER", "eta:soon"),
        ("preorder", "eta:2027-02-30"),
        ("preorder", "eta:20270115"),
        ("preorder", "eta:"),
        ("preorder", "delivery:2027-01-15"),
    ],
)
def test_preorder_without_eta(tags: tuple[str, ...]) -> None:
    result = estimate(local(2026, 11, 2), local(2026, 11, 3), tags=tags)

    assert result.kind is EstimateKind.PREORDER_NO_ETA
    assert result.latest is None
    assert result.remaining_business_days is None
    assert not result.auto_close_eligible


def test_preorder_beats_shipping_method() -> None:
    result = estimate(local(2026, 11, 2), local(2026, 11, 3), "Overnight", tags=("preorder",))

    assert result.kind is EstimateKind.PREORDER_NO_ETA


def test_eta_tag_alone_is_not_preorder() -> None:
    result = estimate(local(2026, 11, 2), local(2026, 11, 3), tags=("eta:2027-01-15",))

    assert result.kind is EstimateKind.IN_WINDOW
    assert result.bucket == "standard"


def test_preorder_tag_must_match_whole() -> None:
    result = estimate(local(2026, 11, 2), local(2026, 11, 3), tags=("not-a-preorder",))

    assert result.kind is EstimateKind.IN_WINDOW


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (("eta:2027-01-15",), date(2027, 1, 15)),
        (("ETA:2027-01-15",), date(2027, 1, 15)),
        ((" eta: 2027-01-15 ",), date(2027, 1, 15)),
        (("eta:2027-01-15", "eta:2027-02-01", "eta:2026-12-20"), date(2027, 2, 1)),
        (("eta:2027-13-01", "eta:2027-01-15"), date(2027, 1, 15)),
        (("eta:tomorrow",), None),
        ((), None),
    ],
)
def test_preorder_eta_parsing(tags: tuple[str, ...], expected: date | None) -> None:
    assert preorder_eta(tags, "eta:") == expected


# --- auto-close eligibility --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "eligible"),
    [
        (EstimateKind.IN_WINDOW, True),
        (EstimateKind.PREORDER_WITH_ETA, True),
        (EstimateKind.LATE, False),
        (EstimateKind.UNKNOWN_METHOD, False),
        (EstimateKind.PREORDER_NO_ETA, False),
    ],
)
def test_auto_close_eligible_by_kind(kind: EstimateKind, eligible: bool) -> None:
    result = DeliveryEstimate(
        kind=kind,
        order_date=date(2026, 11, 2),
        bucket=None,
        earliest=None,
        latest=None,
        business_days_elapsed=None,
        remaining_business_days=None,
    )

    assert result.auto_close_eligible is eligible
