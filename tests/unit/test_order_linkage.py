"""Order linkage: the Richpanel link, order number plus contact, e-mail only, and failures."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from richpanel_middleware.helpdesk.errors import RichpanelServerError, RichpanelUnauthorized
from richpanel_middleware.orders.linkage import (
    CustomerContact,
    MatchMethod,
    OrderMatch,
    contact_matches,
    find_order,
)
from richpanel_middleware.orders.model import Order, OrderSourceName
from richpanel_middleware.pipeline.errors import CredentialsError, RetryableError

CONVERSATION_ID = "conv-42"
CUSTOMER_EMAIL = "ana.lopez@example.com"
CUSTOMER_PHONE = "(305) 555-0187"
CUSTOMER = CustomerContact(email=CUSTOMER_EMAIL, phone=CUSTOMER_PHONE)
CREATED_AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
LINKAGE_LOGGER = "richpanel_middleware.orders.linkage"


def make_order(
    number: str = "#1001",
    *,
    email: str | None = CUSTOMER_EMAIL,
    phone: str | None = None,
    source: OrderSourceName = OrderSourceName.SHOPIFY,
) -> Order:
    return Order(number=number, source=source, created_at=CREATED_AT, email=email, phone=phone)


class FakeLinkedSource:
    """Returns one fixed linked order (or raises one error) and records the conversation ids."""

    def __init__(self, order: Order | None = None, error: Exception | None = None) -> None:
        self.order = order
        self.error = error
        self.calls: list[str] = []

    def linked_order(self, conversation_id: str) -> Order | None:
        self.calls.append(conversation_id)
        if self.error is not None:
            raise self.error
        return self.order


class FakeSearch:
    """Returns the same orders for every query, so `find_order` must filter them, and records calls."""

    def __init__(
        self,
        by_number: Sequence[Order] = (),
        by_email: Sequence[Order] = (),
        error: Exception | None = None,
    ) -> None:
        self.by_number = list(by_number)
        self.by_email = list(by_email)
        self.error = error
        self.number_calls: list[str] = []
        self.email_calls: list[str] = []

    def orders_by_number(self, number: str) -> list[Order]:
        self.number_calls.append(number)
        if self.error is not None:
            raise self.error
        return list(self.by_number)

    def orders_by_email(self, email: str, *, limit: int = 5) -> list[Order]:
        self.email_calls.append(email)
        if self.error is not None:
            raise self.error
        return list(self.by_email[:limit])


class StoreCredentialsRejected(CredentialsError):
    pass


class StoreUnavailable(RetryableError):
    pass


def link(
    text: str,
    *,
    customer: CustomerContact = CUSTOMER,
    linked: FakeLinkedSource | None = None,
    search: FakeSearch | None = None,
    email_only: bool = False,
) -> OrderMatch:
    return find_order(
        conversation_id=CONVERSATION_ID,
        text=text,
        customer=customer,
        linked=linked,
        search=search,
        email_only=email_only,
        phone_region="US",
    )


# --- the order Richpanel links to the conversation ---------------------------------------------


def test_link_used_when_no_number_given() -> None:
    linked_order = make_order("#1001", source=OrderSourceName.RICHPANEL)
    linked = FakeLinkedSource(linked_order)
    search = FakeSearch(by_number=[make_order("#1001")])

    match = link("Where is my package?", linked=linked, search=search)

    assert match.method is MatchMethod.RICHPANEL_LINK
    assert match.order is linked_order
    assert match.matched
    assert match.order_number == "#1001"
    assert linked.calls == [CONVERSATION_ID]
    assert search.number_calls == []
    assert search.email_calls == []


@pytest.mark.parametrize(
    ("text", "linked_number"),
    [
        ("Where is order #1001?", "#1001"),
        ("my order number is 1001", "#1001"),
        ("order #NW1001 please", "nw1001"),
    ],
)
def test_link_used_when_same_number_given(text: str, linked_number: str) -> None:
    linked_order = make_order(linked_number)
    search = FakeSearch(by_number=[make_order("#1001")])

    match = link(text, linked=FakeLinkedSource(linked_order), search=search)

    assert match.method is MatchMethod.RICHPANEL_LINK
    assert match.order is linked_order
    assert search.number_calls == []


def test_link_ignored_for_different_number() -> None:
    linked_order = make_order("#1001")
    requested_order = make_order("#2002")
    search = FakeSearch(by_number=[requested_order])

    match = link("Any news on order #2002?", linked=FakeLinkedSource(linked_order), search=search)

    assert match.method is MatchMethod.ORDER_NUMBER_AND_CONTACT
    assert match.order is requested_order
    assert match.order_number == "#2002"
    assert search.number_calls == ["2002"]


def test_link_ignored_then_contact_checked() -> None:
    linked_order = make_order("#1001")
    requested_order = make_order("#2002", email="someone.else@example.com")
    search = FakeSearch(by_number=[requested_order])

    match = link("Any news on order #2002?", linked=FakeLinkedSource(linked_order), search=search)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert not match.matched
    assert match.reason == "contact_mismatch"
    assert match.order_number == "#2002"


def test_link_ignored_without_search() -> None:
    match = link("Any news on order #2002?", linked=FakeLinkedSource(make_order("#1001")))

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.reason == "store_search_not_configured"
    assert match.order_number == "#2002"


def test_several_numbers_ambiguous() -> None:
    linked = FakeLinkedSource(make_order("#1001"))
    search = FakeSearch(by_number=[make_order("#1001"), make_order("#1002")])

    match = link("I placed orders 1001 and 1002", linked=linked, search=search)

    assert match.method is MatchMethod.AMBIGUOUS
    assert match.order is None
    assert match.reason == "several_order_numbers"
    assert search.number_calls == []


def test_same_number_twice_not_ambiguous() -> None:
    order = make_order("#1001")

    match = link("order #1001 ... again, order #1001", search=FakeSearch(by_number=[order]))

    assert match.method is MatchMethod.ORDER_NUMBER_AND_CONTACT
    assert match.order is order


# --- order number plus the customer's e-mail or phone ------------------------------------------


@pytest.mark.parametrize(
    ("order_email", "customer_email"),
    [
        ("ana.lopez@example.com", "ana.lopez@example.com"),
        ("Ana.Lopez@Example.COM", "ana.lopez@example.com"),
        ("ana.lopez@example.com", "  ANA.LOPEZ@example.com \n"),
    ],
)
def test_number_and_email_match(order_email: str, customer_email: str) -> None:
    order = make_order("#1001", email=order_email)
    customer = CustomerContact(email=customer_email, phone=None)

    match = link("order #1001", customer=customer, search=FakeSearch(by_number=[order]))

    assert match.method is MatchMethod.ORDER_NUMBER_AND_CONTACT
    assert match.order is order
    assert match.order_number == "#1001"
    assert match.reason == ""
    assert not match.lookup_failed


@pytest.mark.parametrize(
    ("order_phone", "customer_phone"),
    [
        ("+1 305 555 0187", "(305) 555-0187"),
        ("(305) 555-0187", "+1 305 555 0187"),
        ("+13055550187", "305.555.0187"),
    ],
)
def test_number_and_phone_match(order_phone: str, customer_phone: str) -> None:
    order = make_order("#1001", email=None, phone=order_phone)
    customer = CustomerContact(email=None, phone=customer_phone)

    match = link("order #1001", customer=customer, search=FakeSearch(by_number=[order]))

    assert match.method is MatchMethod.ORDER_NUMBER_AND_CONTACT
    assert match.order is order


def test_phone_match_when_email_differs() -> None:
    order = make_order("#1001", email="old.address@example.com", phone="+1 305 555 0187")

    match = link("order #1001", search=FakeSearch(by_number=[order]))

    assert match.method is MatchMethod.ORDER_NUMBER_AND_CONTACT
    assert match.order is order


def test_contact_mismatch_returns_no_order() -> None:
    order = make_order("#1001", email="someone.else@example.com", phone="+1 212 555 0100")

    match = link("order #1001", search=FakeSearch(by_number=[order]))

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.reason == "contact_mismatch"
    assert match.order_number == "#1001"
    assert not match.lookup_failed


def test_order_not_found() -> None:
    search = FakeSearch(by_number=[])

    match = link("order #1001", search=search)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.reason == "order_not_found"
    assert match.order_number == "#1001"
    assert search.number_calls == ["1001"]


def test_near_number_counts_as_not_found() -> None:
    search = FakeSearch(by_number=[make_order("#10010"), make_order("#11001")])

    match = link("order #1001", search=search)

    assert match.method is MatchMethod.NONE
    assert match.reason == "order_not_found"


def test_two_orders_same_number_ambiguous() -> None:
    search = FakeSearch(by_number=[make_order("#1001"), make_order("1001")])

    match = link("order #1001", search=search)

    assert match.method is MatchMethod.AMBIGUOUS
    assert match.order is None
    assert match.reason == "several_orders"
    assert match.order_number == "#1001"


def test_two_orders_one_contact_matches() -> None:
    mine = make_order("#1001")
    other = make_order("#1001", email="someone.else@example.com")

    match = link("order #1001", search=FakeSearch(by_number=[other, mine]))

    assert match.method is MatchMethod.ORDER_NUMBER_AND_CONTACT
    assert match.order is mine


def test_contact_matches_needs_a_shared_value() -> None:
    order = make_order("#1001", email="ana.lopez@example.com", phone="+1 305 555 0187")

    assert (
        contact_matches(order, CustomerContact(email=None, phone=None), phone_region="US") is False
    )
    assert (
        contact_matches(
            order, CustomerContact(email="other@example.com", phone="n/a"), phone_region="US"
        )
        is False
    )
    assert (
        contact_matches(order, CustomerContact(email=None, phone="305-555-0187"), phone_region="US")
        is True
    )


def test_contact_matches_ignores_blank_values() -> None:
    order = make_order("#1001", email="", phone="   ")
    customer = CustomerContact(email="", phone="   ")

    assert contact_matches(order, customer, phone_region="US") is False


def test_contact_matches_uses_phone_region() -> None:
    order = make_order("#1001", email=None, phone="+34 612 345 678")
    customer = CustomerContact(email=None, phone="612 345 678")

    assert contact_matches(order, customer, phone_region="ES") is True
    assert contact_matches(order, customer, phone_region="US") is False


# --- e-mail only ---------------------------------------------------------------------------------


def test_email_only_off_returns_none() -> None:
    search = FakeSearch(by_email=[make_order("#1001")])

    match = link("Where is my package?", search=search, email_only=False)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.reason == "no_order_number"
    assert search.email_calls == []


def test_email_only_single_order() -> None:
    order = make_order("#1001", email="Ana.Lopez@example.com")
    search = FakeSearch(by_email=[order])

    match = link("Where is my package?", search=search, email_only=True)

    assert match.method is MatchMethod.EMAIL_ONLY
    assert match.order is order
    assert match.order_number == "#1001"
    assert search.email_calls == [CUSTOMER_EMAIL]


def test_email_only_two_orders_ambiguous() -> None:
    search = FakeSearch(by_email=[make_order("#1001"), make_order("#1002")])

    match = link("Where is my package?", search=search, email_only=True)

    assert match.method is MatchMethod.AMBIGUOUS
    assert match.order is None
    assert match.reason == "several_orders_for_email"


def test_email_only_skips_other_emails() -> None:
    mine = make_order("#1001")
    other = make_order("#1002", email="ana.lopez+shop@example.com")

    match = link("Where is my package?", search=FakeSearch(by_email=[other, mine]), email_only=True)

    assert match.method is MatchMethod.EMAIL_ONLY
    assert match.order is mine


def test_email_only_without_orders() -> None:
    match = link("Where is my package?", search=FakeSearch(by_email=[]), email_only=True)

    assert match.method is MatchMethod.NONE
    assert match.reason == "no_order_for_email"


def test_email_only_without_customer_email() -> None:
    search = FakeSearch(by_email=[make_order("#1001")])
    customer = CustomerContact(email=None, phone=CUSTOMER_PHONE)

    match = link("Where is my package?", customer=customer, search=search, email_only=True)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert search.email_calls == []


def test_number_wins_over_email_only() -> None:
    by_number = make_order("#2002")
    search = FakeSearch(by_number=[by_number], by_email=[make_order("#1001")])

    match = link("order #2002", search=search, email_only=True)

    assert match.method is MatchMethod.ORDER_NUMBER_AND_CONTACT
    assert match.order is by_number
    assert search.email_calls == []


# --- no search, failed lookups -------------------------------------------------------------------


def test_no_search_without_number() -> None:
    match = link("Where is my package?", linked=FakeLinkedSource(None), email_only=True)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.reason == "no_order_number"
    assert match.order_number is None
    assert not match.lookup_failed


def test_no_search_with_number() -> None:
    match = link("order #1001", linked=None)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.reason == "store_search_not_configured"
    assert match.order_number == "#1001"


def test_credentials_error_fails_lookup(caplog: pytest.LogCaptureFixture) -> None:
    search = FakeSearch(error=StoreCredentialsRejected("401 from the store"))

    with caplog.at_level(logging.DEBUG, logger=LINKAGE_LOGGER):
        match = link("order #1001", search=search)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.lookup_failed
    assert match.reason == "lookup_credentials_rejected"
    assert match.order_number == "#1001"
    records = [r for r in caplog.records if r.name == LINKAGE_LOGGER]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert getattr(records[0], "event", None) == "order_lookup_credentials_rejected"
    assert getattr(records[0], "error_type", None) == "StoreCredentialsRejected"
    assert getattr(records[0], "alert", None) is True


def test_retryable_error_fails_lookup(caplog: pytest.LogCaptureFixture) -> None:
    search = FakeSearch(error=StoreUnavailable("store timed out"))

    with caplog.at_level(logging.DEBUG, logger=LINKAGE_LOGGER):
        match = link("order #1001", search=search)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.lookup_failed
    assert match.reason == "lookup_failed"
    records = [r for r in caplog.records if r.name == LINKAGE_LOGGER]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert getattr(records[0], "event", None) == "order_lookup_failed"
    assert getattr(records[0], "alert", None) is False


def test_email_only_search_error_fails_lookup(caplog: pytest.LogCaptureFixture) -> None:
    search = FakeSearch(error=StoreUnavailable("store timed out"))

    with caplog.at_level(logging.DEBUG, logger=LINKAGE_LOGGER):
        match = link("Where is my package?", search=search, email_only=True)

    assert match.method is MatchMethod.NONE
    assert match.lookup_failed
    assert match.order_number is None
    assert [r.levelno for r in caplog.records if r.name == LINKAGE_LOGGER] == [logging.WARNING]


@pytest.mark.parametrize("error_type", [StoreCredentialsRejected, StoreUnavailable])
@pytest.mark.parametrize(
    ("text", "email_only"), [("order #1001", False), ("Where is my package?", True)]
)
def test_failure_logs_omit_contact(
    caplog: pytest.LogCaptureFixture,
    error_type: type[Exception],
    text: str,
    email_only: bool,
) -> None:
    # The error message contains the e-mail and phone, so logging the message would leak them.
    error = error_type(f"lookup for {CUSTOMER_EMAIL} / {CUSTOMER_PHONE} failed")
    search = FakeSearch(error=error)

    with caplog.at_level(logging.DEBUG):
        match = link(text, search=search, email_only=email_only)

    assert match.lookup_failed
    assert caplog.records
    for record in caplog.records:
        rendered = " ".join([record.getMessage(), *(str(v) for v in record.__dict__.values())])
        assert CUSTOMER_EMAIL not in rendered.casefold()
        assert CUSTOMER_PHONE not in rendered
        assert "555-0187" not in rendered
        assert "5550187" not in rendered


@pytest.mark.parametrize(
    "error",
    [
        RichpanelServerError("Richpanel returned 503", status_code=503),
        RichpanelUnauthorized("Richpanel rejected the API key", status_code=401),
    ],
)
def test_richpanel_error_propagates(error: Exception) -> None:
    linked = FakeLinkedSource(error=error)
    search = FakeSearch(by_number=[make_order("#1001")])

    with pytest.raises(type(error)):
        link("order #1001", linked=linked, search=search)

    assert search.number_calls == []


def test_summary_lists_decision_fields() -> None:
    search = FakeSearch(error=StoreUnavailable("store timed out"))

    summary = link("order #1001", search=search).summary()

    assert summary == {
        "method": "none",
        "order_number": "#1001",
        "reason": "lookup_failed",
        "lookup_failed": True,
    }


@pytest.mark.parametrize("method", [MatchMethod.NONE, MatchMethod.AMBIGUOUS])
def test_order_without_a_match_method_is_no_match(method: MatchMethod) -> None:
    result = OrderMatch(method, order=make_order("#1001"))

    assert not result.matched


def test_linked_order_with_other_contact_is_no_match() -> None:
    linked_order = make_order("#1001", email="someone.else@example.com", phone="+1 212 555 0199")

    match = link("Where is my package?", linked=FakeLinkedSource(linked_order), search=None)

    assert match.method is MatchMethod.NONE
    assert match.order is None
    assert match.reason == "linked_order_contact_mismatch"


def test_linked_order_without_comparable_contact_is_trusted() -> None:
    linked_order = make_order("#1001", email=None, phone="+1 212 555 0199")
    customer = CustomerContact(email=CUSTOMER_EMAIL, phone=None)

    match = link(
        "Where is my package?",
        linked=FakeLinkedSource(linked_order),
        search=None,
        customer=customer,
    )

    assert match.method is MatchMethod.RICHPANEL_LINK


def test_seven_digit_local_phones_do_not_match() -> None:
    order = make_order("#1001", email=None, phone="555-0187")
    customer = CustomerContact(email=None, phone="555-0187")

    assert not contact_matches(order, customer, phone_region="US")
