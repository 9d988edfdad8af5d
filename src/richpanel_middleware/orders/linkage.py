"""Deterministic order linkage: exactly one order, or no match.

An order counts as the conversation's order only when
(a) Richpanel links it to the conversation, or
(b) the customer wrote its order number and the order's e-mail or phone equals the
    conversation customer's, or
(c) e-mail-only matching is switched on and the customer's e-mail has exactly one order.
Several candidates are never narrowed down by guessing (no "most recent"). The result is
`AMBIGUOUS`, and policy asks the customer instead. The sources are ports, so this module
does no I/O of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import phonenumbers

from richpanel_middleware.orders.model import Order, normalize_order_number
from richpanel_middleware.orders.order_numbers import extract_order_numbers
from richpanel_middleware.pipeline.errors import CredentialsError, PipelineError

_logger = logging.getLogger(__name__)


class MatchMethod(StrEnum):
    RICHPANEL_LINK = "richpanel_link"
    ORDER_NUMBER_AND_CONTACT = "order_number_and_contact"
    EMAIL_ONLY = "email_only"
    NONE = "none"
    AMBIGUOUS = "ambiguous"


MATCHED_METHODS = frozenset(
    {MatchMethod.RICHPANEL_LINK, MatchMethod.ORDER_NUMBER_AND_CONTACT, MatchMethod.EMAIL_ONLY}
)


@dataclass(frozen=True, slots=True)
class OrderMatch:
    """The result of linkage. `order` is set exactly when a deterministic match was found.

    `order_number` is the matched order's number, or the number the customer asked about.
    `reason` gives why there is no match (for the decision record); `lookup_failed` marks a
    source that was unreachable or rejected our credentials.
    """

    method: MatchMethod
    order: Order | None = None
    order_number: str | None = None
    reason: str = ""
    lookup_failed: bool = False

    @property
    def matched(self) -> bool:
        """An order is present and came from one of the deterministic methods."""
        return self.order is not None and self.method in MATCHED_METHODS

    def summary(self) -> dict[str, object]:
        return {
            "method": self.method.value,
            "order_number": self.order_number,
            "reason": self.reason,
            "lookup_failed": self.lookup_failed,
        }


@dataclass(frozen=True, slots=True)
class CustomerContact:
    email: str | None
    phone: str | None


class LinkedOrderSource(Protocol):
    """The order the helpdesk links to a conversation (Richpanel's order endpoints)."""

    def linked_order(self, conversation_id: str) -> Order | None: ...


class OrderSearch(Protocol):
    """Order search in the store (Shopify). Errors are `PipelineError` subclasses."""

    def orders_by_number(self, number: str) -> list[Order]: ...

    def orders_by_email(self, email: str, *, limit: int = 5) -> list[Order]: ...


def find_order(
    *,
    conversation_id: str,
    text: str,
    customer: CustomerContact,
    linked: LinkedOrderSource | None,
    search: OrderSearch | None,
    email_only: bool,
    phone_region: str,
) -> OrderMatch:
    """Link the conversation to exactly one order, or explain why not.

    Richpanel errors other than "no link" propagate, so the event is retried like any
    other helpdesk failure. Store search errors end in a failed lookup (the reply is
    withheld and a person takes over), logged as an alert for rejected credentials.
    """
    numbers = extract_order_numbers(text)
    if len(numbers) > 1:
        return OrderMatch(MatchMethod.AMBIGUOUS, reason="several_order_numbers")
    asked = numbers[0] if numbers else None

    linked_order = linked.linked_order(conversation_id) if linked is not None else None
    if linked_order is not None and (
        asked is None
        or normalize_order_number(asked) == normalize_order_number(linked_order.number)
    ):
        if _contact_contradicts(linked_order, customer, phone_region):
            # Richpanel's link is trusted, but an order whose e-mail and phone both differ
            # from the customer's is a cheap sign of a wrong link: ask instead.
            return OrderMatch(
                MatchMethod.NONE,
                order_number=linked_order.number,
                reason="linked_order_contact_mismatch",
            )
        return OrderMatch(MatchMethod.RICHPANEL_LINK, linked_order, linked_order.number)

    if search is None:
        return OrderMatch(
            MatchMethod.NONE,
            order_number=_display(asked),
            reason="store_search_not_configured" if asked else "no_order_number",
        )
    try:
        if asked is not None:
            return _match_by_number(asked, customer, search, phone_region)
        if email_only and customer.email and "@" in customer.email:
            return _match_by_email(customer.email, search)
    except PipelineError as error:
        credentials = isinstance(error, CredentialsError)
        _logger.log(
            logging.ERROR if credentials else logging.WARNING,
            "store rejected the configured credentials; order lookups fail until it is fixed"
            if credentials
            else "order lookup failed; a person takes over",
            extra={
                "event": "order_lookup_credentials_rejected"
                if credentials
                else "order_lookup_failed",
                "error_type": type(error).__name__,
                "alert": credentials,
            },
        )
        return OrderMatch(
            MatchMethod.NONE,
            order_number=_display(asked),
            reason="lookup_credentials_rejected" if credentials else "lookup_failed",
            lookup_failed=True,
        )
    return OrderMatch(MatchMethod.NONE, reason="no_order_number")


def contact_matches(order: Order, customer: CustomerContact, *, phone_region: str) -> bool:
    """True when the order's e-mail or phone equals the customer's (normalised)."""
    if order.email and customer.email and _email_key(order.email) == _email_key(customer.email):
        return True
    order_phone = _phone_key(order.phone, phone_region)
    return order_phone is not None and order_phone == _phone_key(customer.phone, phone_region)


def _contact_contradicts(order: Order, customer: CustomerContact, phone_region: str) -> bool:
    """True when both sides carry a comparable contact and none of them agree."""
    comparable = bool(order.email and customer.email) or (
        _phone_key(order.phone, phone_region) is not None
        and _phone_key(customer.phone, phone_region) is not None
    )
    return comparable and not contact_matches(order, customer, phone_region=phone_region)


def _match_by_number(
    asked: str, customer: CustomerContact, search: OrderSearch, phone_region: str
) -> OrderMatch:
    candidates = _exact(search.orders_by_number(asked), asked)
    confirmed = [o for o in candidates if contact_matches(o, customer, phone_region=phone_region)]
    if len(confirmed) == 1:
        order = confirmed[0]
        return OrderMatch(MatchMethod.ORDER_NUMBER_AND_CONTACT, order, order.number)
    if len(confirmed) > 1:
        return OrderMatch(
            MatchMethod.AMBIGUOUS, order_number=_display(asked), reason="several_orders"
        )
    return OrderMatch(
        MatchMethod.NONE,
        order_number=_display(asked),
        reason="contact_mismatch" if candidates else "order_not_found",
    )


def _match_by_email(email: str, search: OrderSearch) -> OrderMatch:
    key = _email_key(email)
    orders = [o for o in search.orders_by_email(email) if o.email and _email_key(o.email) == key]
    if len(orders) == 1:
        return OrderMatch(MatchMethod.EMAIL_ONLY, orders[0], orders[0].number)
    if orders:
        return OrderMatch(MatchMethod.AMBIGUOUS, reason="several_orders_for_email")
    return OrderMatch(MatchMethod.NONE, reason="no_order_for_email")


def _exact(orders: Sequence[Order], asked: str) -> list[Order]:
    wanted = normalize_order_number(asked)
    return [o for o in orders if normalize_order_number(o.number) == wanted]


def _display(number: str | None) -> str | None:
    return None if number is None else f"#{number.lstrip('#')}"


def _email_key(value: str) -> str:
    return value.strip().casefold()


def _phone_key(value: str | None, region: str) -> str | None:
    if not value or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    # Seven-digit local numbers would match across area codes.
    if not phonenumbers.is_possible_number(parsed) or len(str(parsed.national_number)) < 8:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
