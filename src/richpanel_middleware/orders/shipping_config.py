"""Typed shipping configuration: store time zone, holidays, delivery buckets and carriers.

`ShippingConfig` models `config/shipping.yaml`. It validates shape, ranges and cross
references (every bucket a shipping method names must exist, every tracking URL template
must be https with one `{number}` placeholder). Reading the file and reporting errors by
file and key is the job of `richpanel_middleware.configuration`.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TRACKING_NUMBER_PLACEHOLDER = "{number}"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def fold_words(text: str) -> str:
    """Fold text for phrase matching: no accents, no case, punctuation read as a space.

    "Envío  Exprés" and "envio-expres" both fold to "envio expres".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    spaced = "".join(char if char.isalnum() else " " for char in without_marks.casefold())
    return " ".join(spaced.split())


def fold_name(text: str) -> str:
    """Fold a carrier name to its letters and digits, so "Fed Ex" and "FEDEX" compare equal."""
    return fold_words(text).replace(" ", "")


class StoreConfig(_Config):
    timezone: str
    phone_region: str = "US"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'America/New_York' "
                "or 'Europe/Madrid'"
            ) from None
        return value

    @field_validator("phone_region")
    @classmethod
    def _alpha2_region(cls, value: str) -> str:
        if len(value) != 2 or not value.isascii() or not value.isalpha() or not value.isupper():
            raise ValueError(
                f"invalid phone region {value!r}; use an upper-case ISO 3166 alpha-2 country "
                "code such as 'US' or 'ES'"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DeliveryBucket(_Config):
    """A delivery window in business days counted from the order date."""

    min_days: int = Field(ge=0)
    max_days: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_days > self.max_days:
            raise ValueError(
                f"min_days ({self.min_days}) must not exceed max_days ({self.max_days})"
            )
        return self


class ShippingMethodRule(_Config):
    """Maps shipping method titles that contain any of `contains` to `bucket`."""

    contains: list[str] = Field(min_length=1)
    bucket: str

    @field_validator("contains")
    @classmethod
    def _phrases_have_words(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            if not fold_words(phrase):
                raise ValueError(
                    f"phrase {phrase!r} has no letters or digits, so it would match nothing"
                )
        return phrases

    def matches(self, folded_title: str) -> bool:
        """Check whether any phrase occurs as whole words in an already folded title."""
        padded = f" {folded_title} "
        return any(f" {fold_words(phrase)} " in padded for phrase in self.contains)


class Carrier(_Config):
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    tracking_url: str

    @field_validator("tracking_url")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        count = value.count(TRACKING_NUMBER_PLACEHOLDER)
        if count != 1:
            raise ValueError(
                f"tracking_url {value!r} must contain {TRACKING_NUMBER_PLACEHOLDER} exactly "
                f"once, found {count}"
            )
        if any(char.isspace() for char in value):
            raise ValueError(f"tracking_url {value!r} must not contain whitespace")
        parts = urlsplit(value)
        if parts.scheme != "https":
            raise ValueError(f"tracking_url {value!r} must start with https://")
        if not parts.hostname or "{" in parts.netloc or "@" in parts.netloc:
            raise ValueError(
                f"tracking_url {value!r} needs a plain host name before the path, with no "
                "placeholder or user name in it"
            )
        return value

    @property
    def folded_names(self) -> frozenset[str]:
        """The name and every alias, folded with `fold_name`."""
        return frozenset(fold_name(text) for text in (self.name, *self.aliases))

    def tracking_url_for(self, quoted_number: str) -> str:
        """Fill the template with a tracking number that the caller has already URL-encoded."""
        return self.tracking_url.replace(TRACKING_NUMBER_PLACEHOLDER, quoted_number)


class PreorderConfig(_Config):
    tags: list[str] = Field(default_factory=lambda: ["pre-order", "preorder"])
    eta_tag_prefix: str = Field(default="eta:", min_length=1)


def _default_buckets() -> dict[str, DeliveryBucket]:
    windows = {
        "standard": (3, 5),
        "expedited": (2, 3),
        "express": (1, 2),
        "priority": (1, 1),
        "overnight": (1, 1),
    }
    return {
        name: DeliveryBucket(min_days=low, max_days=high) for name, (low, high) in windows.items()
    }


def _default_shipping_methods() -> list[ShippingMethodRule]:
    # Order matters because the first matching rule wins: "Standard Overnight" is overnight
    # and "Priority Mail Express" is express.
    rules = [
        (
            "overnight",
            ["overnight", "next day", "next business day", "24 horas", "24h", "día siguiente"],
        ),
        ("express", ["priority mail express", "express", "exprés", "urgente"]),
        ("priority", ["priority", "prioritario"]),
        ("expedited", ["expedited", "2 day", "2day", "two day", "48 horas", "48h", "rápido"]),
        (
            "standard",
            [
                "standard",
                "economy",
                "free shipping",
                "ground",
                "estándar",
                "económico",
                "envío gratis",
                "envío normal",
                "ordinario",
            ],
        ),
    ]
    return [ShippingMethodRule(contains=phrases, bucket=bucket) for bucket, phrases in rules]


def _default_carriers() -> list[Carrier]:
    return [
        Carrier(
            name="FedEx",
            aliases=["Federal Express", "FedEx Ground", "FedEx Express", "FedEx Home Delivery"],
            tracking_url="https://www.fedex.com/fedextrack/?trknbr={number}",
        ),
        Carrier(
            name="UPS",
            aliases=["United Parcel Service"],
            tracking_url="https://www.ups.com/track?tracknum={number}",
        ),
        Carrier(
            name="USPS",
            aliases=["United States Postal Service", "US Postal Service"],
            tracking_url="https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
        ),
        Carrier(
            name="DHL Express",
            aliases=["DHL"],
            tracking_url=(
                "https://www.dhl.com/global-en/home/tracking/tracking-express.html"
                "?submit=1&tracking-id={number}"
            ),
        ),
    ]


class ShippingConfig(_Config):
    version: Literal[1]
    store: StoreConfig
    holidays: list[date] = Field(default_factory=list)
    buckets: dict[str, DeliveryBucket] = Field(default_factory=_default_buckets)
    shipping_methods: list[ShippingMethodRule] = Field(default_factory=_default_shipping_methods)
    carriers: list[Carrier] = Field(default_factory=_default_carriers)
    preorder: PreorderConfig = Field(default_factory=PreorderConfig)

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        for index, rule in enumerate(self.shipping_methods):
            if rule.bucket not in self.buckets:
                raise ValueError(
                    f"shipping_methods.{index}.bucket: bucket {rule.bucket!r} is not listed "
                    f"under buckets ({', '.join(sorted(self.buckets))})"
                )
        owners: dict[str, str] = {}
        for carrier in self.carriers:
            for folded in carrier.folded_names:
                if not folded:
                    raise ValueError(
                        f"carriers: {carrier.name!r} has a name or alias with no letters or digits"
                    )
                other = owners.setdefault(folded, carrier.name)
                if other != carrier.name:
                    raise ValueError(
                        f"carriers: {carrier.name!r} and {other!r} share the alias {folded!r}; "
                        "keep each alias under one carrier"
                    )
        return self

    @property
    def holiday_set(self) -> frozenset[date]:
        return frozenset(self.holidays)

    def bucket_for(self, shipping_method: str | None) -> str | None:
        """Find the delivery bucket of a shipping method title, or None for an unknown method.

        The first rule with a phrase that occurs in the title as whole words wins. Case,
        accents and punctuation are ignored.
        """
        if shipping_method is None:
            return None
        folded = fold_words(shipping_method)
        if not folded:
            return None
        for rule in self.shipping_methods:
            if rule.matches(folded):
                return rule.bucket
        return None

    def carrier_for(self, name: str | None) -> Carrier | None:
        """Find the configured carrier whose name or alias equals `name` after `fold_name`."""
        if name is None:
            return None
        folded = fold_name(name)
        if not folded:
            return None
        return next((c for c in self.carriers if folded in c.folded_names), None)
