"""Scrub personal data and secrets from free text before it reaches a log line."""

from __future__ import annotations

import hashlib
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_CANDIDATE = re.compile(r"(?<![\w.])\+?\d[\d\s().-]{5,}\d(?![\w.])")
_IPV4_OR_DATE = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|\d{4}-\d{2}-\d{2})$")
_MIN_PHONE_DIGITS = 7
# A token mixes letters and digits; snake_case words such as skip reasons do not.
_LONG_TOKEN = re.compile(r"\b(?=[A-Za-z_\-]*\d)(?=[\d_\-]*[A-Za-z])[A-Za-z0-9_\-]{20,}\b")


def _redact_phone(match: re.Match[str]) -> str:
    candidate = match.group(0)
    digits = sum(ch.isdigit() for ch in candidate)
    if digits < _MIN_PHONE_DIGITS or _IPV4_OR_DATE.match(candidate):
        return candidate
    return "[phone]"


def redact_text(text: str) -> str:
    """Replace e-mail addresses, phone-like digit runs and long token-like strings with placeholders."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE_CANDIDATE.sub(_redact_phone, text)
    return _LONG_TOKEN.sub("[token]", text)


def reference(value: str) -> str:
    """Return a short stable reference (12 hex chars of SHA-256) for an id that may carry personal data.

    Conversation ids can be e-mail Message-IDs, so logs carry this reference instead.
    """
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
