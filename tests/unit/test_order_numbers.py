"""Order numbers in customer text: marked numbers are found, every other number is left out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from richpanel_middleware.orders.order_numbers import extract_order_numbers

FOUND = [
    "#1001",
    "# 1001",
    "#  1001",
    "order 1001",
    "order #1001",
    "order # 1001",
    "order no. 1001",
    "order no 1001",
    "order nr 1001",
    "order nr. 1001",
    "order num 1001",
    "order number 1001",
    "order number is 1001",
    "order number: 1001",
    "order number is: #1001",
    "order: 1001",
    "order id 1001",
    "my order id is 1001",
    "order ID#: 1001",
    "Order#1001",
    "ORDER 1001",
    "Order Number 1001",
    "order    number    1001",
    "order\tnumber\n1001",
    "order-1001",
    "My order is 1001",
    "my order was 1001",
    "pedido 1001",
    "pedido #1001",
    "pedido n.º 1001",
    "pedido nº1001",
    "pedido Nº 1001",
    "pedido n° 1001",
    "pedido № 1001",
    "pedido número 1001",
    "pedido numero 1001",
    "pedido nro. 1001",
    "mi pedido es el 1001",
    "número de pedido 1001",
    "numero de pedido 1001",
    "Número de pedido: 1001",
    "n.º de pedido: 1001",
    "nº de pedido 1001",
    "número de orden 1001",
    "número de mi pedido 1001",
    "orden 1001",
    "orden #1001",
    "Hola, mi pedido 1001 no ha llegado",
    "Where is my order 1001?",
    "Where is my order #1001?",
    "(order 1001)",
    "order 1001.",
    "order 1001, thanks",
    "order 1001!",
]


@pytest.mark.parametrize("text", FOUND)
def test_order_number_formats_found(text: str) -> None:
    assert extract_order_numbers(text) == ("1001",)


@pytest.mark.parametrize(
    "text",
    [
        "order\u00a01001",
        "order\u202f#1001",
        "pedido\u00a0nº\u00a01001",
        "order ＃１００１",
        "ｏｒｄｅｒ　１００１",
        "order #10\u200b01",
        "ORDER NUMBER\u00a0IS\u00a01001",
        "PEDIDO NÚMERO 1001",
    ],
)
def test_unicode_variants_normalised(text: str) -> None:
    assert extract_order_numbers(text) == ("1001",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#NW1001", ("NW1001",)),
        ("#nw1001", ("NW1001",)),
        ("order #NW1001", ("NW1001",)),
        ("#NW1001 and #nw1001", ("NW1001",)),
        ("pedido #ES2002", ("ES2002",)),
    ],
)
def test_letter_prefix_after_hash_kept(text: str, expected: tuple[str, ...]) -> None:
    assert extract_order_numbers(text) == expected


def test_prefix_needs_no_space_after_hash() -> None:
    assert extract_order_numbers("# NW1001") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#1001 and #1002", ("1001", "1002")),
        ("orders 1001 and 1002", ("1001", "1002")),
        ("orders 1001, 1002 and 1003", ("1001", "1002", "1003")),
        ("orders #1001 & #1002", ("1001", "1002")),
        ("orders 1001, and 1002", ("1001", "1002")),
        ("order 1001 or 1002", ("1001", "1002")),
        ("pedidos 1001, 1002 y 1003", ("1001", "1002", "1003")),
        ("pedido 1001 o 1002", ("1001", "1002")),
        ("order 1002, also #1001 and order 1002 again", ("1002", "1001")),
        ("#1001 then order 1001", ("1001",)),
        ("ticket 7777 about order 1001", ("1001",)),
        ("ticket #55555 about order #1001", ("1001",)),
        ("order 1001 placed 2026-11-03, call me at 555-0101", ("1001",)),
        ("order 1001 and 2 items", ("1001",)),
        ("order 1001 and 555-0101", ("1001",)),
        ("order 1001, zip 10001", ("1001",)),
    ],
)
def test_several_numbers_in_order(text: str, expected: tuple[str, ...]) -> None:
    assert extract_order_numbers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#100", ("100",)),
        ("#123456789012", ("123456789012",)),
        ("#12", ()),
        ("#1234567890123", ()),
        ("order 99", ()),
        ("order 0042", ("0042",)),
    ],
)
def test_digit_count_limits(text: str, expected: tuple[str, ...]) -> None:
    assert extract_order_numbers(text) == expected


IGNORED = [
    # Dates and times.
    "2026-11-03",
    "on 2026-11-03",
    "11/03/2026",
    "3.11.2026",
    "03.11.2026",
    "Nov 3 2026",
    "3 de noviembre de 2026",
    "10:30",
    "at 10:30 pm",
    "order 2026-11-03",
    "order 11/03/2026",
    "order from Nov 3 2026",
    "order at 1030 am",
    # Phone numbers.
    "555-0101",
    "call 555-0101",
    "(555) 010-1234",
    "+1 555 010 1234",
    "+34 612 345 678",
    "order 555-0101",
    "order number 612 345 678",
    "phone #555-0101",
    # Prices and amounts.
    "$10.01",
    "1001 USD",
    "10,01 €",
    "1001 dollars",
    "order 1001 USD",
    "order 1001 dollars",
    "order 1001$",
    "order 10,01 €",
    "order #10.01",
    "order 100 %",
    "pedido 1001 euros",
    # Postal codes.
    "zip 10001",
    "zip code 10001",
    "postal code 10001",
    "código postal 28001",
    "zip #10001",
    # Quantities and durations.
    "2 items",
    "ordered 3 pairs",
    "ordered 100 pairs",
    "order 100 items",
    "pedido 200 unidades",
    "order 365 days ago",
    # Years alone.
    "in 2026",
    "my order in 2026",
    # Tracking numbers.
    "1Z999AA10123456784",
    "tracking 1Z999AA10123456784",
    "tracking #1Z999AA10123456784",
    "tracking number #123456789012",
    "94001118992234567890",
    "order 94001118992234567890",
    "order #94001118992234567890",
    "order 1Z999AA10123456784",
    # Other identifiers.
    "ticket 1001",
    "case 1001",
    "room 1001",
    "apartment 1001",
    "ticket #1001",
    "case no. #1001",
    "room #1001",
    "apt. #1001",
    "suite #1001",
    "incidencia #1001",
    "invoice 1001",
    # Bare numbers and near misses.
    "1001",
    "reorder 1001",
    "ordered 1001",
    "borderline 1001",
    "the order of 1001 things",
    "&#8217;",
    "",
    "   ",
]


@pytest.mark.parametrize("text", IGNORED)
def test_other_numbers_ignored(text: str) -> None:
    assert extract_order_numbers(text) == ()


def test_message_with_everything() -> None:
    text = (
        "Hi! I ordered 3 pairs on 2026-11-03 at 10:30 for $120.50 (ticket 4242). "
        "My order number is #NW1001, zip 10001, phone +1 555 010 1234. "
        "Tracking 1Z999AA10123456784 shows nothing. Also pedido nº 2002?"
    )

    assert extract_order_numbers(text) == ("NW1001", "2002")


@given(st.text())
def test_never_raises_and_returns_valid_numbers(text: str) -> None:
    numbers = extract_order_numbers(text)

    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        assert digits.isascii()
        assert digits.isdigit()
        assert 3 <= len(digits) <= 12


@given(st.integers(min_value=100, max_value=999_999_999_999))
def test_any_marked_number_found(value: int) -> None:
    assert extract_order_numbers(f"order #{value}, thanks") == (str(value),)
