"""The LLM price table and cascade thresholds of config/llm.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from richpanel_middleware.classify.llm_config import LlmConfig
from richpanel_middleware.configuration import ConfigError, default_config_dir, load_app_config
from richpanel_middleware.domain.intents import Intent

PRICES = {
    "default": {"input_per_million": 1.0, "output_per_million": 2.0},
    "gpt-4o": {"input_per_million": 2.5, "output_per_million": 10.0},
    "gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6},
}


def llm_config(prices: dict[str, Any] | None = None, **cascade: Any) -> LlmConfig:
    return LlmConfig.model_validate(
        {
            "version": 1,
            "prices": PRICES if prices is None else prices,
            "cascade": {"local_min": 0.6, **cascade},
        }
    )


@pytest.mark.parametrize(
    ("reported", "listed"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-mini", "gpt-4o-mini"),
    ],
)
def test_price_of_snapshot_uses_listed_model(reported: str, listed: str) -> None:
    config = llm_config()

    assert config.price_of(reported) == config.prices[listed]


@pytest.mark.parametrize("reported", ["gpt-4omni", "gpt-4", "o1-2024-12-17", "default-2024"])
def test_price_of_unlisted_model_is_default(reported: str) -> None:
    config = llm_config()

    assert config.price_of(reported) == config.prices["default"]


def test_price_of_without_default_is_none() -> None:
    config = llm_config({"gpt-4o": PRICES["gpt-4o"]})

    assert config.price_of("o1") is None
    assert config.usage("o1", input_tokens=1000, output_tokens=1000).cost_usd == 0.0


def test_usage_prices_snapshot_names() -> None:
    config = llm_config()

    dated = config.usage("gpt-4o-2024-08-06", input_tokens=1_000_000, output_tokens=1_000_000)
    mini = config.usage("gpt-4o-mini-2024-07-18", input_tokens=1_000_000, output_tokens=1_000_000)

    assert dated.cost_usd == pytest.approx(12.5)
    assert mini.cost_usd == pytest.approx(0.75)
    assert dated.llm_calls == 1


@pytest.mark.parametrize("value", [-3, -0.01, 1.01, 7])
def test_per_intent_out_of_range_rejected(value: float) -> None:
    with pytest.raises(ValidationError) as caught:
        llm_config(per_intent={"cancel_order": value})

    assert "cascade.per_intent.cancel_order" in str(caught.value)


@pytest.mark.parametrize("value", [0, 0.35, 1])
def test_per_intent_in_range_accepted(value: float) -> None:
    config = llm_config(per_intent={"cancel_order": value})

    assert config.cascade.local_min_for(Intent.CANCEL_ORDER) == value
    assert config.cascade.local_min_for(Intent.UNKNOWN_OTHER) == 0.6


def test_config_error_names_per_intent_key(tmp_path: Path) -> None:
    directory = tmp_path / "config"
    shutil.copytree(default_config_dir(), directory)
    path = directory / "llm.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["cascade"]["per_intent"] = {"cancel_order": 7}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_app_config(directory)

    message = str(caught.value)
    assert "llm.yaml" in message
    assert "cascade.per_intent.cancel_order" in message
    assert "less than or equal to 1" in message
