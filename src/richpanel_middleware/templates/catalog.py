"""The template catalog and brand constants, as loaded from YAML.

The catalog is validated when it is built: every body must parse, use only the
variables its entry declares, and no Tier 0 or Tier 1 template may be marked
`auto_close`. A catalog that breaks a rule never reaches the worker.
"""

from __future__ import annotations

from typing import Literal, Self

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from richpanel_middleware.domain.intents import Tier

# Variables a template may use. Brand constants come from brand.yaml; `first_name`
# comes from the Richpanel customer profile. Customer message text is never a variable.
BRAND_VARIABLES = frozenset(
    {
        "brand_name",
        "support_signature",
        "help_center_url",
        "returns_policy_url",
        "shipping_policy_url",
        "support_hours",
    }
)
PROFILE_VARIABLES = frozenset({"first_name"})
# Facts of one verified order, built by `orders.reply_facts`. Only Tier 2 templates may
# declare them: Tier 0 and Tier 1 copy never states order facts.
ORDER_VARIABLES = frozenset(
    {
        "order_number",
        "order_date",
        "order_status",
        "shipments",
        "unshipped_items",
        "untracked_items",
        "status_page_url",
        "delivery_from",
        "delivery_by",
        "is_preorder",
        "is_late",
    }
)
KNOWN_VARIABLES = BRAND_VARIABLES | PROFILE_VARIABLES | ORDER_VARIABLES

# Channel variant names: `default` is the e-mail copy.
CopyVariant = Literal["default", "chat"]


def template_environment() -> SandboxedEnvironment:
    """Build the Jinja2 environment every template body is parsed and rendered with."""
    return SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


class _Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedText(_Catalog):
    en: str = Field(min_length=1)
    es: str = Field(min_length=1)

    def get(self, language: str) -> str | None:
        value = getattr(self, language, None)
        return value if isinstance(value, str) else None


class BrandConstants(_Catalog):
    brand_name: str = Field(min_length=1)
    support_signature: LocalizedText
    help_center_url: HttpUrl
    returns_policy_url: HttpUrl
    shipping_policy_url: HttpUrl
    support_hours: LocalizedText

    def variables_for(self, language: str) -> dict[str, str] | None:
        """Return the brand variables in `language`, or None when a constant lacks that language."""
        signature = self.support_signature.get(language)
        hours = self.support_hours.get(language)
        if signature is None or hours is None:
            return None
        return {
            "brand_name": self.brand_name,
            "support_signature": signature,
            "help_center_url": str(self.help_center_url),
            "returns_policy_url": str(self.returns_policy_url),
            "shipping_policy_url": str(self.shipping_policy_url),
            "support_hours": hours,
        }


class TemplateEntry(_Catalog):
    template_id: str = Field(pattern=r"^t_[a-z0-9_]+$")
    tier: Literal[0, 1, 2]
    purpose: str = Field(min_length=1)
    required_variables: list[str]
    optional_variables: list[str] = Field(default_factory=list)
    enabled: bool
    auto_close: bool = False
    copy_text: dict[str, dict[CopyVariant, str]] = Field(alias="copy")

    @model_validator(mode="after")
    def _check(self) -> Self:
        declared = set(self.required_variables) | set(self.optional_variables)
        unknown = declared - KNOWN_VARIABLES
        if unknown:
            raise ValueError(
                f"{self.template_id}: unknown variables {sorted(unknown)}; "
                f"allowed are {sorted(KNOWN_VARIABLES)}"
            )
        order_facts = declared & ORDER_VARIABLES
        if order_facts and self.tier != int(Tier.VERIFIED):
            raise ValueError(
                f"{self.template_id}: order variables {sorted(order_facts)} are only allowed "
                f"on Tier 2 templates, this one is Tier {self.tier}"
            )
        if self.auto_close and self.tier != int(Tier.VERIFIED):
            raise ValueError(
                f"{self.template_id}: auto_close is only allowed on Tier 2 templates, "
                f"this one is Tier {self.tier}"
            )
        if "default" not in {
            variant for variants in self.copy_text.values() for variant in variants
        }:
            raise ValueError(f"{self.template_id}: copy needs a `default` (e-mail) variant")
        environment = template_environment()
        for language, variants in self.copy_text.items():
            for variant, body in variants.items():
                where = f"{self.template_id}.copy.{language}.{variant}"
                try:
                    parsed = environment.parse(body)
                except TemplateSyntaxError as error:
                    raise ValueError(
                        f"{where}: invalid template syntax: {error.message}"
                    ) from error
                used = meta.find_undeclared_variables(parsed)
                undeclared = used - declared
                if undeclared:
                    raise ValueError(
                        f"{where}: uses undeclared variables {sorted(undeclared)}; "
                        "list them in required_variables or optional_variables"
                    )
        return self

    @property
    def tier_level(self) -> Tier:
        return Tier(self.tier)

    def body(self, language: str, variant: CopyVariant) -> str | None:
        """Return the copy for a language and channel variant, falling back from chat to e-mail copy."""
        variants = self.copy_text.get(language)
        if variants is None:
            return None
        return variants.get(variant) or variants.get("default")


class TemplateCatalog(_Catalog):
    version: Literal[1]
    templates: list[TemplateEntry]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for entry in self.templates:
            if entry.template_id in seen:
                raise ValueError(f"template_id {entry.template_id!r} appears twice")
            seen.add(entry.template_id)
        return self

    def get(self, template_id: str) -> TemplateEntry | None:
        return next((entry for entry in self.templates if entry.template_id == template_id), None)

    @property
    def template_ids(self) -> list[str]:
        return [entry.template_id for entry in self.templates]
