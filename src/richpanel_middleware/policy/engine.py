"""Policy engine v1: turn a classification and its context into an action plan.

Invariants enforced here:
- Tier 0 (any rule hit, model risk flag or Tier 0 intent a model names) routes to the
  escalation team whatever the confidence, and sends at most a neutral acknowledgement
  (disabled by default). Any other risk a model states blocks the reply.
- Tier 1 replies are intake templates, always routed to a human, never closing.
- Tier 2 needs exactly one deterministically matched order and every gate of the Tier 2
  verifier; without a match, order-status intents get the Tier 1 "ask for the order
  number" template, and a failed lookup gets no reply at all.
- Tier 3 does not exist: a proposal for it becomes Tier 1 intake plus a human route.
- A reply goes out only when every gate passed and the template rendered; otherwise the
  plan is route-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from richpanel_middleware.classify.result import Classification
from richpanel_middleware.domain import tags
from richpanel_middleware.domain.decision import ReplyAction, Tier2Verdict, TierName
from richpanel_middleware.domain.intents import ORDER_STATUS_INTENTS, TIER0_INTENTS, Tier, spec_of
from richpanel_middleware.orders.reply_facts import STATUS_TEMPLATE, OrderReply
from richpanel_middleware.policy.auto_close import auto_close_allowed
from richpanel_middleware.policy.config import REPLY_CHANNELS, Flags, RoutingMap, Thresholds
from richpanel_middleware.policy.intent_selection import IntentSelection, select_intents
from richpanel_middleware.policy.loop_guard import GuardVerdict
from richpanel_middleware.policy.model_risk import (
    EscalationNames,
    has_unmapped_risk,
    model_risk_reasons,
)
from richpanel_middleware.policy.order_context import OrderContext
from richpanel_middleware.policy.plan import ActionPlan, Gate
from richpanel_middleware.policy.tier2_verifier import in_rollout, verify_tier2
from richpanel_middleware.templates.catalog import BrandConstants, TemplateCatalog
from richpanel_middleware.templates.renderer import (
    RenderedReply,
    render_template,
    variant_for_channel,
)

POLICY_VERSION = "policy_v1"


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    routing: RoutingMap
    thresholds: Thresholds
    catalog: TemplateCatalog
    brand: BrandConstants


@dataclass(frozen=True, slots=True)
class PolicyContext:
    channel: str | None
    word_count: int
    guard: GuardVerdict
    flags: Flags
    profile_variables: Mapping[str, str | None] = field(default_factory=dict)
    conversation_id: str = ""
    order: OrderContext | None = None
    model_verdict: Tier2Verdict | None = None


@dataclass(frozen=True, slots=True)
class _Route:
    team: str
    confidence: float
    tags: tuple[str, ...]
    to_triage: bool


def plan_actions(
    classification: Classification, context: PolicyContext, config: PolicyConfig
) -> ActionPlan:
    selection = select_intents(classification, secondary_min=config.thresholds.secondary_min)
    route = _route(selection, classification, context, config)
    gates: list[Gate] = []

    tier, template_id, tier_tags, order_reply = _tier_and_template(
        selection, classification, context, config, gates
    )
    reply = _reply(
        selection,
        classification,
        context,
        config,
        tier,
        template_id,
        route,
        gates,
        order_variables=order_reply.variables if order_reply else None,
    )
    if tier is Tier.VERIFIED and reply is None:
        # No verified reply goes out (a route-only channel, a guard, a refused render), so
        # the decision is a human one and is tagged as such.
        tier, order_reply = Tier.SAFE_ASSIST, None

    tag_list = [
        tags.PROCESSED,
        tags.ROUTING_APPLIED,
        tags.route_tag(route.team),
        tags.intent_tag(selection.primary),
        *(tags.secondary_tag(intent) for intent in selection.secondary),
        tags.tier_tag(tier),
        *route.tags,
        *tier_tags,
        *context.guard.extra_tags,
    ]
    if reply is not None:
        tag_list += [tags.template_tag(reply.template_id), tags.AUTO_REPLIED]
    if context.flags.shadow_mode:
        tag_list.append(tags.SHADOW)

    entry = config.catalog.get(template_id) if template_id else None
    close = auto_close_allowed(
        tier=tier,
        template=entry,
        reply=reply,
        gates=gates,
        order_in_window=order_reply is not None and order_reply.auto_close_eligible,
    )
    if close:
        tag_list.append(tags.AUTO_CLOSED)
    action = ReplyAction.ROUTE_ONLY
    if reply is not None:
        action = ReplyAction.ACK_ONLY if tier is Tier.ESCALATION else ReplyAction.SEND_TEMPLATE
    return ActionPlan(
        primary_intent=selection.primary,
        secondary_intents=selection.secondary,
        destination_team=route.team,
        routing_confidence=route.confidence,
        tier=tier,
        action=action,
        template_id=reply.template_id if reply else None,
        tags=tuple(dict.fromkeys(tag_list)),
        reply=reply,
        close=close,
        assignee_id=config.routing.assignee_of(route.team),
        gates=tuple(gates),
    )


def routing_confidence(
    selection: IntentSelection, word_count: int, thresholds: Thresholds
) -> float:
    """Apply the penalties to the classifier's top score."""
    penalties = thresholds.penalties
    confidence = selection.top_score
    if selection.top_score - selection.second_score < penalties.narrow_margin.below:
        confidence -= penalties.narrow_margin.penalty
    if word_count < penalties.short_message.words_below:
        confidence -= penalties.short_message.penalty
    strong = sum(1 for s in selection.present.values() if s >= penalties.several_strong.score_min)
    if strong >= penalties.several_strong.count_min:
        confidence -= penalties.several_strong.penalty
    return max(0.0, min(1.0, confidence))


def order_status_confidence(
    classification: Classification,
    selection: IntentSelection,
    word_count: int,
    thresholds: Thresholds,
) -> float:
    """Compute the confidence that the message is about an order's status, for the Tier 2 gate.

    Both order-status intents lead to the same verified reply, so their probabilities
    add up, and a near tie between them is no reason for doubt. The other penalties apply
    as for routing: a close non-status intent, a short message, several strong intents.
    """
    scores = classification.scores or {selection.primary: selection.top_score}
    family = sum(score for intent, score in scores.items() if intent in ORDER_STATUS_INTENTS)
    others = sorted(
        (score for intent, score in scores.items() if intent not in ORDER_STATUS_INTENTS),
        reverse=True,
    )
    penalties = thresholds.penalties
    confidence = family
    if others and family - others[0] < penalties.narrow_margin.below:
        confidence -= penalties.narrow_margin.penalty
    if word_count < penalties.short_message.words_below:
        confidence -= penalties.short_message.penalty
    strong = sum(1 for score in others if score >= penalties.several_strong.score_min)
    if strong and family >= penalties.several_strong.score_min:
        confidence -= penalties.several_strong.penalty
    return max(0.0, min(1.0, confidence))


def _route(
    selection: IntentSelection,
    classification: Classification,
    context: PolicyContext,
    config: PolicyConfig,
) -> _Route:
    routing = config.routing
    thresholds = config.thresholds
    confidence = routing_confidence(selection, context.word_count, thresholds)
    if selection.primary in ORDER_STATUS_INTENTS:
        # The two order-status intents share a team and a workflow, so a near tie between
        # them is no doubt about where the conversation belongs.
        confidence = max(
            confidence,
            order_status_confidence(classification, selection, context.word_count, thresholds),
        )
    intent_team = routing.intents[selection.primary].team
    extra: list[str] = []

    if selection.tier0_signal:
        team, to_triage = intent_team, False
        extra.append(tags.ESCALATED_HUMAN)
    elif confidence >= thresholds.team_min_for(selection.primary):
        team, to_triage = intent_team, False
    elif confidence >= thresholds.routing.uncertain_min:
        team, to_triage = intent_team, False
        extra.append(tags.UNCERTAIN)
    else:
        team, to_triage = routing.triage_team, True
        extra.append(tags.NEEDS_MANUAL_TRIAGE)
    if has_unmapped_risk(classification) and not selection.tier0_signal:
        # Risk with no Tier 0 intent to route by keeps the route and is marked for a person.
        extra.append(tags.ESCALATED_HUMAN)

    channel_team = routing.channel_teams.get(context.channel or "")
    generic = selection.primary in routing.generic_intents
    if channel_team and generic and not selection.tier0_signal and not to_triage:
        team = channel_team
    if classification.decision.routing.needs_manual_triage and not selection.tier0_signal:
        team, to_triage = routing.triage_team, True
        extra.append(tags.NEEDS_MANUAL_TRIAGE)
    if team not in routing.team_names:
        extra.append(tags.needs_team_tag(team))
        team = routing.fallback_team
    return _Route(team, confidence, tuple(dict.fromkeys(extra)), to_triage)


def escalation_names(config: PolicyConfig) -> EscalationNames:
    """Collect the teams only Tier 0 intents route to, and the Tier 0 templates."""
    routes = config.routing.intents
    tier0_teams = {routes[intent].team for intent in TIER0_INTENTS}
    other_teams = {route.team for intent, route in routes.items() if intent not in TIER0_INTENTS}
    templates = {
        entry.template_id
        for entry in config.catalog.templates
        if entry.tier_level is Tier.ESCALATION
    }
    return EscalationNames(frozenset(tier0_teams - other_teams), frozenset(templates))


def needs_order_lookup(
    classification: Classification, context: PolicyContext, config: PolicyConfig
) -> bool:
    """Whether a Tier 2 reply is on the table, so the worker should look the order up.

    Order lookups happen only for order-status messages without a Tier 0 signal, while
    automation may reply, the conversation is in the Tier 2 rollout and the loop guard
    allows a reply. Safe mode means no lookups at all.
    """
    flags = context.flags
    if flags.safe_mode or not flags.automation_enabled or not context.guard.reply_allowed:
        return False
    if not in_rollout(context.conversation_id, flags.tier2_rollout_percent):
        return False
    if context.channel not in flags.automation_channels or context.channel not in REPLY_CHANNELS:
        return False
    # No reply could go out in a language without copy, so the store is not asked.
    status_template = config.catalog.get(STATUS_TEMPLATE)
    variant = variant_for_channel(context.channel)
    language = classification.decision.language
    if status_template is None or status_template.body(language, variant) is None:
        return False
    if model_risk_reasons(classification, escalation_names(config)):
        return False
    selection = select_intents(classification, secondary_min=config.thresholds.secondary_min)
    return selection.primary in ORDER_STATUS_INTENTS and not selection.tier0_signal


def _tier_and_template(
    selection: IntentSelection,
    classification: Classification,
    context: PolicyContext,
    config: PolicyConfig,
    gates: list[Gate],
) -> tuple[Tier, str | None, tuple[str, ...], OrderReply | None]:
    template_id = config.routing.intents[selection.primary].template
    if selection.tier0_signal:
        return Tier.ESCALATION, template_id, (), None

    proposed = classification.decision.automation.tier
    if proposed is TierName.TIER_3_AUTO_ACTION:
        gates.append(
            Gate("tier3_disabled", False, "auto-actions do not exist; downgraded to Tier 1")
        )
    if selection.primary in ORDER_STATUS_INTENTS:
        return _order_status_tier(selection, classification, context, config, template_id, gates)
    tier = min(spec_of(selection.primary).max_tier, Tier.SAFE_ASSIST)
    return tier, template_id, (), None


def _order_status_tier(
    selection: IntentSelection,
    classification: Classification,
    context: PolicyContext,
    config: PolicyConfig,
    ask_template: str | None,
    gates: list[Gate],
) -> tuple[Tier, str | None, tuple[str, ...], OrderReply | None]:
    """Tier 2 with the verified reply, or the safe fallback for this order situation."""
    order = context.order
    check = verify_tier2(
        selection=selection,
        status_confidence=order_status_confidence(
            classification, selection, context.word_count, config.thresholds
        ),
        order=order,
        conversation_id=context.conversation_id,
        language=classification.decision.language,
        channel=context.channel,
        flags=context.flags,
        thresholds=config.thresholds,
        catalog=config.catalog,
        model_verdict=context.model_verdict,
    )
    if order is None:
        gates.append(Gate("tier2_order_match", False, "order not looked up"))
        # When no reply may go out at all (a reopened conversation, or one already replied
        # to), a request to look the order up adds nothing to the human route.
        extra = (tags.ORDER_LOOKUP_NEEDED,) if context.guard.reply_allowed else ()
        return Tier.SAFE_ASSIST, ask_template, extra, None
    gates.extend(check.gates)
    # A model that did not propose a verified reply is not upgraded to one.
    proposed = classification.scores or (
        classification.decision.automation.tier.tier >= Tier.VERIFIED
    )
    gates.append(
        Gate("tier2_model_proposed", bool(proposed), "classifier proposed no verified reply")
    )
    if check.allowed and proposed and check.reply is not None:
        extra = (tags.ESCALATED_HUMAN,) if check.reply.needs_human else ()
        return Tier.VERIFIED, check.reply.template_id, extra, check.reply
    if order.match.lookup_failed:
        # The store could not be asked: no reply at all, a person looks the order up.
        return Tier.SAFE_ASSIST, None, (tags.ORDER_LOOKUP_NEEDED,), None
    if order.match.matched:
        # The order is known but no verified reply may go out. Asking the customer for the
        # number again would be noise, so a person replies.
        return Tier.SAFE_ASSIST, None, (tags.ESCALATED_HUMAN,), None
    return Tier.SAFE_ASSIST, ask_template, (tags.ORDER_LOOKUP_NEEDED,), None


def _reply(
    selection: IntentSelection,
    classification: Classification,
    context: PolicyContext,
    config: PolicyConfig,
    tier: Tier,
    template_id: str | None,
    route: _Route,
    gates: list[Gate],
    *,
    order_variables: Mapping[str, object] | None = None,
) -> RenderedReply | None:
    flags = context.flags
    checks = [
        Gate(
            "template_mapped",
            template_id is not None,
            "" if template_id else "intent has no template",
        ),
        Gate(
            "automation_enabled",
            flags.automation_enabled and not flags.safe_mode,
            ""
            if flags.automation_enabled and not flags.safe_mode
            else "automation off or safe mode",
        ),
        Gate(
            "channel_allowed",
            context.channel in flags.automation_channels and context.channel in REPLY_CHANNELS,
            f"channel {context.channel or 'unknown'} is route-only",
        ),
        Gate(
            "loop_guard",
            context.guard.reply_allowed,
            ",".join(block.value for block in context.guard.reply_blocks),
        ),
    ]
    if tier is not Tier.ESCALATION:
        minimum = config.thresholds.tier1_min_for(selection.primary)
        risk_reasons = model_risk_reasons(classification, escalation_names(config))
        checks += [
            Gate("not_triage", not route.to_triage, "routed to manual triage"),
            Gate(
                "tier1_confidence",
                route.confidence >= minimum,
                f"{route.confidence:.4f} vs minimum {minimum:.2f}",
            ),
            Gate("no_tier0_signal", not selection.tier0_signal, "tier 0 signal present"),
            Gate(
                "model_allows_reply",
                not risk_reasons,
                "; ".join(risk_reasons),
            ),
        ]
    entry = config.catalog.get(template_id) if template_id else None
    if entry is not None:
        # Configuration validation enforces this too; policy does not rely on it.
        tier_matches = (
            entry.tier_level is Tier.ESCALATION
            if tier is Tier.ESCALATION
            else Tier.ESCALATION < entry.tier_level <= tier
        )
        checks.append(
            Gate(
                "template_tier",
                tier_matches,
                f"template is Tier {entry.tier}, plan is Tier {int(tier)}",
            )
        )
    gates.extend(Gate(g.name, g.passed, "" if g.passed else g.reason) for g in checks)
    if template_id is None or not all(gate.passed for gate in checks):
        return None

    rendered = render_template(
        config.catalog,
        config.brand,
        template_id,
        language=classification.decision.language,
        channel=context.channel,
        enabled_override=flags.template_enabled.get(template_id),
        profile_variables=context.profile_variables,
        order_variables=order_variables,
    )
    if not isinstance(rendered, RenderedReply):
        gates.append(Gate("template_rendered", False, rendered.reason))
        return None
    gates.append(Gate("template_rendered", True))
    return rendered
