"""An in-memory Shopify Admin GraphQL emulator, served as a Starlette app.

``POST /admin/api/{version}/graphql.json`` runs each request through graphql-core against
an SDL schema of the subset the middleware uses, so a query with an unknown field or
argument gets HTTP 200 with `errors`, as on Shopify. Behaviour the client must cope with:

- A missing or wrong ``X-Shopify-Access-Token`` gets 401 with Shopify's JSON body.
- An unsupported version is served as the oldest supported one, and every response names
  the version served in ``X-Shopify-API-Version``.
- Every query costs points from a leaky bucket (see `query_cost`). A query that costs more
  than the bucket contains gets HTTP 200 with a THROTTLED error, and every response carries
  `extensions.cost`.
- Orders created more than 60 days before the sandbox clock are invisible unless
  `read_all_orders` is on.

The admin API under ``/_sandbox/shopify/`` needs no token. It seeds orders, changes the
config, injects faults and lists the GraphQL requests received.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hmac
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from richpanel_middleware.orders.model import normalize_order_number
from richpanel_middleware.sandbox.seed_orders import (
    FINANCIAL_STATUSES,
    FULFILLMENT_DISPLAY_STATUSES,
    ORDER_FULFILLMENT_STATUSES,
    SeedOrder,
)
from richpanel_middleware.sandbox.shopify_state import (
    API_VERSION_PATTERN,
    MAX_SINGLE_QUERY_COST,
    JsonObject,
    ShopifySandboxSettings,
    ShopifySandboxState,
    StoredOrder,
    ThrottleStatus,
)

ACCESS_TOKEN_HEADER: Final = "X-Shopify-Access-Token"
API_VERSION_HEADER: Final = "X-Shopify-API-Version"
# Shopify's body for a missing or unknown access token.
INVALID_TOKEN_BODY: Final = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
# Shopify's maximum page size for connections.
MAX_PAGE_SIZE: Final = 250
# The sandbox serves sortKey values that it can order seeded orders by.
SORT_KEYS: Final = ("CREATED_AT", "ID", "PROCESSED_AT")

_SCHEMA_TEMPLATE: Final = """
scalar DateTime
scalar URL

enum OrderSortKeys { %(sort_keys)s }
enum OrderDisplayFinancialStatus { %(financial)s }
enum OrderDisplayFulfillmentStatus { %(order_fulfillment)s }
enum FulfillmentStatus { CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }
enum FulfillmentDisplayStatus { %(fulfillment_display)s }

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type FulfillmentTrackingInfo {
  company: String
  number: String
  url: URL
}

type Fulfillment {
  status: FulfillmentStatus!
  displayStatus: FulfillmentDisplayStatus
  createdAt: DateTime!
  deliveredAt: DateTime
  estimatedDeliveryAt: DateTime
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
}

type ShippingLine { title: String! }
type ShippingLineEdge { cursor: String! node: ShippingLine! }
type ShippingLineConnection {
  edges: [ShippingLineEdge!]!
  nodes: [ShippingLine!]!
  pageInfo: PageInfo!
}

type Order {
  id: ID!
  name: String!
  email: String
  phone: String
  createdAt: DateTime!
  cancelledAt: DateTime
  displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  statusPageUrl: URL!
  tags: [String!]!
  shippingLines(first: Int, reverse: Boolean = false): ShippingLineConnection!
  fulfillments(first: Int): [Fulfillment!]!
}

type OrderEdge { cursor: String! node: Order! }
type OrderConnection {
  edges: [OrderEdge!]!
  nodes: [Order!]!
  pageInfo: PageInfo!
}

type QueryRoot {
  order(id: ID!): Order
  orders(
    first: Int
    query: String
    reverse: Boolean = false
    sortKey: OrderSortKeys = PROCESSED_AT
  ): OrderConnection!
}

schema { query: QueryRoot }
"""

# One search term: `field:value`, where the value is bare or quoted with ' or ".
_SEARCH_TERM: Final = re.compile(
    r"\s*(?P<field>[A-Za-z_]+):"
    r"""(?:"(?P<double>(?:[^"\\]|\\.)*)"|'(?P<single>(?:[^'\\]|\\.)*)'|(?P<bare>\S+))\s*"""
)


def create_shopify_sandbox(
    settings: ShopifySandboxSettings,
) -> tuple[Starlette, ShopifySandboxState]:
    """Build the sandbox app and return it with its state, which tests may inspect."""
    state = ShopifySandboxState(settings)
    api = _GraphqlApi(state)
    admin = _SandboxAdmin(state)
    routes = [
        Route("/admin/api/{version}/graphql.json", api.handle, methods=["POST"]),
        Route("/_sandbox/shopify/health", admin.health, methods=["GET"]),
        Route("/_sandbox/shopify/orders", admin.seed_order, methods=["POST"]),
        Route("/_sandbox/shopify/config", admin.config, methods=["GET", "POST"]),
        Route("/_sandbox/shopify/faults", admin.faults, methods=["POST"]),
        Route("/_sandbox/shopify/reset", admin.reset, methods=["POST"]),
        Route("/_sandbox/shopify/requests", admin.requests, methods=["GET"]),
    ]
    return Starlette(routes=routes), state


# Schema and resolvers


@functools.cache
def shopify_schema() -> GraphQLSchema:
    """Build the schema once. Enum values come from the seed model's allowed statuses."""
    sdl = _SCHEMA_TEMPLATE % {
        "sort_keys": " ".join(SORT_KEYS),
        "financial": _enum_body(FINANCIAL_STATUSES),
        "order_fulfillment": _enum_body(ORDER_FULFILLMENT_STATUSES),
        "fulfillment_display": _enum_body(FULFILLMENT_DISPLAY_STATUSES),
    }
    schema = build_schema(sdl)
    resolvers = {
        ("QueryRoot", "orders"): _resolve_orders,
        ("QueryRoot", "order"): _resolve_order,
        ("Order", "shippingLines"): _resolve_shipping_lines,
        ("Order", "fulfillments"): _resolve_fulfillments,
        ("Fulfillment", "trackingInfo"): _resolve_tracking,
    }
    for (type_name, field_name), resolver in resolvers.items():
        object_type = schema.type_map[type_name]
        assert isinstance(object_type, GraphQLObjectType)
        object_type.fields[field_name].resolve = resolver
    return schema


def _enum_body(values: frozenset[str]) -> str:
    return " ".join(sorted(value.upper() for value in values))


@dataclass(frozen=True, slots=True)
class _ResolveContext:
    state: ShopifySandboxState


def _resolve_orders(
    _root: object,
    info: GraphQLResolveInfo[_ResolveContext],
    *,
    first: int | None = None,
    query: str | None = None,
    reverse: bool = False,
    sortKey: str = "PROCESSED_AT",  # graphql-core passes arguments under their GraphQL names
) -> JsonObject:
    page_size = _page_size(first, "orders")
    orders = [order for order in info.context.state.visible_orders() if _matches(order, query)]
    if sortKey == "ID":
        orders.sort(key=lambda order: order.order_id)
    else:
        # CREATED_AT and PROCESSED_AT: seeded orders are processed when they are created.
        orders.sort(key=lambda order: (order.created_at, order.order_id))
    if reverse:
        orders.reverse()
    return _connection([order.node for order in orders], page_size, "Order")


def _resolve_order(
    _root: object, info: GraphQLResolveInfo[_ResolveContext], *, id: str
) -> JsonObject | None:
    for order in info.context.state.visible_orders():
        if order.node["id"] == id:
            return order.node
    return None


def _resolve_shipping_lines(
    order: JsonObject,
    _info: GraphQLResolveInfo[_ResolveContext],
    *,
    first: int | None = None,
    reverse: bool = False,
) -> JsonObject:
    page_size = _page_size(first, "shippingLines")
    lines = list(order["shippingLines"]["nodes"])
    if reverse:
        lines.reverse()
    return _connection(lines, page_size, "ShippingLine")


def _resolve_fulfillments(
    order: JsonObject, _info: GraphQLResolveInfo[_ResolveContext], *, first: int | None = None
) -> list[JsonObject]:
    fulfillments: list[JsonObject] = order["fulfillments"]
    return fulfillments if first is None else fulfillments[: _page_size(first, "fulfillments")]


def _resolve_tracking(
    fulfillment: JsonObject, _info: GraphQLResolveInfo[_ResolveContext], *, first: int | None = None
) -> list[JsonObject]:
    tracking: list[JsonObject] = fulfillment["trackingInfo"]
    return tracking if first is None else tracking[: _page_size(first, "trackingInfo")]


def _page_size(first: int | None, field: str) -> int:
    """Check `first` as Shopify does. Raises GraphQLError, which becomes an `errors` entry."""
    if first is None:
        raise GraphQLError(f"{field}: you must provide one of first or last")
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(f"{field}: first must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    return first


def _connection(items: Sequence[JsonObject], first: int, type_name: str) -> JsonObject:
    page = list(items[:first])
    cursors = [_cursor(type_name, index) for index in range(len(page))]
    return {
        "nodes": page,
        "edges": [
            {"cursor": cursor, "node": node} for cursor, node in zip(cursors, page, strict=True)
        ],
        "pageInfo": {
            "hasNextPage": len(items) > first,
            "hasPreviousPage": False,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _cursor(type_name: str, index: int) -> str:
    return base64.b64encode(f"{type_name}:{index}".encode()).decode()


# Search syntax


def _matches(order: StoredOrder, query: str | None) -> bool:
    """Apply one search term of Shopify's syntax: ``name:#1001``, ``name:1001`` or ``email:x``.

    An empty query matches every order. Raises GraphQLError for anything else, because
    the sandbox does not implement connectives, other fields or free text.
    """
    if query is None or not query.strip():
        return True
    match = _SEARCH_TERM.fullmatch(query)
    if match is None:
        raise GraphQLError("the sandbox supports one search term, name:<number> or email:<address>")
    field = match.group("field").lower()
    raw_value = match.group("double") or match.group("single") or match.group("bare") or ""
    value = re.sub(r"\\(.)", r"\1", raw_value)

    if field == "name":
        return normalize_order_number(value) == normalize_order_number(order.node["name"])
    if field == "email":
        email = order.node.get("email")
        return email is not None and email.casefold() == value.casefold()
    raise GraphQLError(f"the sandbox does not support the search field {field!r}")


# Query cost


def query_cost(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, object],
) -> int:
    """Return the requested cost of a validated operation, at least 1.

    The formula is the sandbox's own approximation of Shopify's calculated query cost,
    in which scalars are free and objects cost 1. A field with a selection set costs
    ``2 + first * (cost of its selection)`` when it has a `first` argument, and
    ``1 + (cost of its selection)`` otherwise. Scalar and enum fields cost nothing.
    For orders(first: 5) { nodes { ... } } with a few scalar fields, shippingLines(first: 1)
    and fulfillments { trackingInfo { ... } }, that is 2 + 5 * (1 + 3 + 2) = 32.
    """
    return max(1, _selection_cost(operation.selection_set, fragments, variables))


def _selection_cost(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, object],
) -> int:
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set is None:
                continue
            inner = _selection_cost(selection.selection_set, fragments, variables)
            first = _int_argument(selection, "first", variables)
            total += 1 + inner if first is None else 2 + first * inner
        elif isinstance(selection, InlineFragmentNode):
            total += _selection_cost(selection.selection_set, fragments, variables)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _selection_cost(fragment.selection_set, fragments, variables)
    return total


def _int_argument(node: FieldNode, name: str, variables: Mapping[str, object]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            bound = variables.get(value.name.value)
            if isinstance(bound, int) and not isinstance(bound, bool):
                return bound
    return None


def _cost_extension(
    requested: int, actual: int | None, throttle_status: ThrottleStatus
) -> JsonObject:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": throttle_status.to_wire(),
        }
    }


# GraphQL endpoint


class _Rejected(Exception):
    """Ends a GraphQL request early with `status`, `body`, and an outcome for the log."""

    def __init__(
        self,
        status: int,
        body: JsonObject,
        outcome: str,
        *,
        headers: dict[str, str] | None = None,
        requested_cost: int | None = None,
    ) -> None:
        super().__init__(outcome)
        self.status = status
        self.body = body
        self.outcome = outcome
        self.headers = headers or {}
        self.requested_cost = requested_cost


@dataclass(slots=True)
class _GraphqlRequest:
    query: str
    variables: JsonObject
    operation_name: str | None


class _GraphqlApi:
    """``POST /admin/api/{version}/graphql.json`` with auth, faults and the cost bucket."""

    def __init__(self, state: ShopifySandboxState) -> None:
        self._state = state

    async def handle(self, request: Request) -> Response:
        requested_version = str(request.path_params["version"])
        served_version = self._state.served_version(requested_version)
        headers = {API_VERSION_HEADER: served_version}
        log: JsonObject = {
            "version_requested": requested_version,
            "version_served": served_version,
            "token_valid": False,
        }

        # The body is read before the injected delay, because a client that times out
        # during the delay has closed the connection by the time the delay ends.
        raw_body = await request.body()
        latency_s = self._state.latency_s()
        if latency_s > 0:
            await asyncio.sleep(latency_s)

        try:
            status, body, requested_cost = self._respond(request, raw_body, log)
            outcome = "graphql_errors" if body.get("errors") else "ok"
        except _Rejected as rejected:
            status, body, requested_cost = rejected.status, rejected.body, rejected.requested_cost
            outcome = rejected.outcome
            headers.update(rejected.headers)

        self._state.record_request(
            status=status, outcome=outcome, requested_cost=requested_cost, **log
        )
        return JSONResponse(body, status_code=status, headers=headers)

    def _respond(
        self, request: Request, raw_body: bytes, log: JsonObject
    ) -> tuple[int, JsonObject, int | None]:
        """Run the request and return (status, body, requested cost). Raises _Rejected."""
        token = request.headers.get(ACCESS_TOKEN_HEADER, "")
        expected = self._state.settings.access_token
        if not hmac.compare_digest(token.encode(), expected.encode()):
            raise _Rejected(401, dict(INVALID_TOKEN_BODY), "unauthorized")
        log["token_valid"] = True

        failure = self._state.take_failure()
        if failure is not None:
            failure_headers = {}
            if failure.retry_after_s is not None:
                failure_headers["Retry-After"] = _header_seconds(failure.retry_after_s)
            body = {"errors": f"injected fault: HTTP {failure.status}"}
            raise _Rejected(
                failure.status, body, f"injected_{failure.status}", headers=failure_headers
            )

        graphql_request = _parse_body(raw_body)
        log["operation_name"] = graphql_request.operation_name
        log["variables"] = graphql_request.variables
        return self._execute(graphql_request)

    def _execute(self, graphql_request: _GraphqlRequest) -> tuple[int, JsonObject, int | None]:
        schema = shopify_schema()
        try:
            document = parse(graphql_request.query)
        except GraphQLError as syntax_error:
            return 200, self._errors_body([syntax_error], requested=0), 0
        validation_errors = validate(schema, document)
        if validation_errors:
            return 200, self._errors_body(validation_errors, requested=0), 0

        operation = get_operation_ast(document, graphql_request.operation_name)
        if operation is None:
            error = GraphQLError(
                "no operation with the given operationName, or several without one"
            )
            return 200, self._errors_body([error], requested=0), 0
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        requested = query_cost(operation, fragments, graphql_request.variables)
        self._check_budget(requested)

        result = execute_sync(
            schema,
            document,
            variable_values=graphql_request.variables,
            operation_name=graphql_request.operation_name,
            context_value=_ResolveContext(self._state),
        )
        body: JsonObject = dict(result.formatted)
        # NOTE: Shopify refunds the difference between requested and actual cost, but the
        # sandbox charges the requested cost in full and reports it as the actual cost.
        body["extensions"] = _cost_extension(requested, requested, self._state.throttle_status())
        return 200, body, requested

    def _check_budget(self, requested: int) -> None:
        """Charge the bucket, or raise _Rejected with a MAX_COST_EXCEEDED or THROTTLED body.

        The single-query limit is Shopify's 1000 points, or the bucket size when a test
        makes the bucket smaller, because such a query could never run.
        """
        maximum = min(MAX_SINGLE_QUERY_COST, self._state.config().maximum_available)
        if requested > maximum:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost "
                f"limit ({maximum:g})."
            )
            error = {"message": message, "extensions": {"code": "MAX_COST_EXCEEDED"}}
            body = {
                "errors": [error],
                "extensions": _cost_extension(requested, None, self._state.throttle_status()),
            }
            raise _Rejected(200, body, "max_cost_exceeded", requested_cost=requested)

        if self._state.take_throttle():
            allowed, status = False, self._state.throttle_status()
        else:
            allowed, status = self._state.charge(requested)
        if not allowed:
            error = {"message": "Throttled", "extensions": {"code": "THROTTLED"}}
            body = {"errors": [error], "extensions": _cost_extension(requested, None, status)}
            raise _Rejected(200, body, "throttled", requested_cost=requested)

    def _errors_body(self, errors: Sequence[GraphQLError], *, requested: int) -> JsonObject:
        return {
            "errors": [error.formatted for error in errors],
            "extensions": _cost_extension(requested, 0, self._state.throttle_status()),
        }


def _parse_body(raw_body: bytes) -> _GraphqlRequest:
    """Read ``{"query", "variables", "operationName"}``. Raises _Rejected with 400."""
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise _Rejected(
            400, {"errors": {"query": "Required parameter missing or invalid"}}, "bad_request"
        )
    variables = body.get("variables") or {}
    operation_name = body.get("operationName")
    if not isinstance(variables, dict):
        raise _Rejected(400, {"errors": {"variables": "must be a JSON object"}}, "bad_request")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _Rejected(400, {"errors": {"operationName": "must be a string"}}, "bad_request")
    return _GraphqlRequest(body["query"], variables, operation_name)


def _header_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


# Admin API


class _AdminError(Exception):
    """Ends an admin request with 400 and the body ``{"error": message}``."""


class _SandboxAdmin:
    """The ``/_sandbox/shopify/`` endpoints that tests and demos use to drive the emulator."""

    def __init__(self, state: ShopifySandboxState) -> None:
        self._state = state

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "orders": self._state.order_count()})

    async def requests(self, request: Request) -> Response:
        return JSONResponse({"requests": self._state.requests()})

    async def reset(self, request: Request) -> Response:
        self._state.reset()
        return JSONResponse({"status": "reset"})

    async def seed_order(self, request: Request) -> Response:
        try:
            seed = SeedOrder.model_validate_json(await request.body())
        except ValidationError as exc:
            return _admin_error(f"invalid seed order: {_describe_validation(exc)}")
        stored = self._state.add_order(seed)
        return JSONResponse({"id": stored.node["id"], "number": seed.number}, status_code=201)

    async def config(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(self._state.config().as_dict())
        try:
            changes = _config_changes(_json_object(await request.body()))
        except _AdminError as exc:
            return _admin_error(str(exc))
        return JSONResponse(self._state.update_config(changes).as_dict())

    async def faults(self, request: Request) -> Response:
        try:
            self._apply_faults(_json_object(await request.body()))
        except _AdminError as exc:
            return _admin_error(str(exc))
        return JSONResponse({"status": "ok"})

    def _apply_faults(self, body: JsonObject) -> None:
        known = {"throttle_next", "fail_next", "http_429_next", "latency_ms"}
        unknown = set(body) - known
        if unknown:
            raise _AdminError(
                f"unknown fault keys: {', '.join(sorted(unknown))}. "
                f"Known keys: {', '.join(sorted(known))}"
            )

        throttle_next = None
        if "throttle_next" in body:
            throttle_next = _count(body["throttle_next"], "throttle_next", minimum=0)
        fail_next = None
        if "fail_next" in body:
            rule = _object(body["fail_next"], "fail_next")
            status = rule.get("status", 503)
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise _AdminError("fail_next.status must be an integer from 400 to 599")
            fail_next = (status, _count(rule.get("count", 1), "fail_next.count", minimum=1))
        http_429_next = None
        if "http_429_next" in body:
            rule = _object(body["http_429_next"], "http_429_next")
            count = _count(rule.get("count", 1), "http_429_next.count", minimum=1)
            retry_after_s = _number(rule.get("retry_after_s", 1), "http_429_next.retry_after_s")
            http_429_next = (count, retry_after_s)
        latency_s = None
        if "latency_ms" in body:
            latency_s = _number(body["latency_ms"], "latency_ms") / 1000

        self._state.set_faults(
            throttle_next=throttle_next,
            fail_next=fail_next,
            http_429_next=http_429_next,
            latency_s=latency_s,
        )


def _config_changes(body: JsonObject) -> JsonObject:
    """Check a ``POST /_sandbox/shopify/config`` body and return the changes to apply."""
    changes: JsonObject = {}
    for name, value in body.items():
        if name == "now":
            changes[name] = None if value is None else _aware_datetime(value)
        elif name == "read_all_orders":
            if not isinstance(value, bool):
                raise _AdminError("read_all_orders must be a boolean")
            changes[name] = value
        elif name in ("maximum_available", "restore_rate"):
            number = _number(value, name)
            if number == 0:
                raise _AdminError(f"{name} must be positive")
            changes[name] = number
        elif name == "supported_versions":
            changes[name] = _versions(value)
        else:
            raise _AdminError(
                f"unknown config key {name!r}. Known keys: maximum_available, now, "
                "read_all_orders, restore_rate, supported_versions"
            )
    return changes


def _aware_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise _AdminError("now must be an ISO 8601 string or null")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _AdminError(f"now must be an ISO 8601 time, got {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _versions(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _AdminError("supported_versions must be a non-empty list such as ['2026-10']")
    for version in value:
        if not isinstance(version, str) or not API_VERSION_PATTERN.fullmatch(version):
            raise _AdminError(f"supported version {version!r} is not in the YYYY-MM format")
    return tuple(value)


def _describe_validation(exc: ValidationError) -> str:
    """List each error as ``field: message`` without echoing the input values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{location}: {error['msg']}")
    return "; ".join(parts)


def _json_object(raw_body: bytes) -> JsonObject:
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _AdminError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise _AdminError("request body must be a JSON object")
    return body


def _object(value: object, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise _AdminError(f"{name} must be an object")
    return value


def _count(value: object, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _AdminError(f"{name} must be an integer of at least {minimum}")
    return value


def _number(value: object, name: str) -> float:
    """Return a finite number of at least 0. Raises _AdminError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _AdminError(f"{name} must be a number")
    if value < 0:
        raise _AdminError(f"{name} must not be negative")
    return float(value)


def _admin_error(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)
