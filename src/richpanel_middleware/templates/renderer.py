"""Fail-closed template rendering.

`render_template` either returns finished copy or a reason why no reply may be sent:
a disabled template, a language or channel without copy, a missing required variable,
or a variable the catalog does not declare. It never raises for those cases, so the
caller can downgrade to the next safe option.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import StrictUndefined, UndefinedError

from richpanel_middleware.templates.catalog import (
    BrandConstants,
    CopyVariant,
    TemplateCatalog,
    template_environment,
)


class _TestableStrictUndefined(StrictUndefined):
    """Undefined that may be tested (`{% if first_name %}` is false) but never printed."""

    def __bool__(self) -> bool:  # type: ignore[override]
        return False


_ENVIRONMENT = template_environment()
_ENVIRONMENT.undefined = _TestableStrictUndefined


@dataclass(frozen=True, slots=True)
class RenderedReply:
    template_id: str
    language: str
    variant: CopyVariant
    body: str


@dataclass(frozen=True, slots=True)
class RenderRefusal:
    template_id: str
    reason: str


def variant_for_channel(channel: str | None) -> CopyVariant:
    return "chat" if channel == "chat" else "default"


def render_template(
    catalog: TemplateCatalog,
    brand: BrandConstants,
    template_id: str,
    *,
    language: str,
    channel: str | None,
    enabled_override: bool | None = None,
    profile_variables: Mapping[str, str | None] | None = None,
    order_variables: Mapping[str, object] | None = None,
) -> RenderedReply | RenderRefusal:
    """Render one template for a language and channel, or explain why it must not be sent.

    `enabled_override` is the runtime flag for this template, which wins over the
    catalog's `enabled` when given. `profile_variables` may only carry declared optional
    variables; empty values count as absent. `order_variables` are the facts of one
    verified order; a name the template does not declare is skipped (each template uses
    only some of them), and an empty value counts as absent.
    """
    entry = catalog.get(template_id)
    if entry is None:
        return RenderRefusal(template_id, "template_unknown")
    enabled = entry.enabled if enabled_override is None else enabled_override
    if not enabled:
        return RenderRefusal(template_id, "template_disabled")

    variant = variant_for_channel(channel)
    body = entry.body(language, variant)
    if body is None:
        return RenderRefusal(template_id, f"no_copy_for_language_{language}")

    brand_variables = brand.variables_for(language)
    if brand_variables is None:
        return RenderRefusal(template_id, f"no_brand_constants_for_language_{language}")
    declared = set(entry.required_variables) | set(entry.optional_variables)
    variables: dict[str, object] = {k: v for k, v in brand_variables.items() if k in declared}
    for name, value in (profile_variables or {}).items():
        if name not in entry.optional_variables:
            return RenderRefusal(template_id, f"undeclared_variable_{name}")
        if value:
            variables[name] = value
    for name, fact in (order_variables or {}).items():
        if name in declared and fact:
            variables[name] = fact
    missing = [name for name in entry.required_variables if not variables.get(name)]
    if missing:
        return RenderRefusal(template_id, f"missing_variable_{missing[0]}")

    try:
        text = _ENVIRONMENT.from_string(body).render(variables).strip()
    except UndefinedError:
        return RenderRefusal(template_id, "undefined_variable")
    if not text or "{{" in text or "}}" in text:
        return RenderRefusal(template_id, "rendered_text_invalid")
    return RenderedReply(template_id, language, variant, text)
