"""Webhook authentication: static tokens, and an optional HMAC signature mode.

Richpanel's HTTP targets cannot sign, so the default is a static header token compared in
constant time against every active token (two at once while rotating). Senders that can
sign use HMAC mode instead: `x-mw-signature` is the hex HMAC-SHA256 of
`<x-mw-timestamp>.<raw body>` under a shared secret, and the timestamp (Unix seconds) must
be within the allowed skew, which stops replays of old deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Sequence

TOKEN_HEADER = "x-richpanel-webhook-token"
SIGNATURE_HEADER = "x-mw-signature"
TIMESTAMP_HEADER = "x-mw-timestamp"
DEFAULT_MAX_SKEW_S = 300.0
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the hex signature a sender puts in `x-mw-signature`."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class WebhookAuthenticator:
    def __init__(
        self,
        *,
        tokens: Sequence[str],
        hmac_secrets: Sequence[str] = (),
        max_skew_s: float = DEFAULT_MAX_SKEW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not tokens and not hmac_secrets:
            raise ValueError(
                "no webhook credentials configured; set RPMW_WEBHOOK_TOKENS "
                "(or RPMW_WEBHOOK_HMAC_SECRETS for senders that sign)"
            )
        self._tokens = [token.encode("utf-8") for token in tokens]
        self._secrets = list(hmac_secrets)
        self._max_skew_s = max_skew_s
        self._clock = clock

    def token_valid(self, presented: str | None) -> bool:
        """Compare against every active token in constant time (no early exit)."""
        candidate = (presented or "").encode("utf-8")
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(candidate, token)
        return matched and bool(candidate)

    def signature_valid(self, signature: str | None, timestamp: str | None, body: bytes) -> bool:
        if not self._secrets or not signature or not timestamp:
            return False
        # Whole Unix seconds only: "nan", "1e9" or "0x10" would slip past a float comparison.
        if not _UNIX_SECONDS.fullmatch(timestamp):
            return False
        sent_at = int(timestamp)
        if abs(self._clock() - sent_at) > self._max_skew_s:
            return False
        candidate = signature.strip().lower().encode("ascii", errors="replace")
        matched = False
        for secret in self._secrets:
            matched |= hmac.compare_digest(candidate, sign(secret, timestamp, body).encode("ascii"))
        return matched
