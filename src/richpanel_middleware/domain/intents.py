"""The 25 intents with their priority level, default team and maximum tier."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Intent(StrEnum):
    CHARGEBACK_DISPUTE = "chargeback_dispute"
    LEGAL_THREAT = "legal_threat"
    HARASSMENT_THREATS = "harassment_threats"
    FRAUD_SUSPECTED = "fraud_suspected"
    CANCEL_ORDER = "cancel_order"
    ADDRESS_CHANGE_ORDER_EDIT = "address_change_order_edit"
    CANCEL_SUBSCRIPTION = "cancel_subscription"
    BILLING_ISSUE = "billing_issue"
    DELIVERED_NOT_RECEIVED = "delivered_not_received"
    MISSING_ITEMS_IN_SHIPMENT = "missing_items_in_shipment"
    WRONG_ITEM_RECEIVED = "wrong_item_received"
    DAMAGED_ITEM = "damaged_item"
    RETURN_REQUEST = "return_request"
    EXCHANGE_REQUEST = "exchange_request"
    REFUND_REQUEST = "refund_request"
    ORDER_STATUS_TRACKING = "order_status_tracking"
    SHIPPING_DELAY_NOT_SHIPPED = "shipping_delay_not_shipped"
    TECHNICAL_SUPPORT = "technical_support"
    PHONE_SUPPORT_REQUEST = "phone_support_request"
    TIKTOK_SUPPORT_REQUEST = "tiktok_support_request"
    SOCIAL_MEDIA_SUPPORT_REQUEST = "social_media_support_request"
    PROMO_DISCOUNT_ISSUE = "promo_discount_issue"
    PRE_PURCHASE_QUESTION = "pre_purchase_question"
    INFLUENCER_MARKETING_INQUIRY = "influencer_marketing_inquiry"
    UNKNOWN_OTHER = "unknown_other"


class Priority(IntEnum):
    """Priority level: a lower value wins when a message carries several intents."""

    P0 = 0
    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4
    P5 = 5
    P6 = 6
    P7 = 7


class Tier(IntEnum):
    ESCALATION = 0
    SAFE_ASSIST = 1
    VERIFIED = 2
    AUTO_ACTION = 3


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """Static facts about one intent.

    `specificity` breaks ties inside a priority level: the higher value is the more
    specific workflow (for example a shipping delay over a generic status question).
    """

    intent: Intent
    priority: Priority
    default_team: str
    max_tier: Tier
    specificity: int


EMAIL_SUPPORT = "Email Support Team"
RETURNS_ADMIN = "Returns Admin"
LEADERSHIP = "Leadership Team"

_SPECS = (
    IntentSpec(
        Intent.CHARGEBACK_DISPUTE, Priority.P0, "Chargebacks / Disputes Team", Tier.ESCALATION, 4
    ),
    IntentSpec(Intent.LEGAL_THREAT, Priority.P0, LEADERSHIP, Tier.ESCALATION, 3),
    IntentSpec(Intent.HARASSMENT_THREATS, Priority.P0, LEADERSHIP, Tier.ESCALATION, 2),
    IntentSpec(Intent.FRAUD_SUSPECTED, Priority.P0, LEADERSHIP, Tier.ESCALATION, 1),
    IntentSpec(Intent.CANCEL_ORDER, Priority.P1, EMAIL_SUPPORT, Tier.SAFE_ASSIST, 3),
    IntentSpec(Intent.ADDRESS_CHANGE_ORDER_EDIT, Priority.P1, EMAIL_SUPPORT, Tier.SAFE_ASSIST, 2),
    IntentSpec(Intent.CANCEL_SUBSCRIPTION, Priority.P1, EMAIL_SUPPORT, Tier.SAFE_ASSIST, 4),
    IntentSpec(Intent.BILLING_ISSUE, Priority.P1, EMAIL_SUPPORT, Tier.SAFE_ASSIST, 1),
    IntentSpec(Intent.DELIVERED_NOT_RECEIVED, Priority.P2, RETURNS_ADMIN, Tier.SAFE_ASSIST, 1),
    IntentSpec(Intent.MISSING_ITEMS_IN_SHIPMENT, Priority.P2, RETURNS_ADMIN, Tier.SAFE_ASSIST, 2),
    IntentSpec(Intent.WRONG_ITEM_RECEIVED, Priority.P2, RETURNS_ADMIN, Tier.SAFE_ASSIST, 3),
    IntentSpec(Intent.DAMAGED_ITEM, Priority.P2, RETURNS_ADMIN, Tier.SAFE_ASSIST, 4),
    IntentSpec(Intent.RETURN_REQUEST, Priority.P3, RETURNS_ADMIN, Tier.SAFE_ASSIST, 2),
    IntentSpec(Intent.EXCHANGE_REQUEST, Priority.P3, RETURNS_ADMIN, Tier.SAFE_ASSIST, 3),
    IntentSpec(Intent.REFUND_REQUEST, Priority.P3, RETURNS_ADMIN, Tier.SAFE_ASSIST, 1),
    IntentSpec(Intent.ORDER_STATUS_TRACKING, Priority.P4, EMAIL_SUPPORT, Tier.VERIFIED, 1),
    IntentSpec(Intent.SHIPPING_DELAY_NOT_SHIPPED, Priority.P4, EMAIL_SUPPORT, Tier.VERIFIED, 2),
    IntentSpec(
        Intent.TECHNICAL_SUPPORT, Priority.P5, "Technical Support Team", Tier.SAFE_ASSIST, 1
    ),
    IntentSpec(
        Intent.PHONE_SUPPORT_REQUEST, Priority.P5, "Phone Support Team", Tier.SAFE_ASSIST, 2
    ),
    IntentSpec(Intent.TIKTOK_SUPPORT_REQUEST, Priority.P5, "TikTok Support", Tier.SAFE_ASSIST, 4),
    IntentSpec(
        Intent.SOCIAL_MEDIA_SUPPORT_REQUEST, Priority.P5, "Social Media Team", Tier.SAFE_ASSIST, 3
    ),
    IntentSpec(Intent.PROMO_DISCOUNT_ISSUE, Priority.P6, "Sales Team", Tier.SAFE_ASSIST, 3),
    IntentSpec(Intent.PRE_PURCHASE_QUESTION, Priority.P6, "Sales Team", Tier.SAFE_ASSIST, 1),
    IntentSpec(
        Intent.INFLUENCER_MARKETING_INQUIRY, Priority.P6, "Social Media Team", Tier.SAFE_ASSIST, 2
    ),
    IntentSpec(Intent.UNKNOWN_OTHER, Priority.P7, EMAIL_SUPPORT, Tier.SAFE_ASSIST, 0),
)

INTENT_SPECS: dict[Intent, IntentSpec] = {spec.intent: spec for spec in _SPECS}

TIER0_INTENTS: frozenset[Intent] = frozenset(
    spec.intent for spec in _SPECS if spec.priority is Priority.P0
)
ORDER_STATUS_INTENTS: frozenset[Intent] = frozenset(
    {Intent.ORDER_STATUS_TRACKING, Intent.SHIPPING_DELAY_NOT_SHIPPED}
)

# Any of these anywhere in a message forbids a Tier 2 reply for that message.
TIER2_BLOCKING_PRIORITIES: frozenset[Priority] = frozenset({Priority.P0, Priority.P1, Priority.P2})


def spec_of(intent: Intent) -> IntentSpec:
    return INTENT_SPECS[intent]
