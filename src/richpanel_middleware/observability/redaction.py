"""Scrub personal data and secrets from free text before it reaches a log line."""

from __future__ import annotations

import hashlib
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{7,}\d(?!\w)")
_LONG_TOKEN = re.compile(r"\b(?:shpat_|sk-|rk_)?[A-Za-z0-9_\-]{32,}\b")


def redact_text(text: str) -> str:
    """Replace e-mail addresses, phone-like digit runs and long token-like strings with placeholders."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return _LONG_TOKEN.sub("[token]", text)


def reference(value: str) -> str:
    """Return a short stable reference (12 hex chars of SHA-256) for an id that may carry personal data.

    Conversation ids can be e-mail Message-IDs, so logs carry this reference instead.
    """
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
