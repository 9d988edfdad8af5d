"""Tracking links and carrier names for verified replies.

A link goes into customer-facing copy, so it is either the store's own https link or one
built from a configured carrier template. An unknown carrier gets no link at all rather
than a guessed one.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, urlsplit

from richpanel_middleware.orders.shipping_config import ShippingConfig


def tracking_link(
    *,
    carrier: str | None,
    tracking_number: str | None,
    store_url: str | None,
    config: ShippingConfig,
) -> str | None:
    """Choose the tracking link for one shipment, or None when there is no safe link.

    The store's URL wins when `is_safe_https_url` accepts it. Otherwise the link is built
    from the configured template of a known carrier, with the stripped tracking number
    URL-encoded (every reserved character, including "/", is percent-encoded).
    """
    if store_url is not None and is_safe_https_url(store_url):
        return store_url.strip()

    known = config.carrier_for(carrier)
    if known is None or tracking_number is None:
        return None
    number = tracking_number.strip()
    if not number or _has_control_characters(number):
        return None
    return known.tracking_url_for(quote(number, safe=""))


def carrier_display_name(carrier: str | None, config: ShippingConfig) -> str | None:
    """Name a carrier for customer copy: the configured name for a known alias, else the
    stripped raw name, or None when nothing is left."""
    known = config.carrier_for(carrier)
    if known is not None:
        return known.name
    if carrier is None:
        return None
    return carrier.strip() or None


def is_safe_https_url(url: str) -> bool:
    """Check that a URL, after stripping surrounding whitespace, is fit to show a customer.

    It must be https with a host name and must not contain whitespace, control or format
    characters, backslashes (which browsers read as "/"), quotes or angle brackets (which
    break out of HTML and Markdown links), user info (``user@host``, often used to disguise
    the real host) or an invalid port.
    """
    candidate = url.strip()
    if not candidate or "\\" in candidate:
        return False
    if any(char.isspace() for char in candidate) or _has_control_characters(candidate):
        return False
    # Characters that break out of quoted HTML attributes or Markdown links.
    if any(char in _UNSAFE_URL_CHARACTERS for char in candidate):
        return False
    try:
        parts = urlsplit(candidate)
        parts.port  # noqa: B018  # reading .port raises ValueError for an invalid port
    except ValueError:
        return False
    return parts.scheme.lower() == "https" and bool(parts.hostname) and "@" not in parts.netloc


_UNSAFE_URL_CHARACTERS = frozenset('"<>`{}|^' + "'")


def _has_control_characters(text: str) -> bool:
    # Unicode category C covers control (Cc), format (Cf, such as bidi overrides),
    # surrogate, private-use and unassigned code points.
    return any(unicodedata.category(char).startswith("C") for char in text)
