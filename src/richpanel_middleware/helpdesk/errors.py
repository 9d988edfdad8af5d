"""Exceptions raised by the Richpanel client.

Callers catch as broadly as they need. The first split is whether a later attempt
can succeed without a change on our side. The two branches also subclass
`pipeline.errors.RetryableError` and `PermanentError`, so the worker can act on the
split without importing this module::

    RichpanelError
    ├── RichpanelRetryableError
    │   ├── RichpanelRateLimited        429, carries retry_after_s
    │   ├── RichpanelServerError        5xx
    │   └── RichpanelTransportError     timeout or connection failure, cause chained
    └── RichpanelPermanentError         any other non-2xx status
        ├── RichpanelBadRequest         400, carries the body's `error` text
        ├── RichpanelUnauthorized       401
        ├── RichpanelNotFound           404
        ├── RichpanelConflict           409
        ├── RichpanelPayloadTooLarge    413
        ├── RichpanelWriteNotApplied    2xx on a write, but a re-read shows no change
        └── RichpanelInvalidResponse    2xx with a body that is not the documented shape

Messages never contain the API key or a raw ticket id, because ids can be e-mail
Message-IDs. They name the conversation by `conversation_ref(ticket_id)` instead.
"""

from __future__ import annotations

import hashlib

from richpanel_middleware.pipeline.errors import (
    CredentialsError,
    PermanentError,
    PipelineError,
    RetryableError,
)

CONVERSATION_REF_LENGTH = 12


def conversation_ref(ticket_id: str) -> str:
    """Return a short, stable reference to a ticket id that is safe to log.

    The reference is the first 12 hex digits of the SHA-256 of the UTF-8 id, so the
    same id always maps to the same reference and the id cannot be read back from it.
    """
    digest = hashlib.sha256(ticket_id.encode("utf-8")).hexdigest()
    return digest[:CONVERSATION_REF_LENGTH]


class RichpanelError(PipelineError):
    """A Richpanel API call failed.

    `status_code` is the HTTP status when a response arrived, `endpoint` the path
    template of the call (such as ``/v1/tickets/{id}``) and `conversation_ref` the
    logged reference of the ticket involved, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        endpoint: str | None = None,
        conversation_ref: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.endpoint = endpoint
        self.conversation_ref = conversation_ref


class RichpanelRetryableError(RichpanelError, RetryableError):
    """A failure that a later attempt of the same call may not repeat."""


class RichpanelRateLimited(RichpanelRetryableError):
    """Richpanel responded 429. `retry_after_s` is the parsed Retry-After header, if sent."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None,
        status_code: int | None = 429,
        endpoint: str | None = None,
        conversation_ref: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            endpoint=endpoint,
            conversation_ref=conversation_ref,
        )
        self.retry_after_s = retry_after_s


class RichpanelServerError(RichpanelRetryableError):
    """Richpanel responded with a 5xx status."""


class RichpanelTransportError(RichpanelRetryableError):
    """The request timed out or the connection failed. The httpx error is the cause.

    For a call that is not idempotent (send-message), the request may have reached
    Richpanel, so re-read the ticket before sending again.
    """


class RichpanelPermanentError(RichpanelError, PermanentError):
    """A failure that repeats until the request, the key or the data changes."""


class RichpanelBadRequest(RichpanelPermanentError):
    """Richpanel responded 400. `error_text` is the `error` field of the body, if any."""

    def __init__(
        self,
        message: str,
        *,
        error_text: str | None,
        status_code: int | None = 400,
        endpoint: str | None = None,
        conversation_ref: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            endpoint=endpoint,
            conversation_ref=conversation_ref,
        )
        self.error_text = error_text


class RichpanelUnauthorized(RichpanelPermanentError, CredentialsError):
    """Richpanel responded 401: the API key is missing, wrong or revoked."""


class RichpanelNotFound(RichpanelPermanentError):
    """Richpanel responded 404: the ticket, order or path does not exist."""


class RichpanelConflict(RichpanelPermanentError):
    """Richpanel responded 409: the write conflicts with the current state."""


class RichpanelPayloadTooLarge(RichpanelPermanentError):
    """Richpanel responded 413: the request body is too large."""


class RichpanelWriteNotApplied(RichpanelPermanentError):
    """A write returned 2xx, but reading the ticket back shows that nothing changed."""


class RichpanelInvalidResponse(RichpanelPermanentError):
    """A call returned 2xx with a body that is not JSON or lacks a required field."""
