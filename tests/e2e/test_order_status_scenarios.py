"""Verified order status end to end: real HTTP against the Richpanel and Shopify sandboxes.

Each scenario creates a conversation with a customer profile, seeds the store's orders
(and Richpanel's link when there is one), pins the estimate clock to a Wednesday, fires
the webhook and reads back what the customer received.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from richpanel_middleware.domain.tags import template_tag
from richpanel_middleware.helpdesk.richpanel import encode_path_segment
from richpanel_middleware.runtime.local.clocks import ConversationClock
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.sandbox.seed_orders import SeedOrder
from richpanel_middleware.sandbox.shopify_app import create_shopify_sandbox
from richpanel_middleware.sandbox.shopify_state import ShopifySandboxSettings
from tests.conftest import Pipeline, Sandbox

pytestmark = pytest.mark.timeout(120)

# A Wednesday, so business-day windows below do not depend on the day the suite runs.
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CUSTOMER = {"email": "dana.fields@example.com", "phone": "+1 305 555 0187", "first_name": "Dana"}
APP_CLIENT_ID = "scenario-store"

# What a reply must never contain: e-mail addresses, prices, street addresses, item names.
FORBIDDEN_IN_REPLY = (
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    re.compile(r"[$€£]\s?\d|\d\s?(?:USD|EUR|dollars)\b", re.IGNORECASE),
    re.compile(r"\b\d{1,5}\s+\w+\s+(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.)", re.IGNORECASE),
    re.compile(r"Trail Runner|Wool Socks", re.IGNORECASE),
)


@dataclass
class Store:
    server: ServerThread
    token: str
    admin: httpx.Client

    def seed(self, order: dict[str, Any]) -> str:
        response = self.admin.post("/_sandbox/shopify/orders", json=order)
        response.raise_for_status()
        return str(response.json()["id"]).rsplit("/", 1)[-1]

    def faults(self, **faults: Any) -> None:
        self.admin.post("/_sandbox/shopify/faults", json=faults).raise_for_status()


@pytest.fixture
def store() -> Iterator[Store]:
    token = f"shpat_{secrets.token_hex(8)}"
    app, _ = create_shopify_sandbox(ShopifySandboxSettings(access_token=token))
    with ServerThread(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as admin:
        admin.post("/_sandbox/shopify/config", json={"now": NOW.isoformat()}).raise_for_status()
        yield Store(server, token, admin)


@dataclass
class Outcome:
    summary: dict[str, Any]
    record: dict[str, Any]

    @property
    def tags(self) -> list[str]:
        return list(self.summary["tags"])

    @property
    def replies(self) -> list[str]:
        return list(self.summary["reply_texts"])

    @property
    def plan(self) -> dict[str, Any]:
        return dict(self.record.get("plan") or {})


class Scenarios:
    def __init__(self, sandbox: Sandbox, store: Store, pipeline: Pipeline) -> None:
        self.sandbox = sandbox
        self.store = store
        self.pipeline = pipeline
        self.clock: ConversationClock = pipeline.stack.worker._orders.clock  # type: ignore[union-attr,assignment]

    def run(
        self,
        text: str,
        *,
        orders: list[dict[str, Any]] = (),  # type: ignore[assignment]
        linked: str | None = None,
        customer: dict[str, str] | None = None,
        channel: str = "email",
    ) -> Outcome:
        conversation = self.sandbox.create(
            text, channel=channel, fire=False, customer=customer or CUSTOMER
        )
        ticket_id = conversation["ticket_id"]
        for order in orders:
            order_id = self.store.seed(order)
            if linked is not None and order["number"] == linked:
                wire = SeedOrder.model_validate(order).to_richpanel_order(order_id)
                self.sandbox.admin.post(
                    "/_sandbox/orders",
                    json={
                        "app_client_id": APP_CLIENT_ID,
                        "order_id": order_id,
                        "order": wire,
                        "conversation_id": ticket_id,
                    },
                ).raise_for_status()
        self.clock.pin(ticket_id, NOW)
        self.fire(ticket_id)
        return self.outcome(ticket_id)

    def fire(self, ticket_id: str) -> None:
        self.sandbox.admin.post(
            f"/_sandbox/conversations/{encode_path_segment(ticket_id)}/fire-webhook"
        ).raise_for_status()
        assert self.pipeline.drain(timeout_s=60)

    def outcome(self, ticket_id: str) -> Outcome:
        record = self.pipeline.stack.decisions.latest_for(ticket_id) or {}
        return Outcome(self.sandbox.summary(ticket_id), record)


@pytest.fixture
def scenarios(sandbox: Sandbox, store: Store, start_pipeline: Callable[..., Pipeline]) -> Scenarios:
    from pydantic import SecretStr

    pipeline = start_pipeline(
        estimate_clock=ConversationClock(),
        shopify_shop_url=store.server.base_url,
        shopify_access_token=SecretStr(store.token),
    )
    pipeline.stack.flags.set("tier2_rollout_percent", 100)
    return Scenarios(sandbox, store, pipeline)


def order(number: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": number,
        "email": CUSTOMER["email"],
        "created_at": "2026-11-24T14:05:00Z",
        "shipping_method": "Standard Shipping",
        "financial_status": "paid",
        "fulfillment_status": "unfulfilled",
    }
    return {**base, **fields}


def tracked(carrier: str, number: str, **fields: Any) -> dict[str, Any]:
    return {
        "status": "in_transit",
        "carrier": carrier,
        "tracking_number": number,
        "shipped_at": "2026-11-25T18:00:00Z",
        **fields,
    }


WHERE_IS_MY_ORDER = (
    "Hi,\n\nWhere is my order? I placed it last week and would like to know when it will "
    "arrive.\n\nThanks,\nDana"
)


def assert_clean_reply(text: str) -> None:
    for pattern in FORBIDDEN_IN_REPLY:
        assert not pattern.search(text), f"reply contains {pattern.pattern!r}"
    assert "{{" not in text
    assert "}}" not in text
    assert "None" not in text
    assert "()" not in text
    assert ": \n" not in text


def assert_verified(outcome: Outcome, template_id: str) -> str:
    assert outcome.plan["tier"] == 2, outcome.plan["gates"]
    assert outcome.plan["template_id"] == template_id
    assert template_tag(template_id) in outcome.tags
    assert len(outcome.replies) == 1
    assert_clean_reply(outcome.replies[0])
    return outcome.replies[0]


def assert_no_order_fact(outcome: Outcome, *facts: str) -> None:
    for reply in outcome.replies:
        assert_clean_reply(reply)
        for fact in facts:
            assert fact not in reply


def test_linked_order_with_one_tracked_shipment(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[
            order(
                "#2001",
                fulfillment_status="fulfilled",
                fulfillments=[tracked("UPS", "1Z999AA10123456784")],
            )
        ],
        linked="#2001",
    )
    reply = assert_verified(outcome, "t_order_status_verified")
    assert outcome.record["order_match"]["method"] == "richpanel_link"
    assert "#2001" in reply
    assert "1Z999AA10123456784" in reply
    assert "https://" in reply
    assert "ups.com" in reply
    assert not outcome.summary["closed"]
    assert "mw-auto-closed" not in outcome.tags


def test_two_shipments_one_untracked(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[
            order(
                "#2002",
                fulfillment_status="partially_fulfilled",
                fulfillments=[
                    tracked("FedEx", "449044304137821"),
                    {"status": "success", "shipped_at": "2026-11-26T10:00:00Z"},
                ],
            )
        ],
        linked="#2002",
    )
    reply = assert_verified(outcome, "t_order_status_verified")
    assert "449044304137821" in reply
    assert re.search(r"not shipped|hasn't shipped|has not shipped|rest of", reply, re.IGNORECASE)
    assert not outcome.summary["closed"]


def test_no_tracking_inside_the_window_replies_and_closes(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[order("#2003", created_at="2026-11-30T16:00:00Z")],
        linked="#2003",
    )
    reply = assert_verified(outcome, "t_order_eta_no_tracking_verified")
    # Ordered Monday; standard is 3-5 business days, so by Monday 7 December, which is also
    # the earliest day an order shipped on Wednesday can arrive.
    assert "December 7, 2026" in reply
    assert "reply" in reply.lower()
    assert outcome.summary["closed"] is True
    assert "mw-auto-closed" in outcome.tags
    assert outcome.record["order_answer"]["auto_close_eligible"] is True


def test_late_order_goes_to_person(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[order("#2004", created_at="2026-11-16T11:00:00Z")],
        linked="#2004",
    )
    assert_verified(outcome, "t_shipping_delay_verified")
    assert not outcome.summary["closed"]
    assert "mw-escalated-human" in outcome.tags
    assert outcome.record["order_answer"]["basis"] == "late"


def test_unknown_shipping_method_goes_to_a_person(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[
            order("#2005", created_at="2026-11-30T16:00:00Z", shipping_method="Carrier pigeon")
        ],
        linked="#2005",
    )
    assert_verified(outcome, "t_shipping_delay_verified")
    assert outcome.record["order_answer"]["basis"] == "unknown_method"
    assert not outcome.summary["closed"]
    assert "mw-escalated-human" in outcome.tags


def test_preorder_with_eta_gets_the_date(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[
            order("#2006", created_at="2026-11-10T13:00:00Z", tags=["pre-order", "eta:2026-12-18"])
        ],
        linked="#2006",
    )
    reply = assert_verified(outcome, "t_order_eta_no_tracking_verified")
    assert "December 18, 2026" in reply
    assert outcome.summary["closed"] is True


def test_preorder_without_eta_goes_to_a_person(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[order("#2007", created_at="2026-11-10T13:00:00Z", tags=["pre-order"])],
        linked="#2007",
    )
    assert_verified(outcome, "t_shipping_delay_verified")
    assert outcome.record["order_answer"]["basis"] == "preorder_no_eta"
    assert not outcome.summary["closed"]


def test_order_number_in_the_message_with_matching_email(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        "Hello, where is my order #2008? It should have shipped by now.",
        orders=[
            order(
                "#2008",
                fulfillment_status="fulfilled",
                fulfillments=[tracked("USPS", "9400111899223197428490")],
            )
        ],
    )
    reply = assert_verified(outcome, "t_order_status_verified")
    assert outcome.record["order_match"] == {
        "method": "order_number_and_contact",
        "order_number": "#2008",
        "reason": "",
        "lookup_failed": False,
    }
    assert "9400111899223197428490" in reply
    metrics = httpx.get(f"{scenarios.pipeline.ingress.base_url}/metrics").text
    assert (
        'rpmw_order_lookups_total{failed="false",method="order_number_and_contact"} 1.0' in metrics
    )


def test_order_number_with_a_different_email_discloses_nothing(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        "Hello, where is my order #2009? It should have shipped by now.",
        orders=[
            order(
                "#2009",
                email="someone.else@example.org",
                fulfillment_status="fulfilled",
                fulfillments=[tracked("UPS", "1Z999AA10123456799")],
            )
        ],
        customer={"email": "dana.fields@example.com"},
    )
    assert outcome.plan["tier"] == 1
    assert outcome.plan["template_id"] == "t_order_status_ask_order_number"
    assert "mw-order-lookup-needed" in outcome.tags
    assert outcome.record["order_match"]["method"] == "none"
    assert outcome.record["order_match"]["reason"] == "contact_mismatch"
    assert_no_order_fact(outcome, "1Z999AA10123456799", "UPS", "shipped")


def test_two_orders_and_no_number_asks(scenarios: Scenarios) -> None:
    scenarios.pipeline.stack.flags.set("order_email_only_match", True)
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[
            order("#2010", created_at="2026-11-20T08:00:00Z"),
            order("#2011", created_at="2026-11-29T08:00:00Z"),
        ],
    )
    assert outcome.record["order_match"]["method"] == "ambiguous"
    assert outcome.plan["template_id"] == "t_order_status_ask_order_number"
    assert "mw-order-lookup-needed" in outcome.tags
    assert_no_order_fact(outcome, "#2010", "#2011")


def test_email_only_match_is_off_by_default(scenarios: Scenarios) -> None:
    outcome = scenarios.run(WHERE_IS_MY_ORDER, orders=[order("#2012")])
    assert outcome.record["order_match"]["method"] == "none"
    assert outcome.plan["template_id"] == "t_order_status_ask_order_number"
    assert_no_order_fact(outcome, "#2012")


def test_cancelled_order_goes_to_a_person_without_reply(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[order("#2013", cancelled=True, financial_status="refunded")],
        linked="#2013",
    )
    assert outcome.record["order_match"]["method"] == "richpanel_link"
    assert outcome.record["order_answer"] == {"no_reply_reason": "order_cancelled"}
    assert outcome.replies == []
    assert not outcome.summary["closed"]
    assert "mw-routing-applied" in outcome.tags


def test_shopify_401_means_no_reply_and_an_alert(
    sandbox: Sandbox,
    store: Store,
    start_pipeline: Callable[..., Pipeline],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from pydantic import SecretStr

    pipeline = start_pipeline(
        estimate_clock=ConversationClock(),
        shopify_shop_url=store.server.base_url,
        shopify_access_token=SecretStr("shpat_revoked"),
    )
    pipeline.stack.flags.set("tier2_rollout_percent", 100)
    scenarios = Scenarios(sandbox, store, pipeline)
    with caplog.at_level(logging.ERROR):
        outcome = scenarios.run(
            "Where is my order #2014? It should be here by now.",
            orders=[order("#2014", fulfillments=[tracked("UPS", "1Z999AA10123456714")])],
        )
    assert outcome.replies == []
    assert "mw-order-lookup-needed" in outcome.tags
    assert outcome.record["order_match"]["lookup_failed"] is True
    alerts = [
        r for r in caplog.records if getattr(r, "event", "") == "order_lookup_credentials_rejected"
    ]
    assert alerts and all(r.levelno == logging.ERROR for r in alerts)
    assert "shpat_revoked" not in caplog.text


def test_shopify_throttling_means_no_reply(scenarios: Scenarios) -> None:
    scenarios.store.faults(throttle_next=50)
    outcome = scenarios.run(
        "Where is my order #2015? It should be here by now.",
        orders=[order("#2015", fulfillments=[tracked("UPS", "1Z999AA10123456715")])],
    )
    assert outcome.replies == []
    assert "mw-order-lookup-needed" in outcome.tags
    assert outcome.record["order_match"]["lookup_failed"] is True


@pytest.mark.parametrize(
    ("text", "intent", "template"),
    [
        (
            "Tracking says my package was delivered yesterday but there is nothing at my "
            "door and my neighbours don't have it either.",
            "delivered_not_received",
            "t_delivered_not_received_intake",
        ),
        (
            "Package arrived today, but one of the three items I ordered is missing from it.",
            "missing_items_in_shipment",
            "t_missing_items_intake",
        ),
    ],
)
def test_delivery_problem_gets_intake(
    scenarios: Scenarios, text: str, intent: str, template: str
) -> None:
    number = f"#30{secrets.randbelow(90) + 10}"
    outcome = scenarios.run(
        text,
        orders=[
            order(
                number,
                fulfillment_status="fulfilled",
                fulfillments=[
                    tracked("UPS", "1Z999AA10123456730", delivered_at="2026-12-01T17:00:00Z")
                ],
            )
        ],
        linked=number,
    )
    assert outcome.plan["primary_intent"] == intent
    assert outcome.plan["tier"] == 1
    assert outcome.plan["template_id"] == template
    assert outcome.record["order_match"] is None
    assert_no_order_fact(outcome, "1Z999AA10123456730", number)


def test_status_and_cancel_gets_cancel_intake(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        "Where is my order? Actually, please cancel it, I don't need it anymore.",
        orders=[order("#2016")],
        linked="#2016",
    )
    assert outcome.plan["primary_intent"] == "cancel_order"
    assert outcome.plan["tier"] == 1
    assert outcome.plan["template_id"] == "t_cancel_order_ack_intake"
    assert_no_order_fact(outcome, "#2016")


def test_spanish_order_status_request(scenarios: Scenarios) -> None:
    outcome = scenarios.run(
        "Hola, ¿dónde está mi pedido 2017? Ya pasaron varios días y no sé nada del envío.",
        orders=[
            order(
                "#2017",
                email=None,
                phone="(305) 555-0187",
                fulfillment_status="fulfilled",
                fulfillments=[tracked("USPS", "9400111899223197428417")],
            )
        ],
        customer={"phone": "+1 305 555 0187", "first_name": "Lucía"},
    )
    reply = assert_verified(outcome, "t_order_status_verified")
    assert outcome.record["language"] == "es"
    assert "9400111899223197428417" in reply
    assert "Lucía" in reply
    assert "pedido" in reply


def test_reply_after_auto_close_to_person(scenarios: Scenarios) -> None:
    first = scenarios.run(
        WHERE_IS_MY_ORDER,
        orders=[order("#2018", created_at="2026-11-30T16:00:00Z")],
        linked="#2018",
    )
    assert first.summary["closed"] is True
    ticket_id = first.summary["ticket"]["id"]
    scenarios.sandbox.admin.post(
        f"/_sandbox/conversations/{encode_path_segment(ticket_id)}/messages",
        json={"author": "customer", "text": "Thanks, but where is my order now?"},
    ).raise_for_status()
    scenarios.fire(ticket_id)
    second = scenarios.outcome(ticket_id)
    assert len(second.replies) == 1
    assert "mw-reopened-after-auto-close" in second.tags
    assert "mw-escalated-human" in second.tags
    assert second.summary["closed"] is False
