"""Shipping configuration: the bundled file, validation errors, bucket and carrier lookup."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from richpanel_middleware.orders.shipping_config import ShippingConfig

SHIPPING_YAML = Path(__file__).resolve().parents[2] / "config" / "shipping.yaml"


@pytest.fixture(scope="module")
def bundled_document() -> dict[str, Any]:
    document = yaml.safe_load(SHIPPING_YAML.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def config(bundled_document: dict[str, Any]) -> ShippingConfig:
    return ShippingConfig.model_validate(bundled_document)


def validation_error(document: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        ShippingConfig.model_validate(document)
    return str(caught.value)


def minimal_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"version": 1, "store": {"timezone": "America/New_York"}}
    document.update(changes)
    return document


# --- the bundled file --------------------------------------------------------------------------


def test_bundled_file_loads(config: ShippingConfig) -> None:
    assert config.version == 1
    assert config.store.timezone == "America/New_York"
    assert config.store.phone_region == "US"


def test_bundled_holidays_are_weekdays(config: ShippingConfig) -> None:
    assert date(2026, 11, 26) in config.holiday_set
    for holiday in config.holidays:
        assert holiday.weekday() < 5, holiday


def test_bundled_buckets_match_domain_defaults(config: ShippingConfig) -> None:
    windows = {name: (b.min_days, b.max_days) for name, b in config.buckets.items()}

    assert windows == {
        "standard": (3, 5),
        "expedited": (2, 3),
        "express": (1, 2),
        "priority": (1, 1),
        "overnight": (1, 1),
    }


def test_bundled_file_equals_code_defaults(config: ShippingConfig) -> None:
    defaults = ShippingConfig(version=1, store=config.store)

    assert config.buckets == defaults.buckets
    assert config.shipping_methods == defaults.shipping_methods
    assert config.carriers == defaults.carriers
    assert config.preorder == defaults.preorder


def test_minimal_document_uses_defaults() -> None:
    config = ShippingConfig.model_validate(minimal_document())

    assert config.holidays == []
    assert config.bucket_for("Standard Shipping") == "standard"
    assert config.preorder.tags == ["pre-order", "preorder"]
    assert config.preorder.eta_tag_prefix == "eta:"


def test_config_is_frozen(config: ShippingConfig) -> None:
    with pytest.raises(ValidationError):
        config.version = 1  # type: ignore[misc]


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "EST5", "", "../etc/passwd"])
def test_unknown_timezone_rejected(timezone: str) -> None:
    message = validation_error(minimal_document(store={"timezone": timezone}))

    assert "store.timezone" in message
    assert f"unknown time zone {timezone!r}" in message


def test_store_timezone_required() -> None:
    message = validation_error({"version": 1, "store": {}})

    assert "store.timezone" in message


@pytest.mark.parametrize("region", ["us", "USA", "1A", "", "É1"])
def test_invalid_phone_region_rejected(region: str) -> None:
    message = validation_error(
        minimal_document(store={"timezone": "Europe/Madrid", "phone_region": region})
    )

    assert "store.phone_region" in message
    assert "ISO 3166 alpha-2" in message


def test_unknown_top_level_key_rejected() -> None:
    message = validation_error(minimal_document(bucket={}))

    assert "bucket" in message
    assert "Extra inputs are not permitted" in message


def test_wrong_version_rejected() -> None:
    message = validation_error(minimal_document(version=2))

    assert "version" in message


def test_invalid_holiday_rejected() -> None:
    message = validation_error(minimal_document(holidays=["2026-13-01"]))

    assert "holidays.0" in message


def test_bucket_min_above_max_rejected() -> None:
    message = validation_error(
        minimal_document(buckets={"standard": {"min_days": 6, "max_days": 5}})
    )

    assert "buckets.standard" in message
    assert "min_days (6) must not exceed max_days (5)" in message


def test_negative_bucket_days_rejected() -> None:
    message = validation_error(
        minimal_document(buckets={"standard": {"min_days": -1, "max_days": 5}})
    )

    assert "buckets.standard.min_days" in message


def test_shipping_method_unknown_bucket_rejected() -> None:
    document = minimal_document(
        buckets={"standard": {"min_days": 3, "max_days": 5}},
        shipping_methods=[{"contains": ["Standard"], "bucket": "economy"}],
    )

    message = validation_error(document)

    assert "shipping_methods.0.bucket" in message
    assert "'economy' is not listed under buckets" in message


def test_default_methods_need_default_buckets() -> None:
    # Replacing the buckets keeps the default shipping methods, which name "overnight".
    message = validation_error(
        minimal_document(buckets={"standard": {"min_days": 3, "max_days": 5}})
    )

    assert "'overnight' is not listed under buckets" in message


@pytest.mark.parametrize("phrases", [[], ["  "], ["---"]])
def test_empty_method_phrases_rejected(phrases: list[str]) -> None:
    document = minimal_document(shipping_methods=[{"contains": phrases, "bucket": "standard"}])

    message = validation_error(document)

    assert "shipping_methods.0.contains" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://track.example/{number}", "must start with https://"),
        ("https://track.example/", "exactly once, found 0"),
        ("https://track.example/{number}/{number}", "exactly once, found 2"),
        ("https:///path/{number}", "plain host name"),
        ("https://{number}.example/", "plain host name"),
        ("https://user@track.example/{number}", "plain host name"),
        ("https://track.example/ {number}", "must not contain whitespace"),
        ("ftp://track.example/{number}", "must start with https://"),
    ],
)
def test_invalid_tracking_url_rejected(
    bundled_document: dict[str, Any], url: str, expected: str
) -> None:
    document = copy.deepcopy(bundled_document)
    document["carriers"][0]["tracking_url"] = url

    message = validation_error(document)

    assert "carriers.0.tracking_url" in message
    assert expected in message


def test_shared_carrier_alias_rejected(bundled_document: dict[str, Any]) -> None:
    document = copy.deepcopy(bundled_document)
    document["carriers"][1]["aliases"].append("Fed-Ex")

    message = validation_error(document)

    assert "share the alias 'fedex'" in message


def test_blank_carrier_alias_rejected(bundled_document: dict[str, Any]) -> None:
    document = copy.deepcopy(bundled_document)
    document["carriers"][0]["aliases"].append(" - ")

    message = validation_error(document)

    assert "no letters or digits" in message


# --- bucket lookup -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "bucket"),
    [
        ("Standard Shipping", "standard"),
        ("STANDARD", "standard"),
        ("Economy (5-7 days)", "standard"),
        ("Free shipping", "standard"),
        ("Free Shipping over $50", "standard"),
        ("UPS Ground", "standard"),
        ("Envío estándar", "standard"),
        ("envio estandar", "standard"),
        ("Envío gratis", "standard"),
        ("Envío económico", "standard"),
        ("Expedited", "expedited"),
        ("FedEx 2Day", "expedited"),
        ("2-Day Shipping", "expedited"),
        ("Envío rápido", "expedited"),
        ("Entrega 48 horas", "expedited"),
        ("Express", "express"),
        ("Express Shipping", "express"),
        ("Envío exprés", "express"),
        ("ENVÍO EXPRES", "express"),
        ("Envío Express", "express"),
        ("Urgente", "express"),
        ("USPS Priority Mail Express", "express"),
        ("Priority", "priority"),
        ("USPS Priority Mail", "priority"),
        ("Envío prioritario", "priority"),
        ("Overnight", "overnight"),
        ("FedEx Standard Overnight", "overnight"),
        ("Next day delivery", "overnight"),
        ("UPS Next-Day Air", "overnight"),
        ("Next Business Day", "overnight"),
        ("Entrega en 24 horas", "overnight"),
        ("Entrega al día siguiente", "overnight"),
        ("Envío\u00a0urgente", "express"),
    ],
)
def test_bucket_for_known_titles(config: ShippingConfig, title: str, bucket: str) -> None:
    assert config.bucket_for(title) == bucket


@pytest.mark.parametrize(
    "title",
    [None, "", "   ", "Local pickup", "Gift wrapping", "Expressway Freight", "Substandard", "Día"],
)
def test_bucket_for_unknown_titles(config: ShippingConfig, title: str | None) -> None:
    assert config.bucket_for(title) is None


def test_first_matching_rule_wins() -> None:
    config = ShippingConfig.model_validate(
        minimal_document(
            buckets={
                "slow": {"min_days": 5, "max_days": 9},
                "fast": {"min_days": 1, "max_days": 1},
            },
            shipping_methods=[
                {"contains": ["fast"], "bucket": "fast"},
                {"contains": ["slow"], "bucket": "slow"},
            ],
        )
    )

    assert config.bucket_for("slow but fast") == "fast"
    assert config.bucket_for("slow") == "slow"


# --- carrier lookup ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "carrier"),
    [
        ("FedEx", "FedEx"),
        ("Fed Ex", "FedEx"),
        ("fedex", "FedEx"),
        ("FEDEX", "FedEx"),
        (" Federal Express ", "FedEx"),
        ("FedEx Ground", "FedEx"),
        ("UPS", "UPS"),
        ("u.p.s.", "UPS"),
        ("United Parcel Service", "UPS"),
        ("USPS", "USPS"),
        ("United States Postal Service", "USPS"),
        ("U.S. Postal Service", "USPS"),
        ("DHL Express", "DHL Express"),
        ("DHL express", "DHL Express"),
        ("dhl-express", "DHL Express"),
        ("DHL", "DHL Express"),
    ],
)
def test_carrier_for_aliases(config: ShippingConfig, name: str, carrier: str) -> None:
    found = config.carrier_for(name)

    assert found is not None
    assert found.name == carrier


@pytest.mark.parametrize(
    "name", [None, "", "  ", "...", "Royal Mail", "DHL eCommerce", "FedEx Freight", "UPSS"]
)
def test_carrier_for_unknown_names(config: ShippingConfig, name: str | None) -> None:
    assert config.carrier_for(name) is None
