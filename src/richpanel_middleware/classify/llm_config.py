"""Settings support operations own for the LLM classifier: prices and cascade thresholds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from richpanel_middleware.classify.result import ModelUsage
from richpanel_middleware.domain.intents import Intent


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelPrice(_Config):
    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


# A probability of the local model's top intent.
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class CascadeThresholds(_Config):
    local_min: Probability
    per_intent: dict[Intent, Probability] = Field(default_factory=dict)

    def local_min_for(self, intent: Intent) -> float:
        return self.per_intent.get(intent, self.local_min)


class LlmConfig(_Config):
    version: Literal[1]
    prices: dict[str, ModelPrice]
    cascade: CascadeThresholds

    def price_of(self, model: str) -> ModelPrice | None:
        """Return the price of `model`, or of `default` when no listed name matches.

        Providers report dated snapshot names such as ``gpt-4o-2024-08-06``, so a name that
        is not listed takes the price of the longest listed name N that it extends as
        ``N-...``. The longest match keeps ``gpt-4o-mini-2024-07-18`` on ``gpt-4o-mini``
        when ``gpt-4o`` is listed too.
        """
        exact = self.prices.get(model)
        if exact is not None:
            return exact
        prefixes = [
            name for name in self.prices if name != "default" and model.startswith(f"{name}-")
        ]
        if prefixes:
            return self.prices[max(prefixes, key=len)]
        return self.prices.get("default")

    def usage(self, model: str, *, input_tokens: int, output_tokens: int) -> ModelUsage:
        """Price one call with `price_of` (zero cost when neither the model nor `default` has a price)."""
        price = self.price_of(model)
        cost = 0.0
        if price is not None:
            cost = (
                input_tokens * price.input_per_million + output_tokens * price.output_per_million
            ) / 1_000_000
        return ModelUsage(1, input_tokens, output_tokens, cost)
