"""Classifier output for policy: the schema-valid proposal plus the evidence behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from richpanel_middleware.classify.tier0_rules import RuleHit
from richpanel_middleware.domain.decision import Decision
from richpanel_middleware.domain.intents import Intent


@dataclass(frozen=True, slots=True)
class ModelUsage:
    """The cost of hosted-model calls for one decision: calls, tokens and US dollars."""

    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def plus(self, other: ModelUsage) -> ModelUsage:
        return ModelUsage(
            self.llm_calls + other.llm_calls,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost_usd + other.cost_usd,
        )


@dataclass(frozen=True, slots=True)
class Classification:
    """A classifier's output.

    `scores` contains calibrated probabilities per intent when the classifier has them (the
    local model does); policy uses them to decide which intents are present. `tier0_hits`
    are the deterministic rule hits, computed before and independently of the model.
    """

    decision: Decision
    tier0_hits: tuple[RuleHit, ...]
    classifier_version: str
    scores: Mapping[Intent, float] = field(default_factory=dict)
    latency_ms: float = 0.0
    usage: ModelUsage = field(default_factory=ModelUsage)
