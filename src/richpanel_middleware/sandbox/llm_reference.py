"""Reference decisions for the sandbox LLM: the local model reads what the model path sent.

The keyword table steers tests; it is not a model, and scoring it against a golden set
measures the table. In reference mode the sandbox answers with the project's local model
instead, run over the customer message exactly as the prompt carried it. The model's
scores are used without the Tier 0 rules: a hosted model does not run them either, so the
rules the model path runs itself are part of what is measured.

An evaluation of the `llm` or `cascade` classifier against this sandbox then measures the
model path: Tier 0 rules, minimisation, the customer block, strict output, parsing and
policy recomputation. When that path keeps the message intact, accuracy and the Tier 0
figures match the local classifier's, so a drop below the local baseline is something the
path lost. The reference never reads the system prompt, so it shows nothing about the
prompt's wording or a hosted model's quality. Only an evaluation against that model can.
"""

from __future__ import annotations

from typing import Protocol

from richpanel_middleware.classify.language import detect_language
from richpanel_middleware.classify.local_model import MODEL_MAX_CHARS, decision_from_scores
from richpanel_middleware.domain.decision import RISK_FLAG_INTENTS
from richpanel_middleware.domain.intents import ORDER_STATUS_INTENTS, TIER0_INTENTS, Intent
from richpanel_middleware.sandbox.llm_app import decision_body
from richpanel_middleware.sandbox.llm_state import JsonObject


class ScoreModel(Protocol):
    def predict_scores(self, text: str) -> dict[Intent, float]: ...


class ReferenceClassifier(Protocol):
    """The parts of `LocalClassifier` that reference decisions read."""

    @property
    def model(self) -> ScoreModel: ...

    @property
    def secondary_min(self) -> float: ...


class ReferenceDecisions:
    """Decisions from a local model's scores, as the sandbox LLM's `valid` behaviour."""

    name = "reference"

    def __init__(self, classifier: ReferenceClassifier) -> None:
        self._model = classifier.model
        self._secondary_min = classifier.secondary_min

    def decide(self, customer_text: str, schema: JsonObject | None) -> JsonObject:
        scores = self._model.predict_scores(customer_text[-MODEL_MAX_CHARS:])
        decision = decision_from_scores(
            scores,
            rule_intents=[],
            language=detect_language(customer_text),
            secondary_min=self._secondary_min,
        )
        confidence = decision.routing.confidence
        if decision.primary_intent in ORDER_STATUS_INTENTS:
            # Both order-status intents lead to the same reply, and the local path adds
            # their probabilities up; a model states that sum as its confidence.
            confidence = sum(
                score for intent, score in scores.items() if intent in ORDER_STATUS_INTENTS
            )
        # A Tier 0 intent among the secondaries is a weak score, so it raises no flag and
        # is left out: a model that names one would be stating a risk.
        secondary = [i for i in decision.secondary_intents if i not in TIER0_INTENTS]
        return decision_body(
            [decision.primary_intent, *secondary],
            risk_intents=[RISK_FLAG_INTENTS[flag] for flag in decision.risk.flags],
            language=decision.language,
            confidence=round(min(1.0, confidence), 6),
            schema=schema,
            note=f"sandbox reference model: {decision.primary_intent.value}",
        )
