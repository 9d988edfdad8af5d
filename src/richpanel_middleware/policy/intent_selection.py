"""Primary and secondary intent selection from a classifier's evidence.

Rules: any Tier 0 signal (a rule hit, a risk flag, or a Tier 0 intent a model names) wins
(the most confident among them); otherwise the highest
priority level present wins; inside a level the more specific workflow wins, then the
higher score. The classifier's own primary is only one piece of evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from richpanel_middleware.classify.result import Classification
from richpanel_middleware.domain.decision import RISK_FLAG_INTENTS
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent, spec_of
from richpanel_middleware.policy.model_risk import stated_tier0_intents

# Score given to an intent that a deterministic rule found; rules are not probabilistic.
RULE_HIT_SCORE = 1.0
MAX_SECONDARY_INTENTS = 2


@dataclass(frozen=True, slots=True)
class IntentSelection:
    primary: Intent
    secondary: tuple[Intent, ...]
    present: Mapping[Intent, float]
    tier0_signal: bool
    top_score: float
    second_score: float


def present_intents(classification: Classification, *, secondary_min: float) -> dict[Intent, float]:
    """Map every intent with evidence in the message to its strongest score."""
    decision = classification.decision
    scores = dict(classification.scores)
    present: dict[Intent, float] = {}

    def add(intent: Intent, score: float) -> None:
        present[intent] = max(present.get(intent, 0.0), score)

    if scores:
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        add(*ranked[0])
        for intent, score in ranked[1:]:
            # Tier 0 intents count only through rules and risk flags, never as a weak secondary.
            if score >= secondary_min and intent not in TIER0_INTENTS:
                add(intent, score)
    else:
        add(decision.primary_intent, decision.routing.confidence)
        for intent in decision.secondary_intents:
            if intent not in TIER0_INTENTS:
                add(intent, decision.routing.confidence * 0.5)
        # A model that names a Tier 0 intent states it, as a risk flag would.
        for intent in stated_tier0_intents(classification):
            add(intent, decision.routing.confidence)
    for intent in decision.secondary_intents:
        if scores.get(intent, 0.0) >= secondary_min and intent not in TIER0_INTENTS:
            add(intent, scores[intent])
    for hit in classification.tier0_hits:
        add(hit.intent, RULE_HIT_SCORE)
    for flag in decision.risk.flags:
        flagged = RISK_FLAG_INTENTS.get(flag)
        if flagged is not None:
            add(flagged, max(scores.get(flagged, 0.0), decision.routing.confidence))
    return present


def select_intents(classification: Classification, *, secondary_min: float) -> IntentSelection:
    present = present_intents(classification, secondary_min=secondary_min)
    tier0 = {intent: score for intent, score in present.items() if intent in TIER0_INTENTS}
    if tier0:
        primary = max(tier0, key=lambda intent: (tier0[intent], spec_of(intent).specificity))
    else:
        primary = min(present, key=lambda intent: _rank(intent, present))
    secondary = tuple(
        sorted((i for i in present if i is not primary), key=lambda i: _rank(i, present))
    )[:MAX_SECONDARY_INTENTS]
    model_scores = sorted(
        (classification.scores or {primary: _stated_confidence(classification)}).values(),
        reverse=True,
    )
    return IntentSelection(
        primary=primary,
        secondary=secondary,
        present=present,
        tier0_signal=bool(tier0),
        top_score=model_scores[0],
        second_score=model_scores[1] if len(model_scores) > 1 else 0.0,
    )


def _stated_confidence(classification: Classification) -> float:
    """Return a model's confidence: the lower of its routing and automation confidences."""
    decision = classification.decision
    return min(decision.routing.confidence, decision.automation.confidence)


def _rank(intent: Intent, present: Mapping[Intent, float]) -> tuple[int, int, float]:
    spec = spec_of(intent)
    return (int(spec.priority), -spec.specificity, -present[intent])
