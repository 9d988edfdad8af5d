"""Property tests of the Tier 2 path: closes and verified replies over random inputs.

Decisions, flags, catalog settings, guard verdicts and order situations are drawn at
random, including order contexts no correct lookup would produce (a reply plan without a
matched order). The plan and the executor must still keep the two rules: nothing closes
unless the auto-close rule holds, and no Tier 2 reply goes out without exactly one
matched order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from richpanel_middleware.classify.result import Classification
from richpanel_middleware.domain.decision import (
    DowngradeTier,
    ReplyAction,
    Tier2Verdict,
    TierName,
    VerifierReason,
)
from richpanel_middleware.domain.intents import ORDER_STATUS_INTENTS, Intent, Tier
from richpanel_middleware.helpdesk.executor import ActionExecutor
from richpanel_middleware.helpdesk.model import Comment, Ticket
from richpanel_middleware.orders.linkage import MatchMethod, OrderMatch
from richpanel_middleware.orders.model import Order, OrderSourceName
from richpanel_middleware.orders.reply_facts import (
    DELAY_TEMPLATE,
    ETA_TEMPLATE,
    STATUS_TEMPLATE,
    TIER2_TEMPLATES,
    NoReplyReason,
    OrderReply,
)
from richpanel_middleware.pipeline.ports import ClaimOutcome
from richpanel_middleware.policy.auto_close import REPLY_INVITATIONS
from richpanel_middleware.policy.config import Flags
from richpanel_middleware.policy.engine import PolicyConfig, PolicyContext, plan_actions
from richpanel_middleware.policy.loop_guard import GuardVerdict, ReplyBlock
from richpanel_middleware.policy.order_context import OrderContext
from richpanel_middleware.policy.plan import ActionPlan
from richpanel_middleware.policy.tier2_verifier import in_rollout
from richpanel_middleware.templates.catalog import TemplateCatalog
from tests.unit.test_policy_engine import (
    CUSTOMER_MESSAGE,
    app_config,
    classify,
    default_flags,
    rule_hits,
    score_vectors,
)

MATCHED_METHODS = {
    MatchMethod.RICHPANEL_LINK,
    MatchMethod.ORDER_NUMBER_AND_CONTACT,
    MatchMethod.EMAIL_ONLY,
}
ORDER = Order(
    number="#1001",
    source=OrderSourceName.SHOPIFY,
    created_at=datetime(2026, 11, 30, 16, tzinfo=UTC),
)
FULL_VARIABLES: dict[str, object] = {
    "order_number": "#1001",
    "order_date": "November 30, 2026",
    "order_status": "shipped",
    "shipments": [
        {
            "carrier": "UPS",
            "tracking_number": "1Z999",
            "tracking_url": "",
            "status": "",
            "shipped_on": "",
        }
    ],
    "delivery_by": "December 7, 2026",
    "delivery_from": "December 3, 2026",
    "status_page_url": "",
    "unshipped_items": False,
    "is_preorder": False,
}


@st.composite
def order_replies(draw: st.DrawFn) -> OrderReply | NoReplyReason:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(list(NoReplyReason)))
    complete = draw(st.sampled_from([True, True, False]))
    dropped = (
        set() if complete else draw(st.sets(st.sampled_from(sorted(FULL_VARIABLES)), max_size=3))
    )
    return OrderReply(
        template_id=draw(st.sampled_from([STATUS_TEMPLATE, DELAY_TEMPLATE, ETA_TEMPLATE])),
        variables={k: v for k, v in FULL_VARIABLES.items() if k not in dropped},
        auto_close_eligible=draw(st.booleans()),
        needs_human=draw(st.booleans()),
        basis="drawn",
    )


@st.composite
def order_contexts(draw: st.DrawFn) -> OrderContext | None:
    if draw(st.integers(0, 4)) == 0:
        return None
    method = draw(st.sampled_from(list(MatchMethod)))
    # Deliberately inconsistent at times: an order without a match method, or the reverse.
    has_order = draw(st.booleans()) if draw(st.integers(0, 3)) == 0 else method in MATCHED_METHODS
    match = OrderMatch(
        method=method,
        order=ORDER if has_order else None,
        lookup_failed=draw(st.booleans()) if not has_order else False,
    )
    reply = draw(st.one_of(st.none(), order_replies(), order_replies(), order_replies()))
    return OrderContext(match, reply)


# (enabled, auto_close) per Tier 2 template; drawn small so failures print readably.
catalog_switches = st.fixed_dictionaries(
    {
        template_id: st.tuples(st.booleans(), st.booleans())
        for template_id in sorted(TIER2_TEMPLATES)
    }
)


def catalog_with(switches: dict[str, tuple[bool, bool]]) -> TemplateCatalog:
    """The bundled catalog with Tier 2 templates switched on or off and marked auto_close or not."""
    catalog = app_config().policy.catalog
    entries = []
    for entry in catalog.templates:
        if entry.template_id in switches:
            enabled, auto_close = switches[entry.template_id]
            entry = entry.model_copy(update={"enabled": enabled, "auto_close": auto_close})
        entries.append(entry)
    return catalog.model_copy(update={"templates": entries})


order_status_scores = st.builds(
    lambda intent, score, rest: {intent: score, **rest},
    st.sampled_from(sorted(ORDER_STATUS_INTENTS)),
    st.one_of(st.floats(min_value=0.5, max_value=1.0), st.floats(min_value=0.75, max_value=1.0)),
    st.dictionaries(
        st.sampled_from([Intent.CANCEL_ORDER, Intent.PRE_PURCHASE_QUESTION, Intent.UNKNOWN_OTHER]),
        st.floats(min_value=0.0, max_value=0.2),
        max_size=2,
    ),
)
tier2_flags = st.builds(
    default_flags,
    automation_enabled=st.sampled_from([True, True, True, False]),
    safe_mode=st.sampled_from([False, False, False, True]),
    tier2_rollout_percent=st.sampled_from([0, 30, 100, 100]),
    template_enabled=st.dictionaries(st.sampled_from(sorted(TIER2_TEMPLATES)), st.booleans()),
)
guards = st.one_of(
    st.just(GuardVerdict(CUSTOMER_MESSAGE)),
    st.just(GuardVerdict(CUSTOMER_MESSAGE)),
    st.builds(
        lambda blocks: GuardVerdict(CUSTOMER_MESSAGE, reply_blocks=tuple(blocks)),
        st.lists(st.sampled_from(list(ReplyBlock)), min_size=1, max_size=2, unique=True),
    ),
)


def build_plan(
    scores: dict[Intent, float],
    rules: list[Intent],
    flags: Flags,
    catalog: TemplateCatalog,
    order: OrderContext | None,
    guard: GuardVerdict,
    channel: str,
    language: str,
    conversation_id: str,
) -> tuple[ActionPlan, PolicyConfig]:
    base = app_config().policy
    config = PolicyConfig(
        routing=base.routing, thresholds=base.thresholds, catalog=catalog, brand=base.brand
    )
    context = PolicyContext(
        channel=channel,
        word_count=20,
        guard=guard,
        flags=flags,
        conversation_id=conversation_id,
        order=order,
    )
    return plan_actions(classify(scores, rules=rules, language=language), context, config), config


def assert_rules_hold(
    result: ActionPlan,
    config: PolicyConfig,
    flags: Flags,
    order: OrderContext | None,
    conversation_id: str,
    channel: str,
) -> None:
    if result.tier is Tier.VERIFIED or result.template_id in TIER2_TEMPLATES:
        assert result.tier is Tier.VERIFIED
        assert result.reply is not None
        assert order is not None and order.match.order is not None
        assert order.match.method in MATCHED_METHODS
        assert isinstance(order.reply, OrderReply)
        assert result.template_id == order.reply.template_id
        assert in_rollout(conversation_id, flags.tier2_rollout_percent)
    if result.close:
        entry = config.catalog.get(result.template_id or "")
        assert result.tier is Tier.VERIFIED
        assert result.reply is not None
        assert entry is not None
        assert entry.auto_close
        assert entry.tier == 2
        assert order is not None and isinstance(order.reply, OrderReply)
        assert order.reply.auto_close_eligible
        assert all(gate.passed for gate in result.gates), result.gates
        assert flags.automation_enabled and not flags.safe_mode
        assert channel in flags.automation_channels
        assert any(word in result.reply.body.lower() for word in REPLY_INVITATIONS)
        assert "mw-auto-closed" in result.tags


@settings(max_examples=400, deadline=None, database=None)
@given(
    scores=st.one_of(order_status_scores, order_status_scores, score_vectors),
    rules=rule_hits,
    flags=tier2_flags,
    switches=catalog_switches,
    order=order_contexts(),
    guard=guards,
    channel=st.sampled_from(["email", "chat", "email", "social"]),
    language=st.sampled_from(["en", "es", "en", "fr"]),
    conversation_id=st.text(min_size=1, max_size=12),
)
def test_close_and_tier2_rules_hold(
    scores: dict[Intent, float],
    rules: list[Intent],
    flags: Flags,
    switches: dict[str, tuple[bool, bool]],
    order: OrderContext | None,
    guard: GuardVerdict,
    channel: str,
    language: str,
    conversation_id: str,
) -> None:
    result, config = build_plan(
        scores,
        rules,
        flags,
        catalog_with(switches),
        order,
        guard,
        channel,
        language,
        conversation_id,
    )
    assert_rules_hold(result, config, flags, order, conversation_id, channel)


@st.composite
def matched_contexts(draw: st.DrawFn) -> OrderContext:
    """A matched order with a reply plan, the situation where a Tier 2 reply is possible."""
    method = draw(st.sampled_from(sorted(MATCHED_METHODS)))
    reply = draw(order_replies())
    return OrderContext(OrderMatch(method=method, order=ORDER), reply)


near_tier2_flags = st.builds(
    default_flags,
    automation_enabled=st.sampled_from([True] * 9 + [False]),
    safe_mode=st.sampled_from([False] * 9 + [True]),
    tier2_rollout_percent=st.sampled_from([100, 100, 100, 30]),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    score=st.floats(min_value=0.72, max_value=1.0),
    intent=st.sampled_from(sorted(ORDER_STATUS_INTENTS)),
    flags=near_tier2_flags,
    switches=catalog_switches,
    order=st.one_of(matched_contexts(), matched_contexts(), order_contexts()),
    channel=st.sampled_from(["email", "chat"]),
    language=st.sampled_from(["en", "es"]),
    conversation_id=st.text(min_size=1, max_size=12),
)
def test_rules_hold_where_tier2_replies_are_likely(
    score: float,
    intent: Intent,
    flags: Flags,
    switches: dict[str, tuple[bool, bool]],
    order: OrderContext | None,
    channel: str,
    language: str,
    conversation_id: str,
) -> None:
    result, config = build_plan(
        {intent: score},
        [],
        flags,
        catalog_with(switches),
        order,
        GuardVerdict(CUSTOMER_MESSAGE),
        channel,
        language,
        conversation_id,
    )
    assert_rules_hold(result, config, flags, order, conversation_id, channel)


class RecordingHelpdesk:
    """An in-memory helpdesk that records writes; a customer may write again mid-run."""

    def __init__(self, *, customer_writes_after_reply: bool) -> None:
        self.calls: list[str] = []
        self.tags: set[str] = set()
        self.closed = False
        self.comments = [CUSTOMER_MESSAGE]
        self._customer_writes = customer_writes_after_reply

    def get_ticket(self, ticket_id: str) -> Ticket:
        return Ticket(
            ticket_id=ticket_id,
            status="CLOSED" if self.closed else "OPEN",
            channel="email",
            tags=tuple(sorted(self.tags)),
            assignee_id=None,
            comments=tuple(self.comments),
        )

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        self.tags.update(tags)

    def remove_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        self.tags.difference_update(tags)

    def send_message(self, ticket_id: str, *, body: str, author_id: str) -> None:
        self.calls.append("send_message")
        created = self.comments[-1].created_at + timedelta(seconds=1)
        self.comments.append(Comment(f"r-{len(self.comments)}", author_id, body, created, True))
        if self._customer_writes:
            later = created + timedelta(seconds=1)
            self.comments.append(Comment("m-2", "customer-1", "one more thing", later, False))

    def close_ticket(self, ticket_id: str) -> None:
        self.calls.append("close")
        self.closed = True

    def add_internal_note(self, ticket_id: str, *, body: str) -> None:
        self.calls.append("note")

    def assign(self, ticket_id: str, *, assignee_id: str) -> None:
        self.calls.append("assign")


class MemoryKeys:
    def __init__(self) -> None:
        self.done: set[str] = set()

    def claim(self, key: str, *, lease_s: float) -> ClaimOutcome:
        return ClaimOutcome.COMPLETED if key in self.done else ClaimOutcome.CLAIMED

    def complete(self, key: str, *, result: str = "") -> None:
        self.done.add(key)

    def extend_lease(self, key: str, *, lease_s: float) -> bool:
        return True

    def release(self, key: str) -> None:
        self.done.discard(key)


@settings(max_examples=200, deadline=None, database=None)
@given(
    scores=st.builds(
        lambda intent, score: {intent: score},
        st.sampled_from(sorted(ORDER_STATUS_INTENTS)),
        st.floats(min_value=0.72, max_value=1.0),
    ),
    flags=near_tier2_flags,
    switches=catalog_switches,
    order=st.one_of(matched_contexts(), order_contexts()),
    customer_writes=st.booleans(),
)
def test_executor_close_follows_plan(
    scores: dict[Intent, float],
    flags: Flags,
    switches: dict[str, tuple[bool, bool]],
    order: OrderContext | None,
    customer_writes: bool,
) -> None:
    result, _ = build_plan(
        scores,
        [],
        flags,
        catalog_with(switches),
        order,
        GuardVerdict(CUSTOMER_MESSAGE),
        "email",
        "en",
        "c-1",
    )
    helpdesk = RecordingHelpdesk(customer_writes_after_reply=customer_writes)
    executor = ActionExecutor(helpdesk=helpdesk, idempotency=MemoryKeys(), bot_author_id="bot")
    executor.execute(result, event_key="e-1", conversation_id="c-1", answered_message_id="m-1")
    if "close" in helpdesk.calls:
        assert result.close
        assert helpdesk.calls.index("send_message") < helpdesk.calls.index("close")
        assert not customer_writes
        assert "mw-auto-closed" in helpdesk.tags
    else:
        assert "mw-auto-closed" not in helpdesk.tags
    if result.close and not customer_writes:
        assert helpdesk.closed


def test_model_verifier_can_only_deny() -> None:
    reply = OrderReply(ETA_TEMPLATE, dict(FULL_VARIABLES), True, False, "in_window")
    order = OrderContext(OrderMatch(MatchMethod.RICHPANEL_LINK, ORDER), reply)
    base = app_config().policy
    flags = default_flags(tier2_rollout_percent=100)
    classification = classify({Intent.ORDER_STATUS_TRACKING: 0.95})

    def verdict(allow: bool) -> Tier2Verdict:
        return Tier2Verdict(
            schema_version="mw_tier2_verifier_v1",
            allow_tier2=allow,
            confidence=0.95,
            downgrade_to_tier=DowngradeTier.ROUTE_ONLY,
            reason_code=VerifierReason.OK if allow else VerifierReason.CONFLICTING_INTENT,
            notes="",
        )

    def tier_with(model_verdict: Tier2Verdict | None) -> Tier:
        context = PolicyContext(
            channel="email",
            word_count=20,
            guard=GuardVerdict(CUSTOMER_MESSAGE),
            flags=flags,
            conversation_id="c-1",
            order=order,
            model_verdict=model_verdict,
        )
        return plan_actions(classification, context, base).tier

    assert tier_with(None) is Tier.VERIFIED
    assert tier_with(verdict(True)) is Tier.VERIFIED
    assert tier_with(verdict(False)) is Tier.SAFE_ASSIST


def _verified_context(model_verdict: Tier2Verdict | None = None) -> PolicyContext:
    reply = OrderReply(ETA_TEMPLATE, dict(FULL_VARIABLES), True, False, "in_window")
    return PolicyContext(
        channel="email",
        word_count=20,
        guard=GuardVerdict(CUSTOMER_MESSAGE),
        flags=default_flags(tier2_rollout_percent=100),
        conversation_id="c-1",
        order=OrderContext(OrderMatch(MatchMethod.RICHPANEL_LINK, ORDER), reply),
        model_verdict=model_verdict,
    )


@pytest.mark.parametrize(
    ("reason", "downgrade"),
    [
        (VerifierReason.ESCALATION_PRESENT, DowngradeTier.TIER_0_ESCALATION),
        (VerifierReason.CONFLICTING_INTENT, DowngradeTier.ROUTE_ONLY),
        (VerifierReason.OK, DowngradeTier.TIER_0_ESCALATION),
    ],
)
def test_self_contradictory_verifier_allow_denies(
    reason: VerifierReason, downgrade: DowngradeTier
) -> None:
    verdict = Tier2Verdict(
        schema_version="mw_tier2_verifier_v1",
        allow_tier2=True,
        confidence=0.95,
        downgrade_to_tier=downgrade,
        reason_code=reason,
        notes="",
    )
    classification = classify({Intent.ORDER_STATUS_TRACKING: 0.95})

    result = plan_actions(classification, _verified_context(verdict), app_config().policy)

    assert result.tier is Tier.SAFE_ASSIST
    assert result.reply is None
    assert not result.close


@pytest.mark.parametrize("proposed", [TierName.TIER_1_SAFE_ASSIST, TierName.TIER_0_ESCALATION])
def test_model_proposing_below_tier2_gets_no_verified_reply(proposed: TierName) -> None:
    local = classify({Intent.ORDER_STATUS_TRACKING: 0.95}).decision
    automation = local.automation.model_copy(
        update={"tier": proposed, "action": ReplyAction.SEND_TEMPLATE}
    )
    model = Classification(
        decision=local.model_copy(update={"automation": automation}),
        tier0_hits=(),
        classifier_version="llm",
    )

    result = plan_actions(model, _verified_context(), app_config().policy)

    assert result.tier is not Tier.VERIFIED
    assert result.reply is None
    assert not result.close
