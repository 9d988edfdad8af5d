"""HTTP client for the Richpanel REST API, implementing the `Helpdesk` port.

Ticket ids can be e-mail Message-IDs such as ``<abc+1@mail.example.com>``. Richpanel
responds with 200 and changes nothing when such an id reaches a write endpoint without
percent-encoding, so every id goes into the path as one segment encoded with
``quote(id, safe="")``, and `close_ticket` reads the ticket back to confirm the write.

Retries cover only `RichpanelRetryableError` kinds: 429, 5xx, timeouts and connection
failures. A 429 waits for its Retry-After time and pauses every thread that shares
the `RateGate`. Other failures wait for an exponential backoff with full jitter.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import httpx

from richpanel_middleware.helpdesk.errors import (
    RichpanelBadRequest,
    RichpanelConflict,
    RichpanelError,
    RichpanelInvalidResponse,
    RichpanelNotFound,
    RichpanelPayloadTooLarge,
    RichpanelPermanentError,
    RichpanelRateLimited,
    RichpanelRetryableError,
    RichpanelServerError,
    RichpanelTransportError,
    RichpanelUnauthorized,
    RichpanelWriteNotApplied,
    conversation_ref,
)
from richpanel_middleware.helpdesk.model import Comment, Ticket
from richpanel_middleware.helpdesk.rate_gate import RateGate

__all__ = [
    "MAX_RETRY_AFTER_S",
    "RichpanelClient",
    "conversation_ref",
    "encode_path_segment",
    "html_to_text",
    "parse_retry_after",
    "parse_ticket",
    "parse_timestamp",
]

logger = logging.getLogger(__name__)

JsonObject = dict[str, Any]

API_KEY_HEADER: Final = "x-richpanel-key"
# Maximum Retry-After wait in seconds. A longer value is cut to this, and the call is
# retried after it, because a worker thread should not block for longer.
MAX_RETRY_AFTER_S: Final = 120.0
# Richpanel's maximum page size for list endpoints.
LIST_PAGE_SIZE: Final = 100
# Guards against a server whose next_page never ends.
MAX_LIST_PAGES: Final = 1000
# Maximum length of the vendor `error` text copied into an exception message.
MAX_ERROR_TEXT_CHARS: Final = 200

_STATUS_ERRORS: Final[dict[int, type[RichpanelPermanentError]]] = {
    401: RichpanelUnauthorized,
    404: RichpanelNotFound,
    409: RichpanelConflict,
    413: RichpanelPayloadTooLarge,
}
_STATUS_HINTS: Final[dict[int, str]] = {
    401: " Check the API key sent as x-richpanel-key.",
}

# Errors raised before any byte of the request was sent, so retrying cannot repeat a write.
_NOT_SENT_ERRORS: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def encode_path_segment(value: str) -> str:
    """Percent-encode `value` as one URL path segment, including ``/``, ``@``, ``+`` and ``%``.

    A segment of only dots is encoded too (``%2E%2E``), because URL normalisation would
    otherwise resolve ``..`` to the parent path.
    """
    encoded = quote(value, safe="")
    if encoded in (".", ".."):
        return encoded.replace(".", "%2E")
    return encoded


class RichpanelClient:
    """Synchronous Richpanel API client, safe to share between threads.

    `max_attempts` counts the first attempt. The key goes only into the request
    header and is masked in `repr`. Close the client, or use it as a context manager,
    to release its connection pool. `transport` replaces the httpx transport and is
    meant for tests.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float = 10.0,
        max_attempts: int = 4,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        rate_gate: RateGate | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty. Pass the Richpanel API key.")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        if backoff_base_s < 0 or backoff_max_s < 0:
            raise ValueError("backoff_base_s and backoff_max_s must not be negative")

        self._base_url = base_url
        self._api_key = api_key
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._rate_gate = rate_gate
        self._sleep = sleep
        self._random = random.Random()
        self._http = httpx.Client(
            base_url=base_url,
            headers={API_KEY_HEADER: api_key, "accept": "application/json"},
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"RichpanelClient(base_url={self._base_url!r}, api_key='***')"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RichpanelClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Reads

    def get_ticket(self, ticket_id: str) -> Ticket:
        """Fetch a ticket with its comments, oldest comment first."""
        response = self._call("GET", "/v1/tickets/{id}", ticket_id=ticket_id)
        return self._parse_ticket_response(response, "/v1/tickets/{id}", ticket_id)

    def get_ticket_by_number(self, conversation_no: int) -> Ticket:
        """Fetch a ticket by the conversation number shown in the Richpanel UI."""
        endpoint = "/v1/tickets/number/{number}"
        response = self._call("GET", endpoint, path_values={"number": str(conversation_no)})
        return self._parse_ticket_response(response, endpoint, None)

    def get_linked_order(self, conversation_id: str) -> JsonObject:
        """Return ``{"orderId", "appClientId"}`` of the order linked to a conversation, or {}."""
        endpoint = "/v1/order/{id}"
        response = self._call("GET", endpoint, ticket_id=conversation_id)
        return self._json_object(response, endpoint, conversation_ref(conversation_id))

    def get_order(self, app_client_id: str, order_id: str) -> JsonObject:
        """Fetch one order of an e-commerce app connected to Richpanel."""
        endpoint = "/v1/order/{app_client_id}/{order_id}"
        response = self._call(
            "GET",
            endpoint,
            path_values={"app_client_id": app_client_id, "order_id": order_id},
        )
        return self._json_object(response, endpoint, None)

    def list_users(self) -> list[JsonObject]:
        return self._list_all("/v1/users", "user")

    def list_teams(self) -> list[JsonObject]:
        return self._list_all("/v1/teams", "team")

    def list_tags(self) -> list[JsonObject]:
        return self._list_all("/v1/tags", "tag")

    # Writes

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        """Add tags by name. Richpanel creates unknown names. An empty list sends nothing."""
        if tags:
            body = {"tags": list(tags)}
            self._call("PUT", "/v1/tickets/{id}/add-tags", ticket_id=ticket_id, json_body=body)

    def remove_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        """Remove tags by name. An empty list sends nothing."""
        if tags:
            body = {"tags": list(tags)}
            self._call("PUT", "/v1/tickets/{id}/remove-tags", ticket_id=ticket_id, json_body=body)

    def send_message(self, ticket_id: str, *, body: str, author_id: str) -> None:
        """Send a customer-visible reply as the agent `author_id`.

        This is not idempotent. After a timeout or a broken connection the message may
        have been delivered, so the call raises RichpanelTransportError without retrying,
        and the caller must re-read the ticket before sending again. A 429 and a
        connection that failed before the request was sent are still retried.
        """
        self._call(
            "PUT",
            "/v1/tickets/{id}/send-message",
            ticket_id=ticket_id,
            json_body={"author_id": author_id, "body": body},
            idempotent=False,
        )

    def update_ticket(self, ticket_id: str, fields: Mapping[str, object]) -> None:
        """Send ``PUT /v1/tickets/{id}`` with `fields` wrapped in ``{"ticket": ...}``.

        Richpanel responds with 200 and changes nothing when the body is not wrapped,
        so the wrapping is done here. `status` must be ``OPEN`` or ``CLOSED`` in upper case,
        and other spellings get a 400 (RichpanelBadRequest).
        """
        self._call(
            "PUT", "/v1/tickets/{id}", ticket_id=ticket_id, json_body={"ticket": dict(fields)}
        )

    def close_ticket(self, ticket_id: str) -> None:
        """Close a ticket and read it back.

        Raises RichpanelWriteNotApplied if the ticket is not CLOSED afterwards.
        """
        self.update_ticket(ticket_id, {"state": "closed", "status": "CLOSED"})

        ticket = self.get_ticket(ticket_id)
        if not ticket.is_closed:
            ref = conversation_ref(ticket_id)
            raise RichpanelWriteNotApplied(
                f"Richpanel accepted the close of conversation {ref}, but its status is "
                f"still {ticket.status!r}. Retry the close, or close it in Richpanel.",
                endpoint="/v1/tickets/{id}",
                conversation_ref=ref,
            )

    def add_internal_note(self, ticket_id: str, *, body: str) -> None:
        """Add a comment that agents see and the customer is not e-mailed about.

        NOTE: Richpanel treats this PUT as a write that can be repeated, so it is
        retried after a timeout, and a note whose first attempt did arrive then
        appears twice.
        """
        self.update_ticket(ticket_id, {"comment": {"body": body, "sender_type": "operator"}})

    def assign(self, ticket_id: str, *, assignee_id: str) -> None:
        self.update_ticket(ticket_id, {"assignee_id": assignee_id})

    def create_tag(self, name: str) -> JsonObject:
        """Create a tag and return it. Raises RichpanelConflict if the name exists.

        Not retried after a timeout, because a repeated create would fail with 409.
        """
        response = self._call("POST", "/v1/tags", json_body={"name": name}, idempotent=False)
        body = self._json_object(response, "/v1/tags", None)
        tag = body.get("tag", body)
        if not isinstance(tag, dict):
            raise RichpanelInvalidResponse(
                "Richpanel POST /v1/tags returned a `tag` that is not an object",
                status_code=response.status_code,
                endpoint="/v1/tags",
            )
        return tag

    # Request machinery

    def _call(
        self,
        method: str,
        endpoint: str,
        *,
        ticket_id: str | None = None,
        path_values: Mapping[str, str] | None = None,
        json_body: object = None,
        params: Mapping[str, str | int] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one API call with retries and return the 2xx response.

        `endpoint` is a path template. ``{id}`` takes `ticket_id`, and other
        placeholders take `path_values`. Every value is encoded as one segment.
        Raises the last RichpanelRetryableError once `max_attempts` are used up, and
        any RichpanelPermanentError at once.
        """
        values = dict(path_values or {})
        if ticket_id is not None:
            values["id"] = ticket_id
        path = _fill_path(endpoint, values)
        ref = conversation_ref(ticket_id) if ticket_id is not None else None

        attempt = 1
        while True:
            if self._rate_gate is not None:
                self._rate_gate.wait_turn()

            outcome = self._send_once(
                method,
                endpoint,
                path,
                json_body=json_body,
                params=params,
                attempt=attempt,
                ref=ref,
                ticket_id=ticket_id,
                idempotent=idempotent,
            )
            if isinstance(outcome, httpx.Response):
                return outcome
            error = outcome
            if not isinstance(error, RichpanelRetryableError) or attempt >= self._max_attempts:
                raise error

            wait_s = self._retry_wait_s(error, attempt)
            logger.warning(
                "Retrying Richpanel %s %s in %.2f s after %s (attempt %d of %d)",
                method,
                endpoint,
                wait_s,
                type(error).__name__,
                attempt,
                self._max_attempts,
                extra={
                    "event": "richpanel_retry",
                    "method": method,
                    "endpoint": endpoint,
                    "status": error.status_code,
                    "attempt": attempt,
                    "wait_s": round(wait_s, 3),
                    "conversation_ref": ref,
                },
            )
            if isinstance(error, RichpanelRateLimited) and self._rate_gate is not None:
                # The gate makes every thread wait, this one included, at its next turn.
                self._rate_gate.pause_for(wait_s)
            else:
                self._sleep(wait_s)
            attempt += 1

    def _send_once(
        self,
        method: str,
        endpoint: str,
        path: str,
        *,
        json_body: object,
        params: Mapping[str, str | int] | None,
        attempt: int,
        ref: str | None,
        ticket_id: str | None,
        idempotent: bool,
    ) -> httpx.Response | RichpanelError:
        """Send one attempt and return the 2xx response or the error it maps to.

        Raises RichpanelTransportError at once when a non-idempotent request failed
        after it may have been sent.
        """
        started = time.perf_counter()
        try:
            response = self._http.request(method, path, json=json_body, params=params)
        except httpx.RequestError as exc:
            self._log_call(method, endpoint, None, attempt, started, ref, error=exc)
            message = _describe(method, endpoint, ref, f"failed with {type(exc).__name__}")
            may_have_arrived = not isinstance(exc, _NOT_SENT_ERRORS)
            if may_have_arrived and not idempotent:
                message += ". The request may have reached Richpanel, so re-read before retrying."
                raise RichpanelTransportError(
                    message, endpoint=endpoint, conversation_ref=ref
                ) from exc

            error = RichpanelTransportError(message, endpoint=endpoint, conversation_ref=ref)
            error.__cause__ = exc
            return error

        self._log_call(method, endpoint, response.status_code, attempt, started, ref)
        if response.is_success:
            return response
        return self._error_for_response(method, endpoint, response, ref, ticket_id)

    def _log_call(
        self,
        method: str,
        endpoint: str,
        status: int | None,
        attempt: int,
        started: float,
        ref: str | None,
        *,
        error: Exception | None = None,
    ) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000)
        outcome = str(status) if error is None else type(error).__name__
        logger.info(
            "Richpanel %s %s -> %s in %d ms (attempt %d)",
            method,
            endpoint,
            outcome,
            duration_ms,
            attempt,
            extra={
                "event": "richpanel_call",
                "method": method,
                "endpoint": endpoint,
                "status": status,
                "attempt": attempt,
                "duration_ms": duration_ms,
                "conversation_ref": ref,
                "error": None if error is None else type(error).__name__,
            },
        )

    def _error_for_response(
        self,
        method: str,
        endpoint: str,
        response: httpx.Response,
        ref: str | None,
        ticket_id: str | None,
    ) -> RichpanelError:
        """Map a non-2xx response to the most specific RichpanelError."""
        status = response.status_code
        error_text = self._vendor_error_text(response, ticket_id, ref)
        message = _describe(method, endpoint, ref, f"returned {status}")
        if error_text:
            message += f": {error_text}"
        common: dict[str, Any] = {
            "status_code": status,
            "endpoint": endpoint,
            "conversation_ref": ref,
        }

        if status == 429:
            retry_after_s = parse_retry_after(response.headers.get("retry-after"))
            return RichpanelRateLimited(message, retry_after_s=retry_after_s, **common)
        if status >= 500:
            return RichpanelServerError(message, **common)
        if status == 400:
            return RichpanelBadRequest(message, error_text=error_text, **common)
        error_class = _STATUS_ERRORS.get(status, RichpanelPermanentError)
        return error_class(message + _STATUS_HINTS.get(status, ""), **common)

    def _vendor_error_text(
        self, response: httpx.Response, ticket_id: str | None, ref: str | None
    ) -> str | None:
        """Return the body's `error` text with any ticket id or API key replaced."""
        try:
            body = response.json()
        except ValueError:
            return None
        text = body.get("error") if isinstance(body, dict) else None
        if text is None:
            return None
        if not isinstance(text, str):
            text = str(text)

        text = text.replace(self._api_key, "***")
        if ticket_id:
            for form in (ticket_id, encode_path_segment(ticket_id)):
                text = text.replace(form, f"<conversation {ref}>")
        if len(text) > MAX_ERROR_TEXT_CHARS:
            text = text[:MAX_ERROR_TEXT_CHARS] + "..."
        return text

    def _retry_wait_s(self, error: RichpanelRetryableError, attempt: int) -> float:
        """Return the wait before the next attempt, in seconds.

        A 429 waits for its Retry-After time, which may exceed `backoff_max_s`, up to
        MAX_RETRY_AFTER_S. Everything else waits a random time between zero and the
        exponential backoff for this attempt ("full jitter").
        """
        if isinstance(error, RichpanelRateLimited) and error.retry_after_s is not None:
            return min(error.retry_after_s, MAX_RETRY_AFTER_S)
        ceiling_s = min(self._backoff_max_s, self._backoff_base_s * 2 ** (attempt - 1))
        return self._random.uniform(0.0, ceiling_s)

    def _json_object(self, response: httpx.Response, endpoint: str, ref: str | None) -> JsonObject:
        method = response.request.method
        try:
            body = response.json()
        except ValueError as exc:
            raise RichpanelInvalidResponse(
                _describe(method, endpoint, ref, "returned a body that is not JSON"),
                status_code=response.status_code,
                endpoint=endpoint,
                conversation_ref=ref,
            ) from exc
        if not isinstance(body, dict):
            raise RichpanelInvalidResponse(
                _describe(method, endpoint, ref, "returned JSON that is not an object"),
                status_code=response.status_code,
                endpoint=endpoint,
                conversation_ref=ref,
            )
        return body

    def _parse_ticket_response(
        self, response: httpx.Response, endpoint: str, ticket_id: str | None
    ) -> Ticket:
        ref = conversation_ref(ticket_id) if ticket_id is not None else None
        body = self._json_object(response, endpoint, ref)
        try:
            return parse_ticket(body)
        except ValueError as exc:
            raise RichpanelInvalidResponse(
                _describe("GET", endpoint, ref, f"returned a ticket that cannot be parsed: {exc}"),
                status_code=response.status_code,
                endpoint=endpoint,
                conversation_ref=ref,
            ) from exc

    def _list_all(self, endpoint: str, key: str) -> list[JsonObject]:
        """Fetch every page of a list endpoint whose body keeps its items under `key`."""
        items: list[JsonObject] = []
        page = 1
        for _ in range(MAX_LIST_PAGES):
            response = self._call(
                "GET", endpoint, params={"page": page, "per_page": LIST_PAGE_SIZE}
            )
            body = self._json_object(response, endpoint, None)
            page_items = body.get(key)
            if not isinstance(page_items, list):
                raise RichpanelInvalidResponse(
                    f"Richpanel GET {endpoint} returned no `{key}` list",
                    status_code=response.status_code,
                    endpoint=endpoint,
                )
            items.extend(item for item in page_items if isinstance(item, dict))

            next_page = body.get("next_page")
            if next_page is None or not page_items:
                return items
            if not isinstance(next_page, int) or next_page <= page:
                raise RichpanelInvalidResponse(
                    f"Richpanel GET {endpoint} returned next_page={next_page!r} on page {page}",
                    status_code=response.status_code,
                    endpoint=endpoint,
                )
            page = next_page
        raise RichpanelInvalidResponse(
            f"Richpanel GET {endpoint} returned more than {MAX_LIST_PAGES} pages",
            endpoint=endpoint,
        )


def _fill_path(template: str, values: Mapping[str, str]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", encode_path_segment(value))
    return path


def _describe(method: str, endpoint: str, ref: str | None, outcome: str) -> str:
    target = f" for conversation {ref}" if ref else ""
    return f"Richpanel {method} {endpoint}{target} {outcome}"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header into seconds from `now`.

    The header contains either a number of seconds or an HTTP date. Returns None when
    the header is missing or invalid, and 0.0 for a date in the past.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if math.isfinite(seconds) else None

    try:
        retry_at = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if retry_at.tzinfo is None:
        retry_at = retry_at.replace(tzinfo=UTC)
    reference = now or datetime.now(UTC)
    return max(0.0, (retry_at - reference).total_seconds())


def parse_timestamp(value: object) -> datetime:
    """Parse an ISO 8601 string or epoch milliseconds (number or digit string) into UTC.

    An ISO string without an offset is taken as UTC. Raises ValueError for anything
    else, including booleans.
    """
    if isinstance(value, bool):
        raise ValueError(f"timestamp must be a string or a number, got {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return datetime.fromtimestamp(float(text) / 1000, tz=UTC)
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    raise ValueError(f"timestamp must be a string or a number, got {type(value).__name__}")


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, with a line break around block elements."""

    _BLOCK_TAGS = frozenset(
        {"br", "p", "div", "li", "tr", "ul", "ol", "table", "blockquote", "pre", "hr"}
        | {"h1", "h2", "h3", "h4", "h5", "h6"}
    )
    _HIDDEN_TAGS = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN_TAGS:
            self._hidden_depth += 1
        elif tag in self._BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN_TAGS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in self._BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden_depth == 0:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Strip tags from an HTML fragment and unescape its entities.

    Block elements such as <p> and <br> become line breaks. Runs of other whitespace,
    including &nbsp;, become one space, and blank lines are dropped.
    """
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts)
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def parse_ticket(body: Mapping[str, Any]) -> Ticket:
    """Parse a ``GET /v1/tickets/...`` body (``{"ticket": {...}}``) into a Ticket.

    Comments come out sorted by `created_at`, oldest first. Tags may be names or
    objects with a `name`. `extra` contains the ticket's `created_at`, `updated_at` (UTC
    datetimes or None) and `source`. Raises ValueError naming the field that is
    missing or has the wrong type.
    """
    raw = body.get("ticket")
    if not isinstance(raw, dict):
        raise ValueError("`ticket` is missing or not an object")
    ticket_id = _optional_str(raw.get("id"), "ticket.id")
    if not ticket_id:
        raise ValueError("`ticket.id` is missing")

    via = _optional_dict(raw.get("via"), "ticket.via")
    customer = _optional_dict(raw.get("customer_profile"), "ticket.customer_profile")
    raw_comments = raw.get("comments") or []
    if not isinstance(raw_comments, list):
        raise ValueError("`ticket.comments` is not a list")
    comments = [_parse_comment(item, index) for index, item in enumerate(raw_comments)]
    comments.sort(key=lambda comment: comment.created_at)

    return Ticket(
        ticket_id=ticket_id,
        status=_optional_str(raw.get("status"), "ticket.status") or "",
        channel=_optional_str(via.get("channel"), "ticket.via.channel"),
        tags=_parse_tags(raw.get("tags")),
        assignee_id=_optional_str(raw.get("assignee_id"), "ticket.assignee_id"),
        comments=tuple(comments),
        customer_email=_optional_str(customer.get("email"), "customer_profile.email"),
        customer_phone=_optional_str(customer.get("phone"), "customer_profile.phone"),
        customer_first_name=_optional_str(
            customer.get("first_name"), "customer_profile.first_name"
        ),
        customer_last_name=_optional_str(customer.get("last_name"), "customer_profile.last_name"),
        conversation_no=_optional_int(raw.get("conversation_no"), "ticket.conversation_no"),
        subject=_optional_str(raw.get("subject"), "ticket.subject"),
        extra={
            "created_at": _optional_timestamp(raw.get("created_at"), "ticket.created_at"),
            "updated_at": _optional_timestamp(raw.get("updated_at"), "ticket.updated_at"),
            "source": _optional_str(via.get("source"), "ticket.via.source"),
        },
    )


def _parse_comment(raw: object, index: int) -> Comment:
    field = f"ticket.comments[{index}]"
    if not isinstance(raw, dict):
        raise ValueError(f"`{field}` is not an object")
    comment_id = _optional_str(raw.get("id"), f"{field}.id")
    if not comment_id:
        raise ValueError(f"`{field}.id` is missing")
    if raw.get("created_at") is None:
        raise ValueError(f"`{field}.created_at` is missing")

    via = _optional_dict(raw.get("via"), f"{field}.via")
    is_operator = via.get("isOperator")
    if is_operator is not None and not isinstance(is_operator, bool):
        raise ValueError(f"`{field}.via.isOperator` is not a boolean")

    plain_body = _optional_str(raw.get("plain_body"), f"{field}.plain_body")
    if not plain_body or not plain_body.strip():
        plain_body = html_to_text(_optional_str(raw.get("body"), f"{field}.body") or "")

    return Comment(
        comment_id=comment_id,
        author_id=_optional_str(raw.get("author_id"), f"{field}.author_id"),
        plain_body=plain_body,
        created_at=_timestamp(raw["created_at"], f"{field}.created_at"),
        is_operator=is_operator,
        channel=_optional_str(via.get("channel"), f"{field}.via.channel"),
    )


def _parse_tags(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("`ticket.tags` is not a list")
    names: list[str] = []
    for index, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str):
            raise ValueError(f"`ticket.tags[{index}]` is neither a name nor an object with a name")
        names.append(name)
    return tuple(names)


def _optional_str(value: object, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"`{field}` is not a string")


def _optional_int(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValueError(f"`{field}` is not an integer")


def _optional_dict(value: object, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise ValueError(f"`{field}` is not an object")


def _timestamp(value: object, field: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise ValueError(f"`{field}` is not an ISO 8601 time or epoch milliseconds") from exc


def _optional_timestamp(value: object, field: str) -> datetime | None:
    return None if value is None else _timestamp(value, field)
