"""Risk that a classifier's proposal states, in any of the forms the schema allows.

A hosted model does not always state risk the way the schema intends. It may list a
chargeback among the secondary intents without a flag, raise `OTHER_HIGH_RISK`, or propose
Tier 0 with no flag at all. It may also route to a team only Tier 0 intents use, pick a
Tier 0 template, or propose no reply. Each form only makes the outcome safer: it blocks
any reply, and a Tier 0 intent the model names counts as a Tier 0 signal.

A statistical classifier's secondary intents are its next-best scores, not statements.
A weak Tier 0 secondary from a proposal with scores is therefore no signal; its flags are.
"""

from __future__ import annotations

from dataclasses import dataclass

from richpanel_middleware.classify.result import Classification
from richpanel_middleware.domain.decision import ReplyAction, RiskFlag, TierName
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent


def stated_tier0_intents(classification: Classification) -> list[Intent]:
    """Return the Tier 0 intents a model names among its intents without a risk flag.

    Empty for a proposal with scores, whose secondary intents are only next-best scores.
    """
    if classification.scores:
        return []
    decision = classification.decision
    named = [decision.primary_intent, *decision.secondary_intents]
    return [intent for intent in dict.fromkeys(named) if intent in TIER0_INTENTS]


@dataclass(frozen=True, slots=True)
class EscalationNames:
    """Names in a proposal that only an escalation uses.

    `teams` are the teams that only Tier 0 intents route to; `templates` are the Tier 0
    templates.
    """

    teams: frozenset[str] = frozenset()
    templates: frozenset[str] = frozenset()


def model_risk_reasons(
    classification: Classification, escalation: EscalationNames = EscalationNames()
) -> list[str]:
    """Return the reasons the proposal gives for a human, or an empty list.

    A proposal with scores comes from the local model, whose team, template and action
    fields are fixed defaults rather than statements, so only its risk fields count.
    """
    decision = classification.decision
    reasons: list[str] = []
    if not classification.scores:
        if decision.routing.destination_team in escalation.teams:
            reasons.append(f"classifier routed to {decision.routing.destination_team}")
        if decision.automation.template_id in escalation.templates:
            reasons.append(f"classifier chose {decision.automation.template_id}")
        if decision.automation.action is ReplyAction.ROUTE_ONLY:
            reasons.append("classifier proposed no reply")
    if decision.risk.force_human:
        reasons.append("classifier asked for a human")
    if decision.risk.flags:
        reasons.append("risk flags " + ", ".join(flag.value for flag in decision.risk.flags))
    if decision.automation.tier is TierName.TIER_0_ESCALATION:
        reasons.append("classifier proposed Tier 0")
    named = stated_tier0_intents(classification)
    if named:
        reasons.append("classifier named " + ", ".join(intent.value for intent in named))
    return reasons


def has_unmapped_risk(classification: Classification) -> bool:
    """Tell whether the proposal states risk that no Tier 0 intent stands for.

    That is `OTHER_HIGH_RISK`, or a Tier 0 proposal without a flag or a named Tier 0
    intent. Such risk goes to a person without a Tier 0 route.
    """
    decision = classification.decision
    other = RiskFlag.OTHER_HIGH_RISK in decision.risk.flags
    bare_tier0 = (
        decision.automation.tier is TierName.TIER_0_ESCALATION
        and not decision.risk.flags
        and not stated_tier0_intents(classification)
    )
    return other or bare_tier0
