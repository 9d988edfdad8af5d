"""An in-memory Richpanel API emulator, served as a Starlette app.

It reproduces the behaviour that the middleware must cope with, observed quirks included:

- A ticket id must arrive percent-encoded as one path segment, exactly as
  ``urllib.parse.quote(id, safe="")`` encodes it. A write with an id encoded any other
  way gets 200 and changes nothing, and a read gets 404. The check runs on the raw
  request path, because the decoded path has lost the difference.
- ``PUT /v1/tickets/{id}`` ignores a body that is not wrapped in ``{"ticket": ...}``,
  rejects a status other than ``OPEN`` or ``CLOSED`` with 400, and adds a `comment` as
  an internal note whose `via` has no `isOperator`.
- 50 requests per 30 seconds per key by default, then 429 with Retry-After.

The admin API under ``/_sandbox/`` needs no key and has no rate limit. It creates
conversations, fires the webhook that a Richpanel automation rule would send, injects
faults, and exposes the journal of writes and the log of requests.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import math
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from richpanel_middleware.sandbox.state import (
    CommentKind,
    JsonObject,
    RichpanelSandboxSettings,
    RichpanelSandboxState,
    TicketExists,
    TicketNotFound,
    config_as_dict,
)

API_KEY_HEADER: Final = "x-richpanel-key"
WEBHOOK_TOKEN_HEADER: Final = "x-richpanel-webhook-token"
WEBHOOK_TIMEOUT_S: Final = 5.0
# Retry-After sent during a rate-limit storm, and with injected 429 faults that set none.
FAULT_RETRY_AFTER_S: Final = 1
DEFAULT_PER_PAGE: Final = 25
MAX_PER_PAGE: Final = 100
TICKET_STATUSES: Final = frozenset({"OPEN", "CLOSED"})
CUSTOMER_FIELDS: Final = ("email", "phone", "first_name", "last_name")
MESSAGE_AUTHORS: Final = {
    "customer": CommentKind.CUSTOMER,
    "agent": CommentKind.AGENT,
    "bot": CommentKind.BOT,
}
NOT_ENCODED_REASON: Final = "ticket id is not percent-encoded as one path segment"
WRITE_METHODS: Final = frozenset({"PUT", "POST", "PATCH", "DELETE"})


def create_richpanel_sandbox(
    settings: RichpanelSandboxSettings,
) -> tuple[Starlette, RichpanelSandboxState]:
    """Build the sandbox app and return it with its state, which tests may inspect."""
    state = RichpanelSandboxState(settings)
    api = _RichpanelApi(state)
    admin = _SandboxAdmin(state)
    routes = [
        Route("/v1/{rest:path}", api.handle, methods=["GET", "PUT", "POST", "PATCH", "DELETE"]),
        Route("/_sandbox/health", admin.health, methods=["GET"]),
        Route("/_sandbox/journal", admin.journal, methods=["GET"]),
        Route("/_sandbox/requests", admin.requests, methods=["GET"]),
        Route("/_sandbox/config", admin.config, methods=["GET", "POST"]),
        Route("/_sandbox/faults", admin.faults, methods=["POST"]),
        Route("/_sandbox/reset", admin.reset, methods=["POST"]),
        Route("/_sandbox/orders", admin.seed_order, methods=["POST"]),
        Route("/_sandbox/conversations", admin.create_conversation, methods=["POST"]),
        Route("/_sandbox/conversations/{rest:path}", admin.conversation, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes), state


class _HttpError(Exception):
    """Ends a request with `status` and the body ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(slots=True)
class _Result:
    """Response of an API handler, with what the journal records about a write."""

    payload: JsonObject
    status: int = 200
    applied: bool = False
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _ApiRoute:
    """A matched API path: its endpoint template, handler kind and raw path arguments."""

    endpoint: str
    kind: str
    args: tuple[str, ...] = ()
    has_ticket_id: bool = False


@dataclass(slots=True)
class _RequestContext:
    method: str
    raw_path: str
    route: _ApiRoute | None
    ticket_id: str | None
    body: object = None
    raw_body: bytes = b""
    extra_headers: dict[str, str] = field(default_factory=dict)


# API routes: which handler serves a kind of path, per method.
_API_HANDLERS: Final = {
    ("ticket", "GET"): "get_ticket",
    ("ticket", "PUT"): "update_ticket",
    ("ticket_by_number", "GET"): "get_ticket_by_number",
    ("ticket_by_number", "PUT"): "write_by_number",
    ("ticket_by_number_action", "PUT"): "write_by_number",
    ("add_tags", "PUT"): "add_tags",
    ("remove_tags", "PUT"): "remove_tags",
    ("send_message", "PUT"): "send_message",
    ("linked_order", "GET"): "get_linked_order",
    ("order", "GET"): "get_order",
    ("users", "GET"): "list_users",
    ("teams", "GET"): "list_teams",
    ("tags", "GET"): "list_tags",
    ("tags", "POST"): "create_tag",
}


def _match_api_route(segments: list[str]) -> _ApiRoute | None:
    """Match the raw path segments after the leading slash to an API route."""
    match segments:
        case ["v1", "tickets", "number", number]:
            return _ApiRoute("/v1/tickets/number/{number}", "ticket_by_number", (number,))
        case ["v1", "tickets", "number", number, action]:
            return _ApiRoute(
                f"/v1/tickets/number/{{number}}/{action}", "ticket_by_number_action", (number,)
            )
        case ["v1", "tickets", raw_id]:
            return _ApiRoute("/v1/tickets/{id}", "ticket", (raw_id,), has_ticket_id=True)
        case ["v1", "tickets", raw_id, "add-tags" | "remove-tags" | "send-message" as action]:
            kind = action.replace("-", "_")
            return _ApiRoute(f"/v1/tickets/{{id}}/{action}", kind, (raw_id,), has_ticket_id=True)
        case ["v1", "order", raw_id]:
            return _ApiRoute("/v1/order/{id}", "linked_order", (raw_id,), has_ticket_id=True)
        case ["v1", "order", app_client_id, order_id]:
            return _ApiRoute(
                "/v1/order/{app_client_id}/{order_id}", "order", (app_client_id, order_id)
            )
        case ["v1", "users" | "teams" | "tags" as collection]:
            return _ApiRoute(f"/v1/{collection}", collection)
    return None


def _raw_path(request: Request) -> str:
    """Return the request path as it arrived, before the server decoded it."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return quote(str(request.scope["path"]))


def _decode_segment(raw_segment: str) -> tuple[str, bool]:
    """Return the decoded segment and whether it was encoded exactly as `quote(safe="")` does.

    Dot-only segments are the exception: they must arrive as ``%2E`` escapes.
    """
    decoded = unquote(raw_segment)
    expected = quote(decoded, safe="")
    if expected in (".", ".."):
        expected = expected.replace(".", "%2E")
    return decoded, expected == raw_segment


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _parse_json(raw_body: bytes) -> object:
    """Parse a request body. Raises _HttpError 400 for an empty or invalid body."""
    if not raw_body.strip():
        raise _HttpError(400, "request body is empty, expected a JSON object")
    try:
        return json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _HttpError(400, f"request body is not valid JSON: {exc}") from exc


def _json_object(raw_body: bytes) -> JsonObject:
    body = _parse_json(raw_body)
    if not isinstance(body, dict):
        raise _HttpError(400, "request body must be a JSON object")
    return body


def _journal_body(raw_body: bytes) -> object:
    """Return the body as the journal stores it: parsed JSON, else text, else None."""
    if not raw_body:
        return None
    try:
        return json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw_body.decode("utf-8", errors="replace")


def _paginate(request: Request, key: str, items: list[JsonObject]) -> JsonObject:
    """Cut one page out of `items`. Raises _HttpError 400 for an invalid page or per_page."""
    page = _query_int(request, "page", default=1)
    per_page = _query_int(request, "per_page", default=DEFAULT_PER_PAGE)
    if page < 1:
        raise _HttpError(400, f"page must be at least 1, got {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise _HttpError(400, f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")

    start = (page - 1) * per_page
    has_next = start + per_page < len(items)
    return {
        key: items[start : start + per_page],
        "count": len(items),
        "page": page,
        "per_page": per_page,
        "next_page": page + 1 if has_next else None,
        "previous_page": page - 1 if page > 1 else None,
    }


def _query_int(request: Request, name: str, *, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise _HttpError(400, f"{name} must be an integer, got {value!r}") from exc


class _RichpanelApi:
    """The ``/v1/`` endpoints, with auth, rate limiting and injected faults in front."""

    def __init__(self, state: RichpanelSandboxState) -> None:
        self._state = state

    async def handle(self, request: Request) -> Response:
        raw_path = _raw_path(request)
        route = _match_api_route(raw_path.split("?", 1)[0].split("/")[1:])
        ticket_id = None
        if route is not None and route.has_ticket_id:
            ticket_id = _decode_segment(route.args[0])[0]
        context = _RequestContext(request.method, raw_path, route, ticket_id)
        if request.method in WRITE_METHODS:
            context.raw_body = await request.body()
            context.body = _journal_body(context.raw_body)

        result = await self._respond(request, context)
        response = JSONResponse(result.payload, status_code=result.status)
        response.headers.update(context.extra_headers)
        response.headers.update(self._rate_headers())

        endpoint = route.endpoint if route is not None else None
        if request.method in WRITE_METHODS:
            self._state.record_write(
                method=request.method,
                endpoint=endpoint or "unknown",
                ticket_id=ticket_id,
                body=context.body,
                applied=result.applied,
                status=result.status,
                reason=result.reason,
            )
        self._state.record_request(
            method=request.method, raw_path=raw_path, endpoint=endpoint, status=result.status
        )
        return response

    async def _respond(self, request: Request, context: _RequestContext) -> _Result:
        try:
            return await self._respond_or_raise(request, context)
        except _HttpError as exc:
            context.extra_headers.update(exc.headers)
            return _Result({"error": exc.message}, status=exc.status, reason=exc.message)

    async def _respond_or_raise(self, request: Request, context: _RequestContext) -> _Result:
        latency_s = self._state.latency_s()
        if latency_s > 0:
            await asyncio.sleep(latency_s)

        key = request.headers.get(API_KEY_HEADER, "")
        if not hmac.compare_digest(key.encode(), self._state.settings.api_key.encode()):
            raise _HttpError(401, "invalid or missing API key in the x-richpanel-key header")

        if self._state.storm_active():
            storm_headers = {"Retry-After": str(FAULT_RETRY_AFTER_S)}
            raise _HttpError(429, "rate limit exceeded (injected storm)", storm_headers)
        decision = self._state.admit_request()
        if not decision.allowed:
            raise _HttpError(
                429, "rate limit exceeded", {"Retry-After": str(decision.retry_after_s)}
            )
        failure = self._state.take_failure(str(request.scope["path"]))
        if failure is not None:
            retry_after_s = failure.retry_after_s
            if retry_after_s is None and failure.status == 429:
                retry_after_s = FAULT_RETRY_AFTER_S
            headers = None if retry_after_s is None else {"Retry-After": str(retry_after_s)}
            raise _HttpError(failure.status, "injected fault", headers)

        route = context.route
        if route is None:
            raise _HttpError(404, "no API endpoint at this path")
        handler_name = _API_HANDLERS.get((route.kind, request.method))
        if handler_name is None:
            raise _HttpError(405, f"{request.method} is not allowed on {route.endpoint}")

        if route.has_ticket_id and request.method in WRITE_METHODS:
            if not _decode_segment(route.args[0])[1]:
                # Observed on the real API: the write is acknowledged and not applied.
                return _Result({}, reason=NOT_ENCODED_REASON)
            if self._state.take_ignore(str(request.scope["path"])):
                return _Result({}, reason="write ignored by an injected fault")

        handler = getattr(self, f"_{handler_name}")
        result: _Result = await handler(request, context)
        return result

    def _rate_headers(self) -> dict[str, str]:
        limit, remaining = self._state.rate_limit_status()
        if limit is None:
            return {}
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}

    def _existing_ticket_id(self, context: _RequestContext) -> str:
        """Return the decoded ticket id. Raises 404 if it is wrongly encoded or unknown."""
        assert context.route is not None
        ticket_id, encoded_ok = _decode_segment(context.route.args[0])
        if not encoded_ok or not self._state.has_ticket(ticket_id):
            raise _HttpError(404, "ticket not found")
        return ticket_id

    # Tickets

    async def _get_ticket(self, request: Request, context: _RequestContext) -> _Result:
        ticket_id = self._existing_ticket_id(context)
        return _Result({"ticket": self._state.ticket_wire(ticket_id)})

    async def _get_ticket_by_number(self, request: Request, context: _RequestContext) -> _Result:
        assert context.route is not None
        raw_number = context.route.args[0]
        if not raw_number.isdigit():
            raise _HttpError(404, "ticket not found")
        try:
            return _Result({"ticket": self._state.ticket_wire_by_number(int(raw_number))})
        except TicketNotFound as exc:
            raise _HttpError(404, "ticket not found") from exc

    async def _write_by_number(self, request: Request, context: _RequestContext) -> _Result:
        # Observed on the real API: only reads accept a conversation number.
        raise _HttpError(404, "writes by conversation number are not supported. Use the ticket id.")

    async def _update_ticket(self, request: Request, context: _RequestContext) -> _Result:
        body = _json_object(context.raw_body)
        ticket_id = self._existing_ticket_id(context)
        fields = body.get("ticket")
        if fields is None:
            # Observed on the real API: an unwrapped body is acknowledged and ignored.
            unwrapped = 'body is not wrapped in {"ticket": ...}'
            return _Result({"ticket": self._state.ticket_wire(ticket_id)}, reason=unwrapped)
        if not isinstance(fields, dict):
            raise _HttpError(400, "ticket must be an object")

        status = fields.get("status")
        if status is not None and status not in TICKET_STATUSES:
            raise _HttpError(400, f"invalid status {status!r}, expected OPEN or CLOSED")
        note_html = None
        if "comment" in fields:
            comment = fields["comment"]
            if not isinstance(comment, dict) or not _non_empty_str(comment.get("body")):
                raise _HttpError(400, "comment must be an object with a non-empty body")
            note_html = str(comment["body"])
        assignee_id = fields.get("assignee_id")
        if assignee_id is not None and not isinstance(assignee_id, str):
            raise _HttpError(400, "assignee_id must be a string or null")

        changed = self._state.update_ticket(
            ticket_id,
            status=status,
            note_html=note_html,
            set_assignee="assignee_id" in fields,
            assignee_id=assignee_id,
        )
        reason = None if changed else "no field changed the ticket"
        wire = self._state.ticket_wire(ticket_id)
        return _Result({"ticket": wire}, applied=changed, reason=reason)

    async def _add_tags(self, request: Request, context: _RequestContext) -> _Result:
        return self._change_tags(context, add=True)

    async def _remove_tags(self, request: Request, context: _RequestContext) -> _Result:
        return self._change_tags(context, add=False)

    def _change_tags(self, context: _RequestContext, *, add: bool) -> _Result:
        body = _json_object(context.raw_body)
        names = body.get("tags")
        if not isinstance(names, list) or not names:
            raise _HttpError(400, "tags must be a non-empty list of tag names")
        if not all(_non_empty_str(name) for name in names):
            raise _HttpError(400, "every tag name must be a non-empty string")
        ticket_id = self._existing_ticket_id(context)

        change = self._state.add_tags if add else self._state.remove_tags
        changed = change(ticket_id, names)
        reason = None if changed else "the ticket already had these tags"
        if not add and not changed:
            reason = "the ticket had none of these tags"
        wire = self._state.ticket_wire(ticket_id)
        return _Result({"ticket": wire}, applied=changed, reason=reason)

    async def _send_message(self, request: Request, context: _RequestContext) -> _Result:
        body = _json_object(context.raw_body)
        missing = [name for name in ("author_id", "body") if not _non_empty_str(body.get(name))]
        if missing:
            raise _HttpError(400, f"missing or empty fields: {', '.join(missing)}")
        author_id = str(body["author_id"])
        # NOTE: rejecting unknown authors is a sandbox choice to catch a misconfigured
        # bot author id; how the real API treats them has not been observed.
        if not self._state.user_exists(author_id):
            raise _HttpError(400, "author_id is not a known user. List users with GET /v1/users.")
        ticket_id = self._existing_ticket_id(context)

        comment_id = self._state.send_message(
            ticket_id, author_id=author_id, body_html=str(body["body"])
        )
        return _Result({"status": "sent", "comment_id": comment_id}, applied=True)

    # Orders

    async def _get_linked_order(self, request: Request, context: _RequestContext) -> _Result:
        assert context.route is not None
        conversation_id, encoded_ok = _decode_segment(context.route.args[0])
        if not encoded_ok:
            raise _HttpError(404, "conversation not found")
        return _Result(self._state.linked_order(conversation_id))

    async def _get_order(self, request: Request, context: _RequestContext) -> _Result:
        assert context.route is not None
        app_client_id, order_id = (unquote(arg) for arg in context.route.args)
        order = self._state.order(app_client_id, order_id)
        if order is None:
            raise _HttpError(404, "order not found")
        return _Result(order)

    # Directory

    async def _list_users(self, request: Request, context: _RequestContext) -> _Result:
        return _Result(_paginate(request, "user", self._state.users()))

    async def _list_teams(self, request: Request, context: _RequestContext) -> _Result:
        return _Result(_paginate(request, "team", self._state.teams()))

    async def _list_tags(self, request: Request, context: _RequestContext) -> _Result:
        return _Result(_paginate(request, "tag", self._state.tags()))

    async def _create_tag(self, request: Request, context: _RequestContext) -> _Result:
        body = _json_object(context.raw_body)
        name = body.get("name")
        if not _non_empty_str(name):
            raise _HttpError(400, "name must be a non-empty string")
        tag = self._state.create_tag(str(name))
        if tag is None:
            raise _HttpError(409, "a tag with this name already exists")
        return _Result({"tag": tag}, status=201, applied=True)


class _SandboxAdmin:
    """The ``/_sandbox/`` endpoints that tests and demos use to drive the emulator."""

    def __init__(self, state: RichpanelSandboxState) -> None:
        self._state = state

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "tickets": self._state.ticket_count()})

    async def journal(self, request: Request) -> Response:
        return JSONResponse({"journal": self._state.journal()})

    async def requests(self, request: Request) -> Response:
        return JSONResponse({"requests": self._state.requests()})

    async def reset(self, request: Request) -> Response:
        self._state.reset()
        return JSONResponse({"status": "reset"})

    async def config(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(config_as_dict(self._state.config()))
        try:
            changes = _validated_config(_json_object(await request.body()))
        except _HttpError as exc:
            return _error(exc.status, exc.message)
        return JSONResponse(config_as_dict(self._state.update_config(changes)))

    async def faults(self, request: Request) -> Response:
        try:
            body = _json_object(await request.body())
            self._apply_faults(body)
        except _HttpError as exc:
            return _error(exc.status, exc.message)
        return JSONResponse({"status": "ok"})

    def _apply_faults(self, body: JsonObject) -> None:
        known = {"rate_limit_storm_s", "fail_next", "ignore_next_writes", "latency_ms"}
        unknown = set(body) - known
        if unknown:
            raise _HttpError(400, f"unknown fault keys: {', '.join(sorted(unknown))}")

        if "rate_limit_storm_s" in body:
            self._state.start_rate_limit_storm(_number(body, "rate_limit_storm_s", minimum=0))
        if "latency_ms" in body:
            self._state.set_latency(_number(body, "latency_ms", minimum=0) / 1000)
        if "fail_next" in body:
            rule = body["fail_next"]
            if not isinstance(rule, dict):
                raise _HttpError(400, "fail_next must be an object")
            status = rule.get("status", 500)
            if not isinstance(status, int) or not 400 <= status <= 599:
                raise _HttpError(400, "fail_next.status must be an integer from 400 to 599")
            retry_after_s = rule.get("retry_after_s")
            if retry_after_s is not None and (
                isinstance(retry_after_s, bool)
                or not isinstance(retry_after_s, int)
                or retry_after_s < 0
            ):
                raise _HttpError(400, "fail_next.retry_after_s must be a whole number of seconds")
            self._state.add_failure_rule(
                path_contains=_rule_path(rule, "fail_next"),
                status=status,
                count=_rule_count(rule, "fail_next"),
                retry_after_s=retry_after_s,
            )
        if "ignore_next_writes" in body:
            rule = body["ignore_next_writes"]
            if not isinstance(rule, dict):
                raise _HttpError(400, "ignore_next_writes must be an object")
            self._state.add_ignore_rule(
                path_contains=_rule_path(rule, "ignore_next_writes"),
                count=_rule_count(rule, "ignore_next_writes"),
            )

    async def seed_order(self, request: Request) -> Response:
        try:
            body = _json_object(await request.body())
            app_client_id = _required_str(body, "app_client_id")
            order_id = _required_str(body, "order_id")
            order = body.get("order", {})
            if not isinstance(order, dict):
                raise _HttpError(400, "order must be an object")
            conversation_id = body.get("conversation_id")
            if conversation_id is not None and not isinstance(conversation_id, str):
                raise _HttpError(400, "conversation_id must be a string")
        except _HttpError as exc:
            return _error(exc.status, exc.message)

        self._state.seed_order(
            app_client_id=app_client_id,
            order_id=order_id,
            order=order,
            conversation_id=conversation_id,
        )
        return JSONResponse({"status": "seeded"}, status_code=201)

    async def create_conversation(self, request: Request) -> Response:
        try:
            body = _json_object(await request.body())
            ticket_id = body.get("ticket_id")
            if ticket_id is not None and not _non_empty_str(ticket_id):
                raise _HttpError(400, "ticket_id must be a non-empty string")
            channel = body.get("channel", "email")
            if not _non_empty_str(channel):
                raise _HttpError(400, "channel must be a non-empty string")
            subject = body.get("subject")
            if subject is not None and not isinstance(subject, str):
                raise _HttpError(400, "subject must be a string")
            customer = _customer(body.get("customer"))
            body_html, plain_body = _message_bodies(body)
            fire = self._fire_flag(body)
        except _HttpError as exc:
            return _error(exc.status, exc.message)

        try:
            wire, message_id = self._state.create_conversation(
                ticket_id=ticket_id,
                channel=str(channel),
                subject=subject,
                customer=customer,
                body_html=body_html,
                plain_body=plain_body,
            )
        except TicketExists:
            return _error(409, "a conversation with this ticket_id already exists")

        result: JsonObject = {
            "ticket_id": wire["id"],
            "message_id": message_id,
            "conversation_no": wire["conversation_no"],
            "webhook_status": None,
            "webhook_error": None,
        }
        if fire:
            status, error = await self._fire_webhook(wire["id"], message_id, str(channel))
            result.update(webhook_status=status, webhook_error=error)
        return JSONResponse(result, status_code=201)

    async def conversation(self, request: Request) -> Response:
        # Route on the raw path, so that an id containing an encoded "/" stays one segment.
        raw_segments = _raw_path(request).split("?", 1)[0].split("/")[3:]
        match raw_segments, request.method:
            case [raw_id], "GET":
                return self._summary(unquote(raw_id))
            case [raw_id, "messages"], "POST":
                return await self._append_message(request, unquote(raw_id))
            case [raw_id, "fire-webhook"], "POST":
                return await self._fire_for_newest(unquote(raw_id))
        return _error(404, "no sandbox endpoint at this path and method")

    def _summary(self, ticket_id: str) -> Response:
        try:
            return JSONResponse(self._state.summary(ticket_id))
        except TicketNotFound:
            return _error(404, "conversation not found")

    async def _append_message(self, request: Request, ticket_id: str) -> Response:
        try:
            body = _json_object(await request.body())
            author_name = body.get("author", "customer")
            author = MESSAGE_AUTHORS.get(author_name) if isinstance(author_name, str) else None
            if author is None:
                raise _HttpError(400, "author must be one of: customer, agent, bot")
            body_html, plain_body = _message_bodies(body)
            fire = self._fire_flag(body)
            message_id = self._state.append_message(
                ticket_id, author=author, body_html=body_html, plain_body=plain_body
            )
        except _HttpError as exc:
            return _error(exc.status, exc.message)
        except TicketNotFound:
            return _error(404, "conversation not found")

        result: JsonObject = {
            "message_id": message_id,
            "webhook_status": None,
            "webhook_error": None,
        }
        if fire:
            # A rule that fires on agent or bot messages is a tenant misconfiguration,
            # and this lets tests check that the middleware ignores such events.
            channel = str(self._state.ticket_wire(ticket_id)["via"]["channel"])
            status, error = await self._fire_webhook(ticket_id, message_id, channel)
            result.update(webhook_status=status, webhook_error=error)
        return JSONResponse(result, status_code=201)

    async def _fire_for_newest(self, ticket_id: str) -> Response:
        try:
            newest = self._state.newest_customer_comment(ticket_id)
        except TicketNotFound:
            return _error(404, "conversation not found")
        if newest is None:
            return _error(409, "the conversation has no customer message to fire a webhook for")
        if self._state.config().webhook_url is None:
            return _error(400, "no webhook_url is configured. Set it with POST /_sandbox/config.")

        message_id, channel = newest
        status, error = await self._fire_webhook(ticket_id, message_id, channel)
        return JSONResponse(
            {"message_id": message_id, "webhook_status": status, "webhook_error": error}
        )

    def _fire_flag(self, body: JsonObject) -> bool:
        fire = body.get("fire_webhook", False)
        if not isinstance(fire, bool):
            raise _HttpError(400, "fire_webhook must be a boolean")
        if fire and self._state.config().webhook_url is None:
            raise _HttpError(
                400,
                "fire_webhook is true but no webhook_url is configured. "
                "Set it with POST /_sandbox/config.",
            )
        return fire

    async def _fire_webhook(
        self, ticket_id: str, message_id: str, channel: str
    ) -> tuple[int | None, str | None]:
        """POST the event that a Richpanel automation rule's HTTP Target would send.

        Returns the receiver's status code, or None and the error when delivery failed.
        Like Richpanel, the sandbox does not retry a failed delivery.
        """
        config = self._state.config()
        url = config.webhook_url
        if url is None:
            return None, "no webhook_url is configured"
        headers = {}
        if config.webhook_token is not None:
            headers[WEBHOOK_TOKEN_HEADER] = config.webhook_token
        payload = {
            "ticket_id": ticket_id,
            "event_type": "customer_message",
            "message_id": message_id,
            "channel": channel,
        }

        status: int | None = None
        error: str | None = None
        try:
            async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S) as client:
                response = await client.post(url, json=payload, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self._state.record_webhook(
            ticket_id=ticket_id, message_id=message_id, url=url, status=status, error=error
        )
        return status, error


def _validated_config(body: JsonObject) -> JsonObject:
    """Check a `POST /_sandbox/config` body and return the changes to apply."""
    changes: JsonObject = {}
    for name, value in body.items():
        if name == "rate_limit_enabled":
            if not isinstance(value, bool):
                raise _HttpError(400, "rate_limit_enabled must be a boolean")
        elif name == "rate_limit_requests":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _HttpError(400, "rate_limit_requests must be an integer of at least 1")
        elif name == "rate_limit_window_s":
            value = _number(body, name, minimum=0)
            if value == 0:
                raise _HttpError(400, "rate_limit_window_s must be positive")
        elif name in ("webhook_url", "webhook_token"):
            if value is not None and not _non_empty_str(value):
                raise _HttpError(400, f"{name} must be a non-empty string or null")
        else:
            raise _HttpError(400, f"unknown config key {name!r}")
        changes[name] = value
    return changes


def _customer(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _HttpError(400, "customer must be an object")
    customer: dict[str, str] = {}
    for name in CUSTOMER_FIELDS:
        field_value = value.get(name)
        if field_value is None:
            continue
        if not isinstance(field_value, str):
            raise _HttpError(400, f"customer.{name} must be a string")
        customer[name] = field_value
    return customer


def _message_bodies(body: JsonObject) -> tuple[str, str | None]:
    """Return (HTML body, plain_body) for an admin message.

    `text` becomes escaped HTML with the text as plain_body. `html` is stored as given
    without a plain_body, like comments that reach Richpanel with HTML only.
    """
    text = body.get("text")
    html_body = body.get("html")
    if html_body is not None:
        if not _non_empty_str(html_body):
            raise _HttpError(400, "html must be a non-empty string")
        return str(html_body), None
    if not _non_empty_str(text):
        raise _HttpError(400, "text (or html) must be a non-empty string")
    escaped = html.escape(str(text)).replace("\n", "<br>")
    return f"<p>{escaped}</p>", str(text)


def _rule_path(rule: JsonObject, name: str) -> str:
    path_contains = rule.get("path_contains", "")
    if not isinstance(path_contains, str):
        raise _HttpError(400, f"{name}.path_contains must be a string")
    return path_contains


def _rule_count(rule: JsonObject, name: str) -> int:
    count = rule.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise _HttpError(400, f"{name}.count must be an integer of at least 1")
    return count


def _number(body: JsonObject, name: str, *, minimum: float) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _HttpError(400, f"{name} must be a number")
    if value < minimum:
        raise _HttpError(400, f"{name} must be at least {minimum}")
    return float(value)


def _required_str(body: JsonObject, name: str) -> str:
    value = body.get(name)
    if not _non_empty_str(value):
        raise _HttpError(400, f"{name} must be a non-empty string")
    return str(value)


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
