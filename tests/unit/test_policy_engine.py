"""Policy engine: tiers, routing thresholds, gates and tags, on the bundled configuration."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from richpanel_middleware.classify.local_model import decision_from_scores
from richpanel_middleware.classify.result import Classification
from richpanel_middleware.classify.tier0_rules import RuleHit
from richpanel_middleware.configuration import AppConfig, load_app_config
from richpanel_middleware.domain.decision import (
    Automation,
    ReplyAction,
    Risk,
    RiskFlag,
    Routing,
    TierName,
)
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent, Tier
from richpanel_middleware.helpdesk.model import Comment
from richpanel_middleware.policy.config import Flags, RoutingMap
from richpanel_middleware.policy.engine import (
    PolicyConfig,
    PolicyContext,
    needs_order_lookup,
    plan_actions,
)
from richpanel_middleware.policy.loop_guard import GuardVerdict, ReplyBlock
from richpanel_middleware.policy.plan import ActionPlan, Gate

SECONDARY_MIN = 0.25
CHANNELS = ["email", "chat", "social", "tiktok", "phone", None]
CUSTOMER_MESSAGE = Comment(
    comment_id="m-1",
    author_id="customer-1",
    plain_body="text the policy never reads",
    created_at=datetime(2024, 5, 6, 12, 0, tzinfo=UTC),
    is_operator=False,
)
ALLOWED = GuardVerdict(CUSTOMER_MESSAGE)


@cache
def app_config() -> AppConfig:
    return load_app_config()


def policy_config() -> PolicyConfig:
    return app_config().policy


def default_flags(**changes: object) -> Flags:
    return app_config().default_flags.model_copy(update=changes)


def classify(
    scores: dict[Intent, float],
    *,
    rules: Sequence[Intent] = (),
    language: str = "en",
    risk_flags: Sequence[RiskFlag] | None = None,
    proposed_tier: TierName | None = None,
    force_human: bool | None = None,
    needs_manual_triage: bool = False,
) -> Classification:
    """Build what the local classifier would hand to policy for these scores.

    `rules` become Tier 0 rule hits only and stay out of the model's proposal, so each
    Tier 0 path can be tested on its own.
    """
    decision = decision_from_scores(
        scores, rule_intents=[], language=language, secondary_min=SECONDARY_MIN
    )
    update: dict[str, object] = {}
    if risk_flags is not None or force_human is not None:
        flags = list(risk_flags if risk_flags is not None else decision.risk.flags)
        human = force_human if force_human is not None else bool(flags)
        update["risk"] = Risk(flags=flags, force_human=human)
    if proposed_tier is not None:
        update["automation"] = Automation(
            tier=proposed_tier,
            action=ReplyAction.SEND_TEMPLATE,
            template_id=None,
            confidence=decision.automation.confidence,
            requires_deterministic_match=False,
        )
    if needs_manual_triage:
        update["routing"] = Routing(
            destination_team=decision.routing.destination_team,
            confidence=decision.routing.confidence,
            needs_manual_triage=True,
            tags=[],
        )
    decision = decision.model_copy(update=update)
    hits = tuple(RuleHit(f"rule_{intent.value}", intent) for intent in rules)
    return Classification(
        decision=decision, tier0_hits=hits, classifier_version="test", scores=scores
    )


def plan(
    classification: Classification,
    *,
    channel: str | None = "email",
    flags: Flags | None = None,
    words: int = 20,
    guard: GuardVerdict = ALLOWED,
    profile: dict[str, str | None] | None = None,
    config: PolicyConfig | None = None,
) -> ActionPlan:
    context = PolicyContext(
        channel=channel,
        word_count=words,
        guard=guard,
        flags=flags if flags is not None else default_flags(),
        profile_variables=profile or {},
    )
    return plan_actions(classification, context, config or policy_config())


def gate(result: ActionPlan, name: str) -> Gate:
    matches = [g for g in result.gates if g.name == name]
    assert len(matches) == 1, f"expected one gate {name!r}, got {result.gates}"
    return matches[0]


def route_tags(result: ActionPlan) -> list[str]:
    return [tag for tag in result.tags if tag.startswith("route-")]


CANCEL_HIGH = {Intent.CANCEL_ORDER: 0.9, Intent.UNKNOWN_OTHER: 0.05}


# --- Tier 0 -------------------------------------------------------------------------------------


def test_tier0_rule_hit_escalates_without_reply() -> None:
    scores = {Intent.UNKNOWN_OTHER: 0.1, Intent.CANCEL_ORDER: 0.05}

    result = plan(classify(scores, rules=[Intent.CHARGEBACK_DISPUTE]))

    assert result.tier is Tier.ESCALATION
    assert result.primary_intent is Intent.CHARGEBACK_DISPUTE
    assert result.destination_team == "Chargebacks / Disputes Team"
    assert result.reply is None
    assert result.action is ReplyAction.ROUTE_ONLY
    assert "mw-escalated-human" in result.tags
    assert "mw-tier-0" in result.tags


def test_tier0_low_confidence_skips_triage() -> None:
    scores = {Intent.UNKNOWN_OTHER: 0.1, Intent.CANCEL_ORDER: 0.05}

    result = plan(classify(scores, rules=[Intent.LEGAL_THREAT]))

    assert result.routing_confidence < 0.5
    assert result.destination_team == "Leadership Team"
    assert "mw-needs-manual-triage" not in result.tags
    assert "mw-uncertain" not in result.tags


def test_risk_flag_alone_escalates() -> None:
    result = plan(classify(CANCEL_HIGH, risk_flags=[RiskFlag.LEGAL_THREAT]))

    assert result.tier is Tier.ESCALATION
    assert result.primary_intent is Intent.LEGAL_THREAT
    assert result.destination_team == "Leadership Team"
    assert result.reply is None
    assert "mw-escalated-human" in result.tags


def test_tier0_keeps_other_intent_secondary() -> None:
    result = plan(classify(CANCEL_HIGH, rules=[Intent.FRAUD_SUSPECTED]))

    assert result.primary_intent is Intent.FRAUD_SUSPECTED
    assert Intent.CANCEL_ORDER in result.secondary_intents
    assert "mw-secondary-cancel-order" in result.tags


def test_enabled_neutral_ack_is_ack_only() -> None:
    flags = default_flags(template_enabled={"t_chargeback_neutral_ack": True})

    result = plan(classify(CANCEL_HIGH, rules=[Intent.CHARGEBACK_DISPUTE]), flags=flags)

    assert result.tier is Tier.ESCALATION
    assert result.action is ReplyAction.ACK_ONLY
    assert result.template_id == "t_chargeback_neutral_ack"
    assert result.reply is not None
    assert result.close is False


def test_weak_tier0_secondary_does_not_escalate() -> None:
    scores = {
        Intent.CANCEL_ORDER: 0.65,
        Intent.CHARGEBACK_DISPUTE: 0.30,
        Intent.UNKNOWN_OTHER: 0.05,
    }
    classification = classify(scores)
    assert classification.decision.risk.flags == []
    assert classification.tier0_hits == ()

    result = plan(classification)

    assert result.tier is Tier.SAFE_ASSIST
    assert result.primary_intent is Intent.CANCEL_ORDER


def model_proposal(classification: Classification, **automation: object) -> Classification:
    """The proposal as an LLM classifier returns it: no scores, and a reply proposed.

    `automation` overrides fields of the proposal's automation block.
    """
    decision = classification.decision
    proposed = decision.automation.model_copy(
        update={"action": ReplyAction.SEND_TEMPLATE, **automation}
    )
    return Classification(
        decision=decision.model_copy(update={"automation": proposed}),
        tier0_hits=(),
        classifier_version="llm",
    )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("destination_team", "Chargebacks / Disputes Team", "classifier routed to"),
        ("template_id", "t_chargeback_neutral_ack", "classifier chose"),
        ("action", ReplyAction.ROUTE_ONLY, "classifier proposed no reply"),
    ],
)
def test_model_caution_in_other_fields_blocks_reply(field: str, value: object, reason: str) -> None:
    classification = model_proposal(classify(CANCEL_HIGH))
    decision = classification.decision
    if field == "destination_team":
        routing = decision.routing.model_copy(update={field: value})
        decision = decision.model_copy(update={"routing": routing})
    else:
        automation = decision.automation.model_copy(update={field: value})
        decision = decision.model_copy(update={"automation": automation})

    result = plan(dataclasses.replace(classification, decision=decision))

    assert result.reply is None
    assert reason in gate(result, "model_allows_reply").reason


def test_model_proposal_replies_when_nothing_speaks_against_it() -> None:
    result = plan(model_proposal(classify(CANCEL_HIGH)))

    assert result.reply is not None
    assert gate(result, "model_allows_reply").passed


def test_low_automation_confidence_from_a_model_blocks_reply() -> None:
    result = plan(model_proposal(classify(CANCEL_HIGH), confidence=0.0))

    assert result.reply is None
    assert not gate(result, "tier1_confidence").passed


def test_tier0_secondary_named_by_a_model_escalates() -> None:
    proposal = classify(CANCEL_HIGH).decision
    decision = proposal.model_copy(update={"secondary_intents": [Intent.CHARGEBACK_DISPUTE]})
    classification = Classification(decision=decision, tier0_hits=(), classifier_version="llm")
    assert decision.risk.flags == []

    result = plan(classification)

    assert result.tier is Tier.ESCALATION
    assert result.primary_intent is Intent.CHARGEBACK_DISPUTE
    assert result.reply is None
    assert "mw-escalated-human" in result.tags


def test_other_high_risk_flag_blocks_reply() -> None:
    classification = model_proposal(
        classify(CANCEL_HIGH, risk_flags=[RiskFlag.OTHER_HIGH_RISK], force_human=False)
    )

    result = plan(classification)

    assert result.reply is None
    assert result.primary_intent is Intent.CANCEL_ORDER
    assert "mw-escalated-human" in result.tags
    assert not gate(result, "model_allows_reply").passed
    assert "OTHER_HIGH_RISK" in gate(result, "model_allows_reply").reason


def test_unflagged_tier0_proposal_blocks_reply() -> None:
    classification = model_proposal(classify(CANCEL_HIGH, proposed_tier=TierName.TIER_0_ESCALATION))

    result = plan(classification)

    assert result.reply is None
    assert "mw-escalated-human" in result.tags
    assert gate(result, "model_allows_reply").reason == "classifier proposed Tier 0"


def test_model_risk_means_no_order_lookup() -> None:
    order_status = {Intent.ORDER_STATUS_TRACKING: 0.95, Intent.UNKNOWN_OTHER: 0.05}
    context = PolicyContext(
        channel="email",
        word_count=20,
        guard=ALLOWED,
        flags=default_flags(tier2_rollout_percent=100),
        profile_variables={},
        conversation_id="conversation-1",
    )
    plain = model_proposal(classify(order_status))
    risky = model_proposal(classify(order_status, risk_flags=[RiskFlag.OTHER_HIGH_RISK]))

    assert needs_order_lookup(plain, context, policy_config())
    assert not needs_order_lookup(risky, context, policy_config())


def test_weak_local_tier0_score_keeps_intent() -> None:
    scores = {Intent.BILLING_ISSUE: 0.5, Intent.CHARGEBACK_DISPUTE: 0.4, Intent.UNKNOWN_OTHER: 0.1}

    result = plan(classify(scores))

    assert result.tier is not Tier.ESCALATION
    assert result.primary_intent is Intent.BILLING_ISSUE


# --- Tier 1 replies and routing thresholds ------------------------------------------------------


def test_tier1_email_sends_intent_template() -> None:
    result = plan(classify(CANCEL_HIGH))

    assert result.tier is Tier.SAFE_ASSIST
    assert result.action is ReplyAction.SEND_TEMPLATE
    assert result.template_id == "t_cancel_order_ack_intake"
    assert result.reply is not None
    assert result.reply.template_id == "t_cancel_order_ack_intake"
    assert result.destination_team == "Email Support Team"
    assert "mw-auto-replied" in result.tags
    assert "mw-template-t-cancel-order-ack-intake" in result.tags


def test_tier1_chat_uses_chat_copy() -> None:
    result = plan(classify(CANCEL_HIGH), channel="chat")

    assert result.reply is not None
    assert result.reply.variant == "chat"


def test_tier1_spanish_replies_in_spanish() -> None:
    result = plan(classify(CANCEL_HIGH, language="es"))

    assert result.reply is not None
    assert result.reply.language == "es"


def test_social_channel_is_route_only() -> None:
    result = plan(classify(CANCEL_HIGH), channel="social")

    assert result.action is ReplyAction.ROUTE_ONLY
    assert result.reply is None
    assert result.template_id is None
    assert "mw-auto-replied" not in result.tags
    assert gate(result, "channel_allowed").passed is False
    assert route_tags(result) == ["route-email-support-team"]


def test_uncertain_confidence_tags_without_reply() -> None:
    scores = {Intent.CANCEL_ORDER: 0.55, Intent.UNKNOWN_OTHER: 0.1}

    result = plan(classify(scores))

    assert result.routing_confidence == pytest.approx(0.55)
    assert "mw-uncertain" in result.tags
    assert result.destination_team == "Email Support Team"
    assert result.reply is None
    assert gate(result, "tier1_confidence").passed is False


def test_low_confidence_goes_to_triage() -> None:
    scores = {Intent.TECHNICAL_SUPPORT: 0.3, Intent.UNKNOWN_OTHER: 0.1}

    result = plan(classify(scores))

    assert result.destination_team == app_config().policy.routing.triage_team
    assert result.destination_team != "Technical Support Team"
    assert "mw-needs-manual-triage" in result.tags
    assert result.reply is None
    assert gate(result, "not_triage").passed is False


def test_short_message_penalty_lowers_confidence() -> None:
    scores = {Intent.CANCEL_ORDER: 0.65, Intent.UNKNOWN_OTHER: 0.1}

    result = plan(classify(scores), words=3)

    assert result.routing_confidence == pytest.approx(0.55)
    assert "mw-uncertain" in result.tags
    assert result.reply is None


def test_narrow_margin_penalty_lowers_confidence() -> None:
    scores = {Intent.TECHNICAL_SUPPORT: 0.45, Intent.PRE_PURCHASE_QUESTION: 0.40}

    result = plan(classify(scores))

    assert result.routing_confidence == pytest.approx(0.35)
    assert "mw-needs-manual-triage" in result.tags


def test_model_manual_triage_request_wins() -> None:
    result = plan(classify(CANCEL_HIGH, needs_manual_triage=True))

    assert result.destination_team == app_config().policy.routing.triage_team
    assert "mw-needs-manual-triage" in result.tags
    assert result.reply is None


def test_model_force_human_blocks_reply() -> None:
    result = plan(classify(CANCEL_HIGH, force_human=True))

    assert result.tier is Tier.SAFE_ASSIST
    assert result.reply is None
    assert gate(result, "model_allows_reply").passed is False


def test_generic_intent_on_tiktok_routes_to_channel() -> None:
    scores = {Intent.PRE_PURCHASE_QUESTION: 0.9, Intent.UNKNOWN_OTHER: 0.05}

    result = plan(classify(scores), channel="tiktok")

    assert result.destination_team == "TikTok Support"
    assert route_tags(result) == ["route-tiktok-support"]


def test_specific_intent_on_tiktok_keeps_team() -> None:
    result = plan(classify(CANCEL_HIGH), channel="tiktok")

    assert result.destination_team == "Email Support Team"


def test_missing_team_falls_back_with_tag() -> None:
    base = policy_config()
    routing = base.routing.model_dump(mode="json")
    routing["intents"]["cancel_order"]["team"] = "Retention Team"
    config = dataclasses.replace(base, routing=RoutingMap.model_validate(routing))

    result = plan(classify(CANCEL_HIGH), config=config)

    assert result.destination_team == base.routing.fallback_team
    assert "mw-needs-retention-team" in result.tags
    assert route_tags(result) == ["route-email-support-team"]


# --- order status and Tier 3 ------------------------------------------------------------------


def test_order_status_asks_for_order_number() -> None:
    scores = {Intent.ORDER_STATUS_TRACKING: 0.9, Intent.UNKNOWN_OTHER: 0.05}

    result = plan(classify(scores))

    assert result.tier is Tier.SAFE_ASSIST
    assert result.template_id == "t_order_status_ask_order_number"
    assert "mw-order-lookup-needed" in result.tags
    assert result.action is ReplyAction.SEND_TEMPLATE
    assert gate(result, "tier2_order_match").passed is False
    assert result.close is False


def test_tier3_proposal_downgrades_to_tier1() -> None:
    classification = classify(CANCEL_HIGH, proposed_tier=TierName.TIER_3_AUTO_ACTION)

    result = plan(classification)

    assert result.tier is Tier.SAFE_ASSIST
    assert gate(result, "tier3_disabled").passed is False
    assert result.template_id == "t_cancel_order_ack_intake"
    assert result.destination_team == "Email Support Team"
    assert result.close is False


# --- flags, templates and language ------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"automation_enabled": False}, {"safe_mode": True}],
    ids=["automation_disabled", "safe_mode"],
)
def test_flag_blocks_reply_keeps_routing(changes: dict[str, object]) -> None:
    result = plan(classify(CANCEL_HIGH), flags=default_flags(**changes))

    assert result.reply is None
    assert result.action is ReplyAction.ROUTE_ONLY
    assert gate(result, "automation_enabled").passed is False
    assert "mw-routing-applied" in result.tags
    assert route_tags(result) == ["route-email-support-team"]
    assert "mw-intent-cancel-order" in result.tags


def test_shadow_mode_adds_shadow_tag() -> None:
    result = plan(classify(CANCEL_HIGH), flags=default_flags(shadow_mode=True))

    assert "mw-shadow" in result.tags


def test_shadow_tag_absent_by_default() -> None:
    result = plan(classify(CANCEL_HIGH))

    assert "mw-shadow" not in result.tags


def test_template_flag_disables_reply() -> None:
    flags = default_flags(template_enabled={"t_cancel_order_ack_intake": False})

    result = plan(classify(CANCEL_HIGH), flags=flags)

    assert result.reply is None
    assert result.template_id is None
    rendered = gate(result, "template_rendered")
    assert rendered.passed is False
    assert rendered.reason == "template_disabled"


def test_template_flag_enables_disabled_template() -> None:
    scores = {Intent.UNKNOWN_OTHER: 0.9, Intent.CANCEL_ORDER: 0.05}
    flags = default_flags(template_enabled={"t_unknown_ack": True})

    disabled = plan(classify(scores))
    enabled = plan(classify(scores), flags=flags)

    assert disabled.reply is None
    assert enabled.template_id == "t_unknown_ack"


def test_language_without_copy_skips_reply() -> None:
    result = plan(classify(CANCEL_HIGH, language="fr"))

    assert result.reply is None
    assert result.action is ReplyAction.ROUTE_ONLY
    assert gate(result, "template_rendered").reason == "no_copy_for_language_fr"


def test_loop_guard_block_skips_reply() -> None:
    guard = GuardVerdict(
        CUSTOMER_MESSAGE,
        reply_blocks=(ReplyBlock.FOLLOW_UP_AFTER_AUTO_REPLY,),
        extra_tags=("mw-escalated-human",),
    )

    result = plan(classify(CANCEL_HIGH), guard=guard)

    assert result.reply is None
    assert "mw-escalated-human" in result.tags
    assert gate(result, "loop_guard").reason == "follow_up_after_auto_reply"


def test_first_name_reaches_reply() -> None:
    result = plan(classify(CANCEL_HIGH), profile={"first_name": "Ana"})

    assert result.reply is not None
    assert "Ana" in result.reply.body


# --- multiple intents ------------------------------------------------------------------------


def test_higher_priority_secondary_becomes_primary() -> None:
    scores = {Intent.ORDER_STATUS_TRACKING: 0.6, Intent.CANCEL_ORDER: 0.3}

    result = plan(classify(scores))

    assert result.primary_intent is Intent.CANCEL_ORDER
    assert result.secondary_intents == (Intent.ORDER_STATUS_TRACKING,)
    assert "mw-intent-cancel-order" in result.tags
    assert "mw-secondary-order-status-tracking" in result.tags


def test_intent_below_secondary_min_is_ignored() -> None:
    scores = {Intent.ORDER_STATUS_TRACKING: 0.75, Intent.CANCEL_ORDER: 0.2}

    result = plan(classify(scores))

    assert result.primary_intent is Intent.ORDER_STATUS_TRACKING
    assert result.secondary_intents == ()


def test_at_most_two_secondary_intents() -> None:
    scores = {
        Intent.ORDER_STATUS_TRACKING: 0.3,
        Intent.REFUND_REQUEST: 0.27,
        Intent.DAMAGED_ITEM: 0.26,
        Intent.TECHNICAL_SUPPORT: 0.25,
    }

    result = plan(classify(scores))

    assert result.primary_intent is Intent.DAMAGED_ITEM
    assert len(result.secondary_intents) == 2


SCENARIOS = {
    "tier1_reply": (classify(CANCEL_HIGH), "email"),
    "tier0_rule": (classify(CANCEL_HIGH, rules=[Intent.HARASSMENT_THREATS]), "chat"),
    "uncertain": (classify({Intent.BILLING_ISSUE: 0.52, Intent.UNKNOWN_OTHER: 0.1}), "email"),
    "triage": (classify({Intent.DAMAGED_ITEM: 0.2, Intent.UNKNOWN_OTHER: 0.1}), "chat"),
    "order_status": (classify({Intent.SHIPPING_DELAY_NOT_SHIPPED: 0.8}), "email"),
    "social_generic": (classify({Intent.UNKNOWN_OTHER: 0.8}), "social"),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_plan_has_one_route_tag(name: str) -> None:
    classification, channel = SCENARIOS[name]

    result = plan(classification, channel=channel)

    assert len(route_tags(result)) == 1


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_plan_never_closes(name: str) -> None:
    classification, channel = SCENARIOS[name]

    result = plan(classification, channel=channel)

    assert result.close is False
    assert "mw-auto-closed" not in result.tags


# --- property: invariants over random inputs -----------------------------------------------------

TIER1_TEMPLATE_IDS = sorted(
    entry.template_id for entry in policy_config().catalog.templates if entry.tier == 1
)

NON_TIER0_INTENTS = [intent for intent in Intent if intent not in TIER0_INTENTS]
# Inputs lean towards replies being possible, so the reply invariants are exercised often.
non_tier0_scores = st.dictionaries(
    st.sampled_from(NON_TIER0_INTENTS),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    min_size=1,
    max_size=3,
)


@st.composite
def clear_winner_scores(draw: st.DrawFn) -> dict[Intent, float]:
    """One non-Tier 0 intent well above the rest, the shape that may earn a reply."""
    top = draw(st.sampled_from(NON_TIER0_INTENTS))
    others = draw(
        st.dictionaries(
            st.sampled_from(NON_TIER0_INTENTS), st.floats(min_value=0.0, max_value=0.3), max_size=2
        )
    )
    others.pop(top, None)
    return {top: draw(st.floats(min_value=0.6, max_value=1.0)), **others}


score_vectors = st.one_of(
    clear_winner_scores(),
    non_tier0_scores,
    st.dictionaries(
        st.sampled_from(list(Intent)),
        st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
        min_size=1,
        max_size=6,
    ),
)
rule_hits = st.one_of(
    st.just([]),
    st.just([]),
    st.just([]),
    st.lists(st.sampled_from(sorted(TIER0_INTENTS)), min_size=1, max_size=2, unique=True),
)
mostly_true = st.sampled_from([True, True, True, False])
mostly_false = st.sampled_from([False, False, False, True])
flag_sets = st.builds(
    default_flags,
    automation_enabled=mostly_true,
    safe_mode=mostly_false,
    shadow_mode=st.booleans(),
    automation_channels=st.one_of(
        st.just(["email", "chat"]),
        st.lists(
            st.sampled_from(["email", "chat", "social", "tiktok", "phone"]), unique=True, max_size=5
        ),
    ),
    # Only Tier 1 switches: Tier 0 acknowledgements stay at their catalog default (disabled).
    template_enabled=st.dictionaries(st.sampled_from(TIER1_TEMPLATE_IDS), mostly_true, max_size=4),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    scores=score_vectors,
    rules=rule_hits,
    flags=flag_sets,
    channel=st.sampled_from(["email", "chat", *CHANNELS]),
    language=st.sampled_from(["en", "es", "fr"]),
    words=st.integers(min_value=1, max_value=60),
)
def test_plan_invariants_hold(
    scores: dict[Intent, float],
    rules: list[Intent],
    flags: Flags,
    channel: str | None,
    language: str,
    words: int,
) -> None:
    result = plan(
        classify(scores, rules=rules, language=language), channel=channel, flags=flags, words=words
    )

    assert len(route_tags(result)) == 1
    assert result.close is False
    if rules:
        assert result.tier is Tier.ESCALATION
        assert result.reply is None
    if channel not in flags.automation_channels:
        assert result.reply is None
    if not flags.automation_enabled or flags.safe_mode:
        assert result.reply is None
    if result.reply is not None:
        assert result.tier is Tier.SAFE_ASSIST
        assert result.routing_confidence >= policy_config().thresholds.tier1_template_min
        assert result.action is ReplyAction.SEND_TEMPLATE
        assert "mw-auto-replied" in result.tags
