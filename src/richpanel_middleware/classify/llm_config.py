"""Settings support operations own for the LLM classifier: prices and cascade thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from richpanel_middleware.classify.result import ModelUsage
from richpanel_middleware.domain.intents import Intent


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelPrice(_Config):
    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


class CascadeThresholds(_Config):
    local_min: float = Field(ge=0.0, le=1.0)
    per_intent: dict[Intent, float] = Field(default_factory=dict)

    def local_min_for(self, intent: Intent) -> float:
        return self.per_intent.get(intent, self.local_min)


class LlmConfig(_Config):
    version: Literal[1]
    prices: dict[str, ModelPrice]
    cascade: CascadeThresholds

    def price_of(self, model: str) -> ModelPrice | None:
        return self.prices.get(model) or self.prices.get("default")

    def usage(self, model: str, *, input_tokens: int, output_tokens: int) -> ModelUsage:
        """Price one call with the table (zero cost for a model it does not list)."""
        price = self.price_of(model)
        cost = 0.0
        if price is not None:
            cost = (
                input_tokens * price.input_per_million + output_tokens * price.output_per_million
            ) / 1_000_000
        return ModelUsage(1, input_tokens, output_tokens, cost)
