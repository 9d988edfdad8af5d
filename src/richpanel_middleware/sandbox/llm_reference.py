"""Reference decisions for the sandbox LLM: the local classifier reads what the model path sent.

The keyword table steers tests; it is not a model, and scoring it against a golden set
measures the table. In reference mode the sandbox answers with the project's local classifier
instead, run over the customer message exactly as the prompt carried it. An evaluation of
the `llm` or `cascade` classifier against this sandbox then measures the model path
itself (minimisation, prompt, strict output, parsing, policy recomputation): when that
path keeps the message intact, its figures match the local classifier's, and a drop below
the local baseline is something the path lost. It says nothing about a hosted model's
quality, which only an evaluation against that model can show.
"""

from __future__ import annotations

from typing import Protocol

from richpanel_middleware.classify.result import Classification
from richpanel_middleware.domain.decision import RISK_FLAG_INTENTS
from richpanel_middleware.domain.intents import ORDER_STATUS_INTENTS
from richpanel_middleware.sandbox.llm_app import decision_body
from richpanel_middleware.sandbox.llm_state import JsonObject


class ReferenceClassifier(Protocol):
    """The part of `LocalClassifier` that reference decisions call."""

    def classify(self, text: str) -> Classification: ...


class ReferenceDecisions:
    """Decisions from a local classifier, as the sandbox LLM's `valid` behaviour."""

    name = "reference"

    def __init__(self, classifier: ReferenceClassifier) -> None:
        self._classifier = classifier

    def decide(self, customer_text: str, schema: JsonObject | None) -> JsonObject:
        result = self._classifier.classify(customer_text)
        decision = result.decision
        # A Tier 0 intent among the secondaries is a weak score, not a signal: only the
        # decision's risk flags and the rule hits raise flags, as in the local path.
        flagged = [RISK_FLAG_INTENTS[flag] for flag in decision.risk.flags]
        confidence = decision.routing.confidence
        if decision.primary_intent in ORDER_STATUS_INTENTS:
            # Both order-status intents lead to the same reply, and the local path adds
            # their probabilities up; a model states that sum as its confidence.
            confidence = sum(
                score for intent, score in result.scores.items() if intent in ORDER_STATUS_INTENTS
            )
        return decision_body(
            [decision.primary_intent, *decision.secondary_intents],
            risk_intents=[*flagged, *(hit.intent for hit in result.tier0_hits)],
            language=decision.language,
            confidence=round(min(1.0, confidence), 6),
            schema=schema,
            note=f"sandbox reference model: {decision.primary_intent.value}",
        )
