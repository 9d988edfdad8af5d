"""The deterministic Tier 2 verifier: every gate a verified order reply must pass.

It returns an `mw_tier2_verifier_v1` verdict plus the gate results behind it. A model
verifier may be layered on top later, and it can only deny what this one allows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from richpanel_middleware.domain.decision import (
    VERIFIER_SCHEMA_VERSION,
    DowngradeTier,
    Tier2Verdict,
    VerifierReason,
)
from richpanel_middleware.domain.intents import (
    ORDER_STATUS_INTENTS,
    TIER2_BLOCKING_PRIORITIES,
    spec_of,
)
from richpanel_middleware.orders.reply_facts import OrderReply
from richpanel_middleware.policy.config import Flags, Thresholds
from richpanel_middleware.policy.intent_selection import IntentSelection
from richpanel_middleware.policy.order_context import OrderContext
from richpanel_middleware.policy.plan import Gate
from richpanel_middleware.templates.catalog import BRAND_VARIABLES, TemplateCatalog
from richpanel_middleware.templates.renderer import variant_for_channel

# The deterministic verifier is certain of what it checked; the threshold exists for the
# model verifier that may follow.
DETERMINISTIC_CONFIDENCE = 1.0


@dataclass(frozen=True, slots=True)
class Tier2Check:
    verdict: Tier2Verdict
    gates: tuple[Gate, ...]
    reply: OrderReply | None

    @property
    def allowed(self) -> bool:
        return self.verdict.allow_tier2 and self.reply is not None


def in_rollout(conversation_id: str, percent: int) -> bool:
    """Return whether the conversation is in the rollout share (stable for the same id)."""
    if percent <= 0 or not conversation_id:
        return False
    if percent >= 100:
        return True
    digest = hashlib.sha256(conversation_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def verify_tier2(
    *,
    selection: IntentSelection,
    status_confidence: float,
    order: OrderContext | None,
    conversation_id: str,
    language: str,
    channel: str | None,
    flags: Flags,
    thresholds: Thresholds,
    catalog: TemplateCatalog,
    model_verdict: Tier2Verdict | None = None,
) -> Tier2Check:
    """Check every Tier 2 gate. `model_verdict`, when a model verifier gave one, can only deny."""
    reply = order.reply if order is not None and isinstance(order.reply, OrderReply) else None
    matched = order is not None and order.match.matched
    blocking = sorted(
        intent.value
        for intent in selection.present
        if spec_of(intent).priority in TIER2_BLOCKING_PRIORITIES
    )
    entry = catalog.get(reply.template_id) if reply is not None else None
    enabled = (
        entry is not None
        and entry.tier == 2
        and flags.template_enabled.get(entry.template_id, entry.enabled)
    )
    has_copy = entry is not None and entry.body(language, variant_for_channel(channel)) is not None
    verifier_confidence = (
        DETERMINISTIC_CONFIDENCE
        if model_verdict is None
        else min(DETERMINISTIC_CONFIDENCE, model_verdict.confidence)
    )
    # Brand variables come from brand.yaml; every other required variable is an order fact.
    missing = (
        [
            name
            for name in entry.required_variables
            if name not in BRAND_VARIABLES and not reply.variables.get(name)
        ]
        if entry is not None and reply is not None
        else []
    )
    checks = (
        Gate(
            "tier2_order_status_intent",
            selection.primary in ORDER_STATUS_INTENTS,
            f"primary intent is {selection.primary.value}",
        ),
        Gate(
            "tier2_no_blocking_intent",
            not blocking and not selection.tier0_signal,
            f"intents that forbid Tier 2: {', '.join(blocking) or 'tier 0 signal'}",
        ),
        Gate(
            "tier2_exactly_one_order",
            matched,
            f"order match: {order.match.method.value if order else 'not looked up'}",
        ),
        Gate(
            "tier2_answer_fits_order",
            reply is not None,
            f"no automatic answer: {order.reply if order and order.reply else 'no order'}",
        ),
        Gate(
            "tier2_confidence",
            status_confidence >= thresholds.tier2_min,
            f"{status_confidence:.4f} vs minimum {thresholds.tier2_min:.2f}",
        ),
        Gate(
            "tier2_template_enabled",
            bool(enabled and has_copy),
            f"template disabled or without {language} copy for channel {channel or 'unknown'}"
            if entry is not None
            else "no verified reply to send",
        ),
        Gate(
            "tier2_required_variables",
            reply is not None and not missing,
            f"missing variables: {', '.join(missing) or 'no order facts'}",
        ),
        Gate(
            "tier2_rollout",
            in_rollout(conversation_id, flags.tier2_rollout_percent),
            f"conversation outside the {flags.tier2_rollout_percent}% rollout",
        ),
        Gate(
            "tier2_verifier_confidence",
            thresholds.tier2_verifier_min <= verifier_confidence,
            f"{verifier_confidence:.2f} vs minimum {thresholds.tier2_verifier_min:.2f}",
        ),
        Gate(
            "tier2_model_verifier",
            model_verdict is None or _model_allows(model_verdict),
            f"model verifier denied: {model_verdict.reason_code.value}"
            if model_verdict is not None
            else "",
        ),
    )
    gates = tuple(Gate(g.name, g.passed, "" if g.passed else g.reason) for g in checks)
    allowed = all(g.passed for g in gates)
    return Tier2Check(
        verdict=Tier2Verdict(
            schema_version=VERIFIER_SCHEMA_VERSION,
            allow_tier2=allowed,
            confidence=DETERMINISTIC_CONFIDENCE,
            downgrade_to_tier=_downgrade(gates, selection),
            reason_code=_reason(gates, selection),
            notes=", ".join(g.name for g in gates if not g.passed)[:500],
        ),
        gates=gates,
        reply=reply if allowed else None,
    )


def _reason(gates: tuple[Gate, ...], selection: IntentSelection) -> VerifierReason:
    failed = {g.name for g in gates if not g.passed}
    if not failed:
        return VerifierReason.OK
    if selection.tier0_signal:
        return VerifierReason.ESCALATION_PRESENT
    if "tier2_order_status_intent" in failed:
        return VerifierReason.NOT_ORDER_STATUS
    if "tier2_no_blocking_intent" in failed:
        return VerifierReason.CONFLICTING_INTENT
    if "tier2_exactly_one_order" in failed:
        return VerifierReason.DETERMINISTIC_MATCH_FALSE
    return VerifierReason.TOO_AMBIGUOUS


def _downgrade(gates: tuple[Gate, ...], selection: IntentSelection) -> DowngradeTier:
    if selection.tier0_signal:
        return DowngradeTier.TIER_0_ESCALATION
    failed = {g.name for g in gates if not g.passed}
    if "tier2_exactly_one_order" in failed or "tier2_no_blocking_intent" in failed:
        return DowngradeTier.TIER_1_SAFE_ASSIST
    return DowngradeTier.ROUTE_ONLY


def _model_allows(verdict: Tier2Verdict) -> bool:
    """Return whether the verdict allows the reply with nothing in it against the reply.

    A verdict that allows but names a reason other than OK, or requests Tier 0, contradicts
    itself, so its cautious half wins.
    """
    return (
        verdict.allow_tier2
        and verdict.reason_code is VerifierReason.OK
        and verdict.downgrade_to_tier is not DowngradeTier.TIER_0_ESCALATION
    )
