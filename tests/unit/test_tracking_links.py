"""Tracking links: the store's https link, carrier templates, and cases with no link."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from richpanel_middleware.orders.shipping_config import Carrier, ShippingConfig
from richpanel_middleware.orders.tracking import (
    carrier_display_name,
    is_safe_https_url,
    tracking_link,
)

SHIPPING_YAML = Path(__file__).resolve().parents[2] / "config" / "shipping.yaml"


@pytest.fixture(scope="module")
def config() -> ShippingConfig:
    return ShippingConfig.model_validate(yaml.safe_load(SHIPPING_YAML.read_text(encoding="utf-8")))


# --- the store's own link ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/track/1001",
        "HTTPS://shop.example/track?id=1&x=2",
        "https://shop.example:8443/a",
        "  https://shop.example/track/1001\n",
    ],
)
def test_store_https_url_used(config: ShippingConfig, url: str) -> None:
    link = tracking_link(carrier="FedEx", tracking_number="123", store_url=url, config=config)

    assert link == url.strip()


def test_store_url_used_for_unknown_carrier(config: ShippingConfig) -> None:
    link = tracking_link(
        carrier="Royal Mail",
        tracking_number="AB123456789GB",
        store_url="https://shop.example/t/AB123456789GB",
        config=config,
    )

    assert link == "https://shop.example/t/AB123456789GB"


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/track/1001",
        "javascript:alert(1)",
        "https://",
        "https:///path-only",
        "https://shop.example/track 1001",
        "https://shop.example/\x00track",
        "https://shop.example/\u202etrack",
        "https://shop.example\\@evil.example/",
        "https://www.ups.com@evil.example/track",
        "https://shop.example:99999/",
        "https://shop.example:port/",
        'https://shop.example/t"onmouseover="x',
        "https://shop.example/<script>",
        "//shop.example/track",
        "shop.example/track",
        "",
        "   ",
    ],
)
def test_store_url_rejected_falls_back_to_carrier(config: ShippingConfig, url: str) -> None:
    link = tracking_link(
        carrier="UPS", tracking_number="1Z999AA10123456784", store_url=url, config=config
    )

    assert link == "https://www.ups.com/track?tracknum=1Z999AA10123456784"


@pytest.mark.parametrize("url", ["http://shop.example/t", "https://shop.example/a b"])
def test_store_url_rejected_unknown_carrier(config: ShippingConfig, url: str) -> None:
    link = tracking_link(carrier="Royal Mail", tracking_number="AB1", store_url=url, config=config)

    assert link is None


def test_is_safe_https_url_checks() -> None:
    assert is_safe_https_url("https://shop.example/x")
    assert not is_safe_https_url("http://shop.example/x")
    assert not is_safe_https_url("https://shop.example/\tx")


# --- links built from carrier templates --------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "number", "expected"),
    [
        ("FedEx", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"),
        ("Fed Ex", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"),
        ("UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        (
            "United States Postal Service",
            "9400111899223456789012",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223456789012",
        ),
        (
            "DHL express",
            "1234567890",
            "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
            "?submit=1&tracking-id=1234567890",
        ),
    ],
)
def test_known_carrier_link(
    config: ShippingConfig, carrier: str, number: str, expected: str
) -> None:
    link = tracking_link(carrier=carrier, tracking_number=number, store_url=None, config=config)

    assert link == expected


def test_tracking_number_stripped(config: ShippingConfig) -> None:
    link = tracking_link(
        carrier="UPS", tracking_number="  1Z999  \n", store_url=None, config=config
    )

    assert link == "https://www.ups.com/track?tracknum=1Z999"


@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        ("1Z 999", "1Z%20999"),
        ("12/34", "12%2F34"),
        ("12&carrier=x", "12%26carrier%3Dx"),
        ("12#frag", "12%23frag"),
        ("12?q=1", "12%3Fq%3D1"),
        ("ñ1", "%C3%B11"),
        ("../../admin", "..%2F..%2Fadmin"),
    ],
)
def test_tracking_number_url_encoded(config: ShippingConfig, number: str, encoded: str) -> None:
    link = tracking_link(carrier="FedEx", tracking_number=number, store_url=None, config=config)

    assert link == f"https://www.fedex.com/fedextrack/?trknbr={encoded}"


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("Royal Mail", "AB123456789GB"),
        ("", "123456789012"),
        (None, "123456789012"),
        ("FedEx", None),
        ("FedEx", ""),
        ("FedEx", "   "),
        ("FedEx", "1234\x00567"),
        ("FedEx", "1234\r\nSet-Cookie: x"),
        ("FedEx", "1234\u200b567"),
    ],
)
def test_no_link_without_known_carrier_and_number(
    config: ShippingConfig, carrier: str | None, number: str | None
) -> None:
    link = tracking_link(carrier=carrier, tracking_number=number, store_url=None, config=config)

    assert link is None


def test_custom_carrier_from_config(config: ShippingConfig) -> None:
    custom = config.model_copy(
        update={
            "carriers": [
                *config.carriers,
                Carrier(
                    name="Correos",
                    aliases=["Correos España"],
                    tracking_url="https://track.correos.example/?n={number}&lang=es",
                ),
            ]
        }
    )

    link = tracking_link(
        carrier="correos espana", tracking_number="PQ1", store_url=None, config=custom
    )

    assert link == "https://track.correos.example/?n=PQ1&lang=es"


# --- carrier names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fedex", "FedEx"),
        ("Fed Ex", "FedEx"),
        ("united states postal service", "USPS"),
        ("dhl", "DHL Express"),
        ("  Royal Mail  ", "Royal Mail"),
        ("Correos", "Correos"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_carrier_display_name(
    config: ShippingConfig, raw: str | None, expected: str | None
) -> None:
    assert carrier_display_name(raw, config) == expected
