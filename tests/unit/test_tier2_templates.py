"""Copy of the Tier 2 (verified order) templates, rendered with the real catalog and renderer."""

from __future__ import annotations

import re
from functools import cache

import pytest

from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.templates.catalog import BrandConstants, TemplateCatalog
from richpanel_middleware.templates.renderer import (
    RenderedReply,
    RenderRefusal,
    render_template,
)

ORDER_STATUS = "t_order_status_verified"
SHIPPING_DELAY = "t_shipping_delay_verified"
ETA_NO_TRACKING = "t_order_eta_no_tracking_verified"
TEMPLATE_IDS = [ORDER_STATUS, SHIPPING_DELAY, ETA_NO_TRACKING]
LANGUAGES = ["en", "es"]
CHANNELS = ["email", "chat"]

# Shipments in the shape the renderer receives them: every key is present, and a value
# the order source did not give is an empty string.
UPS = {
    "carrier": "UPS",
    "tracking_number": "1Z999AA10123456784",
    "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
    "status": "in transit",
    "shipped_on": "December 1, 2026",
}
USPS_WITHOUT_LINK = {
    "carrier": "USPS",
    "tracking_number": "9400100000000000000000",
    "tracking_url": "",
    "status": "",
    "shipped_on": "",
}
FEDEX = {
    "carrier": "FedEx",
    "tracking_number": "123456789012",
    "tracking_url": "https://www.fedex.com/fedextrack/?trknbr=123456789012",
    "status": "delivered",
    "shipped_on": "",
}
SHIPMENTS = [UPS, USPS_WITHOUT_LINK, FEDEX]
STATUS_PAGE_URL = "https://northwind-goods.example/orders/1001/status"

# Facts each template needs, with dates and statuses already localized.
BASE_FACTS: dict[str, dict[str, dict[str, object]]] = {
    ORDER_STATUS: {
        "en": {"order_number": "#1001", "order_status": "shipped", "shipments": [UPS]},
        "es": {"order_number": "#1001", "order_status": "enviado", "shipments": [UPS]},
    },
    SHIPPING_DELAY: {
        "en": {"order_number": "#1001", "order_date": "November 30, 2026"},
        "es": {"order_number": "#1001", "order_date": "30 de noviembre de 2026"},
    },
    ETA_NO_TRACKING: {
        "en": {
            "order_number": "#1001",
            "order_date": "November 30, 2026",
            "delivery_from": "December 3, 2026",
            "delivery_by": "December 7, 2026",
        },
        "es": {
            "order_number": "#1001",
            "order_date": "30 de noviembre de 2026",
            "delivery_from": "3 de diciembre de 2026",
            "delivery_by": "7 de diciembre de 2026",
        },
    },
}
REQUIRED_ORDER_FACTS = {
    ORDER_STATUS: ["order_number", "order_status", "shipments"],
    SHIPPING_DELAY: ["order_number", "order_date"],
    ETA_NO_TRACKING: ["order_number", "order_date", "delivery_by"],
}

# Phrases that show which optional branch of the copy was rendered.
UNSHIPPED_PHRASE = {"en": "hasn't shipped yet", "es": "aún no ha salido"}
PREORDER_PHRASE = {"en": "pre-order", "es": "preventa"}
APOLOGY_PHRASE = {"en": "taking longer than expected", "es": "tardando más de lo previsto"}
# Words that invite a reply, one of which the auto-close rule needs before it closes a
# conversation. Each language's copy must contain its own word.
AUTO_CLOSE_REPLY_WORD = {"en": r"\breply\b", "es": r"\b(responda|responder)\b"}
# Words that show the customer how to reach a person, in any Tier 2 variant.
HUMAN_CONTACT_WORD = {"en": r"\breply\b", "es": r"\b(responda|responder|escribirnos)\b"}


@cache
def catalog() -> TemplateCatalog:
    return load_app_config().policy.catalog


@cache
def brand() -> BrandConstants:
    return load_app_config().policy.brand


def facts(template_id: str, language: str, **changes: object) -> dict[str, object]:
    """Return the base facts for a template and language with `changes` applied."""
    order_facts = dict(BASE_FACTS[template_id][language])
    order_facts.update(changes)
    return order_facts


def render(
    template_id: str,
    order_facts: dict[str, object],
    *,
    language: str = "en",
    channel: str = "email",
    first_name: str | None = None,
) -> RenderedReply | RenderRefusal:
    return render_template(
        catalog(),
        brand(),
        template_id,
        language=language,
        channel=channel,
        profile_variables={"first_name": first_name},
        order_variables=order_facts,
    )


def rendered(result: RenderedReply | RenderRefusal) -> str:
    assert isinstance(result, RenderedReply), f"expected a reply, got {result}"
    assert_clean(result.body)
    return result.body


def assert_clean(body: str) -> None:
    """Check for the marks an unguarded or empty variable leaves in rendered copy."""
    assert "{{" not in body
    assert "{%" not in body
    assert "None" not in body
    assert "[]" not in body
    assert "()" not in body
    assert "\n\n\n" not in body, "two blank lines in a row"
    assert not re.search(r" {2,}", body), "two spaces in a row"
    assert not re.search(r"\s[.,;:!?)]", body), "whitespace before punctuation"
    assert not re.search(r"[ \t]\n", body), "trailing whitespace on a line"


def line_with(body: str, text: str) -> str:
    """Return the one line of `body` that contains `text`."""
    lines = [line for line in body.splitlines() if text in line]
    assert len(lines) == 1, f"expected one line with {text!r}, got {lines}"
    return lines[0]


def sentence_count(text: str) -> int:
    """Count sentence ends: a period, question or exclamation mark before a space or the end."""
    return len(re.findall(r"[.!?](?=\s|$)", text))


# --- catalog entries ---------------------------------------------------------------------------


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_tier2_entry_is_enabled(template_id: str) -> None:
    entry = catalog().get(template_id)

    assert entry is not None
    assert entry.tier == 2
    assert entry.enabled is True
    assert set(entry.copy_text) == {"en", "es"}
    for variants in entry.copy_text.values():
        assert set(variants) == {"default", "chat"}


def test_only_eta_template_auto_closes() -> None:
    flags = {entry.template_id: entry.auto_close for entry in catalog().templates}

    assert flags[ORDER_STATUS] is False
    assert flags[SHIPPING_DELAY] is False
    assert flags[ETA_NO_TRACKING] is True


def test_tier2_entries_follow_ask_order_number() -> None:
    ids = catalog().template_ids
    start = ids.index("t_order_status_ask_order_number")

    assert ids[start + 1 : start + 4] == TEMPLATE_IDS


# --- every variant renders ---------------------------------------------------------------------


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_variant_renders_order_number(template_id: str, language: str, channel: str) -> None:
    result = render(template_id, facts(template_id, language), language=language, channel=channel)
    body = rendered(result)

    assert isinstance(result, RenderedReply)
    assert result.variant == ("chat" if channel == "chat" else "default")
    assert "#1001" in body
    if channel == "email":
        assert brand().brand_name in body


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_variant_greets_by_name(template_id: str, language: str, channel: str) -> None:
    order_facts = facts(template_id, language)

    with_name = rendered(
        render(template_id, order_facts, language=language, channel=channel, first_name="Ana")
    )
    without_name = rendered(render(template_id, order_facts, language=language, channel=channel))

    assert "Ana" in with_name
    assert "Ana" not in without_name


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_variant_ends_with_human_contact(template_id: str, language: str, channel: str) -> None:
    body = rendered(
        render(template_id, facts(template_id, language), language=language, channel=channel)
    )
    signature = brand().support_signature.get(language)
    assert signature is not None

    if channel == "email":
        assert body.endswith(signature)
        closing = body.removesuffix(signature).strip().split("\n\n")[-2]
    else:
        assert signature not in body
        closing = re.split(r"(?<=[.!?])\s", body)[-1]
    assert re.search(HUMAN_CONTACT_WORD[language], closing.lower()), closing


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_chat_is_short(template_id: str, language: str) -> None:
    order_facts = facts(template_id, language)
    if template_id == ORDER_STATUS:
        order_facts.update(shipments=SHIPMENTS, unshipped_items=True)

    chat = rendered(render(template_id, order_facts, language=language, channel="chat"))
    email = rendered(render(template_id, order_facts, language=language, channel="email"))

    greeting_end = re.search(r"!\s", chat)
    assert greeting_end is not None
    assert 1 <= sentence_count(chat[greeting_end.end() :]) <= 3
    assert "\n" not in chat
    assert len(chat) < len(email)


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_status_page_link_optional(template_id: str, language: str, channel: str) -> None:
    with_link = rendered(
        render(
            template_id,
            facts(template_id, language, status_page_url=STATUS_PAGE_URL),
            language=language,
            channel=channel,
        )
    )
    without_link = rendered(
        render(template_id, facts(template_id, language), language=language, channel=channel)
    )

    if channel == "email":
        assert STATUS_PAGE_URL in with_link
    assert STATUS_PAGE_URL not in without_link


# --- order status: shipments and unshipped items -----------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_status_lists_every_shipment(count: int, language: str, channel: str) -> None:
    shipments = SHIPMENTS[:count]

    body = rendered(
        render(
            ORDER_STATUS,
            facts(ORDER_STATUS, language, shipments=shipments),
            language=language,
            channel=channel,
        )
    )

    for shipment in shipments:
        assert shipment["tracking_number"] in body
        assert shipment["carrier"] in body
        if shipment["tracking_url"]:
            assert shipment["tracking_url"] in body
    for shipment in SHIPMENTS[count:]:
        assert shipment["tracking_number"] not in body
    if channel == "email":
        bullets = [line for line in body.splitlines() if line.startswith("- ")]
        assert len(bullets) == count


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_email_shipment_without_link(language: str) -> None:
    body = rendered(
        render(ORDER_STATUS, facts(ORDER_STATUS, language, shipments=SHIPMENTS), language=language)
    )

    usps_line = line_with(body, USPS_WITHOUT_LINK["tracking_number"])
    assert usps_line.endswith(USPS_WITHOUT_LINK["tracking_number"])
    assert "http" not in usps_line
    assert "(" not in usps_line
    assert UPS["tracking_url"] in line_with(body, UPS["tracking_number"])
    assert FEDEX["tracking_url"] in line_with(body, FEDEX["tracking_number"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_chat_shipment_without_link(language: str) -> None:
    body = rendered(
        render(
            ORDER_STATUS,
            facts(ORDER_STATUS, language, shipments=SHIPMENTS),
            language=language,
            channel="chat",
        )
    )

    after_usps = body.split(USPS_WITHOUT_LINK["tracking_number"], 1)[1]
    assert not after_usps.startswith(" (")
    assert f"{UPS['tracking_number']} ({UPS['tracking_url']})" in body
    assert f"{FEDEX['tracking_number']} ({FEDEX['tracking_url']})" in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_email_shows_shipment_details(language: str) -> None:
    localized = {"status": "en tránsito", "shipped_on": "1 de diciembre de 2026"}
    shipment = UPS if language == "en" else {**UPS, **localized}

    body = rendered(
        render(ORDER_STATUS, facts(ORDER_STATUS, language, shipments=[shipment]), language=language)
    )

    line = line_with(body, shipment["tracking_number"])
    assert f"({shipment['status']})" in line
    assert shipment["shipped_on"] in line


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_status_unshipped_items_mentioned(language: str, channel: str) -> None:
    body = rendered(
        render(
            ORDER_STATUS,
            facts(ORDER_STATUS, language, unshipped_items=True),
            language=language,
            channel=channel,
        )
    )

    assert UNSHIPPED_PHRASE[language] in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_status_all_shipped_omits_rest(language: str, channel: str) -> None:
    shipped = rendered(
        render(
            ORDER_STATUS,
            facts(ORDER_STATUS, language, unshipped_items=False),
            language=language,
            channel=channel,
        )
    )
    absent = rendered(
        render(ORDER_STATUS, facts(ORDER_STATUS, language), language=language, channel=channel)
    )

    assert UNSHIPPED_PHRASE[language] not in shipped
    assert shipped == absent


# --- shipping delay ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_delay_apologises_for_late_order(language: str, channel: str) -> None:
    body = rendered(
        render(
            SHIPPING_DELAY,
            facts(SHIPPING_DELAY, language, is_late=True),
            language=language,
            channel=channel,
        )
    )

    assert APOLOGY_PHRASE[language] in body
    assert PREORDER_PHRASE[language] not in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_delay_not_late_has_no_apology(language: str, channel: str) -> None:
    body = rendered(
        render(SHIPPING_DELAY, facts(SHIPPING_DELAY, language), language=language, channel=channel)
    )

    assert APOLOGY_PHRASE[language] not in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_delay_preorder_has_no_apology(language: str, channel: str) -> None:
    body = rendered(
        render(
            SHIPPING_DELAY,
            facts(SHIPPING_DELAY, language, is_preorder=True),
            language=language,
            channel=channel,
        )
    )

    assert PREORDER_PHRASE[language] in body
    assert APOLOGY_PHRASE[language] not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_delay_email_states_order_date(language: str) -> None:
    order_facts = facts(SHIPPING_DELAY, language)

    body = rendered(render(SHIPPING_DELAY, order_facts, language=language))

    assert str(order_facts["order_date"]) in body


# --- delivery window without tracking (auto-close) ---------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_eta_shows_delivery_window(language: str, channel: str) -> None:
    order_facts = facts(ETA_NO_TRACKING, language)

    body = rendered(render(ETA_NO_TRACKING, order_facts, language=language, channel=channel))

    assert str(order_facts["delivery_from"]) in body
    assert str(order_facts["delivery_by"]) in body
    assert PREORDER_PHRASE[language] not in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_eta_without_delivery_from(language: str, channel: str) -> None:
    order_facts = facts(ETA_NO_TRACKING, language)
    del order_facts["delivery_from"]
    latest = str(order_facts["delivery_by"])
    by_latest = {"en": f"by {latest}", "es": f"a más tardar el {latest}"}

    body = rendered(render(ETA_NO_TRACKING, order_facts, language=language, channel=channel))

    assert by_latest[language] in body
    assert "between" not in body
    assert "entre el" not in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
def test_eta_preorder_expected_by_latest(language: str, channel: str) -> None:
    order_facts = facts(ETA_NO_TRACKING, language, is_preorder=True)
    latest = str(order_facts["delivery_by"])
    by_latest = {"en": f"by {latest}", "es": f"a más tardar el {latest}"}

    body = rendered(render(ETA_NO_TRACKING, order_facts, language=language, channel=channel))

    assert PREORDER_PHRASE[language] in body
    assert by_latest[language] in body
    assert str(order_facts["delivery_from"]) not in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("is_preorder", [False, True])
@pytest.mark.parametrize("has_delivery_from", [False, True])
def test_eta_invites_reply_before_close(
    language: str, channel: str, is_preorder: bool, has_delivery_from: bool
) -> None:
    order_facts = facts(ETA_NO_TRACKING, language, is_preorder=is_preorder)
    if not has_delivery_from:
        del order_facts["delivery_from"]

    body = rendered(render(ETA_NO_TRACKING, order_facts, language=language, channel=channel))

    assert re.search(AUTO_CLOSE_REPLY_WORD[language], body.lower())
    assert str(order_facts["delivery_by"]) in body


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template_id", "name"),
    [(template_id, name) for template_id, names in REQUIRED_ORDER_FACTS.items() for name in names],
)
@pytest.mark.parametrize("channel", CHANNELS)
def test_missing_required_fact_refused(template_id: str, name: str, channel: str) -> None:
    order_facts = facts(template_id, "en")
    del order_facts[name]

    result = render(template_id, order_facts, channel=channel)

    assert isinstance(result, RenderRefusal), f"expected a refusal, got {result}"
    assert result.reason == f"missing_variable_{name}"


def test_status_without_shipments_refused() -> None:
    result = render(ORDER_STATUS, facts(ORDER_STATUS, "en", shipments=[]))

    assert isinstance(result, RenderRefusal), f"expected a refusal, got {result}"
    assert result.reason == "missing_variable_shipments"


def test_status_without_order_facts_refused() -> None:
    result = render(ORDER_STATUS, {})

    assert isinstance(result, RenderRefusal), f"expected a refusal, got {result}"
    assert result.reason == "missing_variable_order_number"
