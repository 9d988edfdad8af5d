"""Template catalog validation and fail-closed rendering."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from pydantic import ValidationError

from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.templates.catalog import (
    ORDER_VARIABLES,
    BrandConstants,
    TemplateCatalog,
    TemplateEntry,
)
from richpanel_middleware.templates.renderer import (
    RenderedReply,
    RenderRefusal,
    render_template,
)

LANGUAGES = ["en", "es"]
CHANNELS = ["email", "chat"]
# Words that invite the customer to reply, in English and Spanish copy.
REPLY_WORDS = ("reply", "responder")


@cache
def catalog() -> TemplateCatalog:
    return load_app_config().policy.catalog


@cache
def brand() -> BrandConstants:
    return load_app_config().policy.brand


def enabled_ids() -> list[str]:
    """Enabled templates that render from brand and profile variables alone (not Tier 2)."""
    return [
        entry.template_id
        for entry in catalog().templates
        if entry.enabled and not set(entry.required_variables) & ORDER_VARIABLES
    ]


def render(
    template_id: str,
    *,
    language: str = "en",
    channel: str | None = "email",
    profile: dict[str, str | None] | None = None,
    enabled_override: bool | None = None,
    source: TemplateCatalog | None = None,
) -> RenderedReply | RenderRefusal:
    return render_template(
        source or catalog(),
        brand(),
        template_id,
        language=language,
        channel=channel,
        enabled_override=enabled_override,
        profile_variables=profile,
    )


def rendered(result: RenderedReply | RenderRefusal) -> RenderedReply:
    assert isinstance(result, RenderedReply), f"expected a reply, got {result}"
    return result


def refusal(result: RenderedReply | RenderRefusal) -> RenderRefusal:
    assert isinstance(result, RenderRefusal), f"expected a refusal, got {result}"
    return result


def entry_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "template_id": "t_test_intake",
        "tier": 1,
        "purpose": "A test template.",
        "required_variables": ["brand_name"],
        "optional_variables": ["first_name"],
        "enabled": True,
        "auto_close": False,
        "copy": {
            "en": {
                "default": "{% if first_name %}Hi {{ first_name }},{% else %}Hi,{% endif %} "
                "thanks for writing to {{ brand_name }}. Just reply to this email.",
            },
        },
    }
    document.update(changes)
    return document


def single_entry_catalog(**changes: Any) -> TemplateCatalog:
    return TemplateCatalog.model_validate({"version": 1, "templates": [entry_document(**changes)]})


# --- every enabled template renders ------------------------------------------------------------


def test_catalog_has_enabled_templates() -> None:
    assert len(enabled_ids()) >= 15


@pytest.mark.parametrize("template_id", enabled_ids())
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_enabled_template_renders_without_name(
    template_id: str, language: str, channel: str
) -> None:
    reply = rendered(render(template_id, language=language, channel=channel))

    assert reply.body.strip() == reply.body
    assert "{{" not in reply.body
    assert "{%" not in reply.body
    assert "None" not in reply.body


@pytest.mark.parametrize("template_id", enabled_ids())
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_enabled_template_greets_by_name(template_id: str, language: str, channel: str) -> None:
    with_name = rendered(
        render(template_id, language=language, channel=channel, profile={"first_name": "Ana"})
    )
    without_name = rendered(render(template_id, language=language, channel=channel))

    assert "Ana" in with_name.body
    assert "Ana" not in without_name.body
    assert "{{" not in with_name.body


@pytest.mark.parametrize("template_id", enabled_ids())
@pytest.mark.parametrize("language", LANGUAGES)
def test_email_copy_ends_with_signature(template_id: str, language: str) -> None:
    reply = rendered(render(template_id, language=language, channel="email"))
    signature = brand().support_signature.get(language)

    assert signature is not None
    assert reply.body.endswith(signature)
    assert any(word in reply.body.lower() for word in REPLY_WORDS)


@pytest.mark.parametrize("template_id", enabled_ids())
@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_copy_differs_from_email(template_id: str, language: str) -> None:
    email = rendered(render(template_id, language=language, channel="email"))
    chat = rendered(render(template_id, language=language, channel="chat"))

    assert chat.variant == "chat"
    assert email.variant == "default"
    assert chat.body != email.body
    assert len(chat.body) < len(email.body)


def test_unknown_channel_uses_email_copy() -> None:
    email = rendered(render("t_return_request_intake", channel="email"))
    social = rendered(render("t_return_request_intake", channel=None))

    assert social.variant == "default"
    assert social.body == email.body


def test_empty_first_name_counts_as_absent() -> None:
    blank = rendered(render("t_billing_issue_intake", profile={"first_name": ""}))
    absent = rendered(render("t_billing_issue_intake"))

    assert blank.body == absent.body


# --- refusals ------------------------------------------------------------------------------------


def test_disabled_template_is_refused() -> None:
    result = refusal(render("t_unknown_ack"))

    assert result.reason == "template_disabled"
    assert result.template_id == "t_unknown_ack"


@pytest.mark.parametrize(
    "template_id",
    ["t_chargeback_neutral_ack", "t_legal_threat_ack", "t_harassment_ack", "t_fraud_ack"],
)
def test_tier0_acknowledgement_disabled_by_default(template_id: str) -> None:
    assert refusal(render(template_id)).reason == "template_disabled"


def test_override_disables_enabled_template() -> None:
    result = refusal(render("t_damaged_item_intake", enabled_override=False))

    assert result.reason == "template_disabled"


def test_override_enables_disabled_template() -> None:
    reply = rendered(render("t_unknown_ack", enabled_override=True))

    assert reply.template_id == "t_unknown_ack"


def test_unknown_template_is_refused() -> None:
    assert refusal(render("t_does_not_exist")).reason == "template_unknown"


def test_language_without_copy_is_refused() -> None:
    assert refusal(render("t_cancel_order_ack_intake", language="fr")).reason == (
        "no_copy_for_language_fr"
    )


def test_undeclared_profile_variable_is_refused() -> None:
    result = refusal(render("t_cancel_order_ack_intake", profile={"last_name": "Lopez"}))

    assert result.reason == "undeclared_variable_last_name"


def test_message_text_variable_is_refused() -> None:
    result = refusal(
        render("t_cancel_order_ack_intake", profile={"message_text": "ignore previous rules"})
    )

    assert result.reason == "undeclared_variable_message_text"


def test_bare_first_name_without_value_is_refused() -> None:
    bare = "Hi {{ first_name }}, thanks for writing to {{ brand_name }}. Just reply here."
    source = single_entry_catalog(copy={"en": {"default": bare}})

    missing = refusal(render("t_test_intake", source=source))
    blank = refusal(render("t_test_intake", source=source, profile={"first_name": ""}))

    assert missing.reason == "undefined_variable"
    assert blank.reason == "undefined_variable"


def test_bare_first_name_with_value_renders() -> None:
    bare = "Hi {{ first_name }}, thanks for writing to {{ brand_name }}. Just reply here."
    source = single_entry_catalog(copy={"en": {"default": bare}})

    reply = rendered(render("t_test_intake", source=source, profile={"first_name": "Ana"}))

    assert reply.body == f"Hi Ana, thanks for writing to {brand().brand_name}. Just reply here."


def test_missing_required_variable_is_refused() -> None:
    source = single_entry_catalog(
        required_variables=["brand_name", "first_name"], optional_variables=[]
    )

    result = refusal(render("t_test_intake", source=source))

    assert result.reason == "missing_variable_first_name"


def test_chat_falls_back_to_email_copy() -> None:
    source = single_entry_catalog()

    reply = rendered(render("t_test_intake", source=source, channel="chat"))

    assert reply.body.startswith(f"Hi, thanks for writing to {brand().brand_name}.")


# --- catalog validation at load ---------------------------------------------------------------


def test_valid_test_entry_loads() -> None:
    entry = TemplateEntry.model_validate(entry_document())

    assert entry.template_id == "t_test_intake"


def test_undeclared_body_variable_rejected() -> None:
    body = "Hello from {{ brand_name }}, see {{ order_number }}."

    with pytest.raises(ValidationError, match="order_number"):
        TemplateEntry.model_validate(entry_document(copy={"en": {"default": body}}))


def test_unknown_declared_variable_rejected() -> None:
    with pytest.raises(ValidationError, match="tracking_number"):
        TemplateEntry.model_validate(entry_document(optional_variables=["tracking_number"]))


@pytest.mark.parametrize("tier", [0, 1])
def test_auto_close_below_tier2_rejected(tier: int) -> None:
    with pytest.raises(ValidationError, match="auto_close is only allowed on Tier 2"):
        TemplateEntry.model_validate(entry_document(tier=tier, auto_close=True))


def test_auto_close_on_tier2_accepted() -> None:
    entry = TemplateEntry.model_validate(entry_document(tier=2, auto_close=True))

    assert entry.auto_close is True


def test_invalid_jinja_syntax_rejected() -> None:
    body = "Hello {% if first_name %}{{ first_name }}"

    with pytest.raises(ValidationError, match="invalid template syntax"):
        TemplateEntry.model_validate(entry_document(copy={"en": {"default": body}}))


def test_copy_without_email_variant_rejected() -> None:
    with pytest.raises(ValidationError, match="default"):
        TemplateEntry.model_validate(entry_document(copy={"en": {"chat": "Hi, reply here."}}))


def test_duplicate_template_id_rejected() -> None:
    document = {"version": 1, "templates": [entry_document(), entry_document()]}

    with pytest.raises(ValidationError, match="appears twice"):
        TemplateCatalog.model_validate(document)


def test_bundled_catalog_has_no_auto_close_below_tier2() -> None:
    auto_close_entries = [entry for entry in catalog().templates if entry.auto_close]

    for entry in auto_close_entries:
        assert entry.tier == 2, entry.template_id
